"""Chart rendering on every core: a warm pool of worker processes.

matplotlib holds the GIL while it draws, so threads do not help; processes do. Workers come from a
forkserver that has already imported matplotlib and drawn one chart of each kind (`bot.render_prewarm`;
fork after threads is unsafe, spawn is slow), so every worker starts warm; `warm()` starts them all.

The forkserver and the workers die with the bot, even when it is SIGKILLed (no atexit runs then):
on Linux each asks the kernel for SIGKILL when its parent dies (prctl PR_SET_PDEATHSIG), and each
worker also runs a watchdog thread that exits once it has been orphaned (its parent pid changes).
The forkserver gets no thread (it forks, and forking a threaded process is unsafe); it is
preloaded with `bot.render_forkserver`, whose import arms the signal. The resource tracker exits
by itself once the last of them is gone (its pipe closes).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures import TimeoutError as FuturesTimeout
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import forkserver
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from charts.spec import Chart

log = logging.getLogger(__name__)
RENDER_TIMEOUT_S = 60.0
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
ORPHAN_CHECK_S = 0.5


def die_with_parent() -> None:
    """Have the kernel SIGKILL this process when its parent dies (Linux); exit now if it already has."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        import ctypes  # here: the bot's own process, which imports this module first of all, needs none

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            log.warning("prctl(PR_SET_PDEATHSIG) failed: errno %d", ctypes.get_errno())
    if os.getppid() != parent or parent == 1:
        os._exit(1)  # the parent died before the signal was armed


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(ORPHAN_CHECK_S)
        if os.getppid() != parent:
            os._exit(1)  # orphaned: the forkserver (and so the bot) is gone


def _render(chart: Chart) -> bytes:
    from charts.draw import render  # here, not at the top: the bot's own process never loads matplotlib

    return render(chart)


def _warm_up() -> None:
    from charts.draw import warm_up

    warm_up()


WORKER_NICENESS = 10  # drawing waits; an ack has 3 s


def _worker_init() -> None:
    """Runs first in every render worker: yield the CPU to the bot's own process, and die with the
    forkserver, by signal and by watchdog."""
    # Charts are slow work after the ack; under a burst the workers would otherwise take the cores
    # from the threads that verify and ack Slack's requests (Slack gives up after 3 s).
    os.nice(WORKER_NICENESS)
    die_with_parent()
    threading.Thread(target=_watch_parent, args=(os.getppid(),), name="orphan-watch", daemon=True).start()


def start_forkserver() -> multiprocessing.context.ForkServerContext:
    """Start the render forkserver (it imports matplotlib and draws the warm-up); its context. Idempotent.

    `bot.cli` calls this for `serve` before importing anything else: the forkserver is the slowest part
    of the start.
    """
    context = multiprocessing.get_context("forkserver")
    preload = ["bot.render_forkserver", "matplotlib.backends.backend_agg", "bot.render_prewarm"]
    context.set_forkserver_preload(preload)
    # From this thread, not from whichever thread submits first: the kernel's parent-death signal
    # (armed in the forkserver) fires when the *thread* that started it exits, so a short-lived
    # warm-up thread would take the forkserver and every worker with it. Call it from the main thread.
    forkserver.ensure_running()
    return context


class RenderPool:
    """Render charts to PNG bytes in worker processes; `workers=0` renders in the calling thread."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = (os.cpu_count() or 1) if workers is None else workers
        self._lock = threading.Lock()
        self._closed = False
        self._executor: ProcessPoolExecutor | None = self._new_executor() if self.workers else None

    def _new_executor(self) -> ProcessPoolExecutor:
        context = start_forkserver()
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=context, initializer=_worker_init)

    def warm(self) -> None:
        """Start every worker (forked from the warm forkserver: nothing left to draw); inline, draw once."""
        if self._executor is None:
            _warm_up()
            return
        with self._lock:  # close() waits for this: a worker still starting when it ran would die loudly
            if self._closed:
                return
            futures = [self._executor.submit(os.getpid) for _ in range(self.workers)]
        try:
            for future in futures:
                future.result(timeout=RENDER_TIMEOUT_S)
        except Exception:
            if self._closed:
                return  # closed while warming (the start failed and is shutting down): nothing to report
            raise

    def render_all(
        self, charts: Sequence[Chart], on_done: Callable[[int, bytes], None] | None = None
    ) -> list[bytes | BaseException]:
        """PNG bytes for each chart, in order; a chart that failed yields its exception instead.

        `on_done(index, png)` is called as each chart finishes (in this thread), so the caller can
        start uploading it while the others are still being drawn.
        """
        if self._executor is None:
            inline = [self._render_here(chart) for chart in charts]
            for index, result in enumerate(inline):
                if on_done is not None and isinstance(result, bytes):
                    on_done(index, result)
            return inline
        with self._lock:
            executor = self._executor
        futures: dict[Future[bytes], int] = {executor.submit(_render, c): i for i, c in enumerate(charts)}
        results: list[bytes | BaseException] = [TimeoutError("not rendered in time")] * len(charts)
        try:
            for future in as_completed(futures, timeout=RENDER_TIMEOUT_S):
                index = futures[future]
                try:
                    results[index] = future.result()
                except BrokenProcessPool as exc:
                    # A worker died (out of memory, killed): replace the pool so the next request works.
                    self._replace(executor)
                    results[index] = exc
                    continue
                except Exception as exc:
                    results[index] = exc
                    continue
                if on_done is not None:
                    on_done(index, results[index])  # type: ignore[arg-type]
        except FuturesTimeout:
            log.error("charts still rendering after %.0f s", RENDER_TIMEOUT_S)
        return results

    @staticmethod
    def _render_here(chart: Chart) -> bytes | BaseException:
        try:
            return _render(chart)
        except Exception as exc:
            return exc

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is broken:
                log.error("render worker died; starting a new render pool")
                broken.shutdown(wait=False, cancel_futures=True)
                self._executor = self._new_executor()

    def close(self) -> None:
        """Stop the workers (waiting for any that are being started, so none is cut off half-way)."""
        with self._lock:
            self._closed = True
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
