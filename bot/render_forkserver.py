"""Preloaded by the render forkserver only (see RenderPool): importing it makes that process die with the bot.

Nothing else imports this module: in the bot itself it would tie the bot's life to its own parent.
"""

from bot.render_pool import die_with_parent

die_with_parent()
