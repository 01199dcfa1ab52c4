"""The render workers: forked from the warm forkserver, they draw every chart kind, without the 3D toolkit."""

from __future__ import annotations

import sys
import warnings
from concurrent.futures import ProcessPoolExecutor

from bot.render_pool import RenderPool, start_forkserver
from tests.test_charts import EXAMPLES

PNG = b"\x89PNG\r\n\x1a\n"


def _what_matplotlib_loaded() -> tuple[bool, bool, bool]:
    """In a worker: the Agg backend is loaded, the 3D toolkit is not, and its warning is filtered."""
    silenced = any(action == "ignore" and "Axes3D" in str(message) for action, message, *_ in warnings.filters)
    return (
        "matplotlib.backends.backend_agg" in sys.modules,
        sys.modules.get("mpl_toolkits.mplot3d") is not None,
        silenced,
    )


def test_workers_draw_every_chart_kind() -> None:
    pool = RenderPool(workers=2)
    try:
        pool.warm()
        results = pool.render_all(EXAMPLES)
    finally:
        pool.close()
    assert [r[:8] if isinstance(r, bytes) else r for r in results] == [PNG] * len(EXAMPLES)


def test_the_forkserver_skips_the_3d_toolkit_quietly() -> None:
    # matplotlib imports mpl_toolkits.mplot3d eagerly (~60 ms of the start); the forkserver blocks it,
    # and matplotlib's "Unable to import Axes3D" warning would otherwise reach the bot's log.
    with ProcessPoolExecutor(max_workers=1, mp_context=start_forkserver()) as workers:
        agg_loaded, toolkit_loaded, warning_silenced = workers.submit(_what_matplotlib_loaded).result(timeout=60)
    assert agg_loaded and warning_silenced
    assert not toolkit_loaded
