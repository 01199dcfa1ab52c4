"""Preloaded by the render forkserver only (see RenderPool): that process dies with the bot, collects no
garbage until the warm-up is drawn, and skips matplotlib's 3D toolkit.

Nothing else imports this module: in the bot itself it would tie the bot's life to its own parent.
"""

import gc
import sys
import warnings

from bot.render_pool import die_with_parent

die_with_parent()
gc.disable()  # until bot.render_prewarm is done: importing matplotlib makes no garbage worth ~10 % of the time
# matplotlib imports its 3D toolkit eagerly, only to register the projection (~60 ms of the forkserver's
# path to /readyz); no chart here is 3D. A None in sys.modules makes that import fail, which matplotlib
# expects (it warns and leaves the projection out); only that warning is silenced.
sys.modules.setdefault("mpl_toolkits.mplot3d", None)  # type: ignore[arg-type]  # None: "cannot be imported"
warnings.filterwarnings("ignore", message="Unable to import Axes3D", category=UserWarning)
