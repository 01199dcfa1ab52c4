"""Preloaded by the render forkserver only (see RenderPool): that process dies with the bot, and collects no
garbage until the warm-up is drawn.

Nothing else imports this module: in the bot itself it would tie the bot's life to its own parent.
"""

import gc

from bot.render_pool import die_with_parent

die_with_parent()
gc.disable()  # until bot.render_prewarm is done: importing matplotlib makes no garbage worth ~10 % of the time
