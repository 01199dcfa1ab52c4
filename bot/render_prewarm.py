"""Preloaded by the render forkserver after matplotlib: draws one chart of each kind there, once.

Every worker is forked from the forkserver, so each starts with the fonts, glyph caches and imports
already loaded (shared copy-on-write) instead of drawing its own warm-up: the pool is warm as soon
as its workers exist. The forkserver has a single thread, so drawing in it before it forks is safe.
Nothing else imports this module.
"""

import gc

from charts.draw import warm_up

warm_up()
# Everything loaded so far lives as long as the process: out of the collector's sight (gc.freeze),
# the workers forked from here never touch those pages, so they stay shared copy-on-write.
gc.freeze()
gc.enable()
