"""The heartbeat that keeps a live worker's claims fresh while it renders and posts.

    with Heartbeat(lambda: ledger.renew(worker), every_s, "the digest leases of w1"):
        deliverer.deliver(due, now)

Digest deliveries and alert notifications are claimed by a worker; a claim that is not renewed
(its worker was killed) lapses and another worker takes it over. A live but slow worker keeps
renewing, so it keeps its claims however long Slack or Cekura take.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from types import TracebackType

log = logging.getLogger(__name__)


class Heartbeat:
    """A background thread calling `renew()` every `every_s` seconds while the block runs."""

    def __init__(self, renew: Callable[[], object], every_s: float, what: str) -> None:
        self.renew = renew
        self.interval = max(0.05, every_s)
        self.what = what
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Heartbeat:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.renew()
            except Exception:
                # Beats come every third of the claim's life: two missed ones still leave a third.
                log.warning("could not renew %s; retrying", self.what, exc_info=True)
