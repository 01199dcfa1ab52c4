"""The heartbeat that keeps a live worker's delivery claims leased while it renders and posts.

    with Heartbeat(ledger, worker):      # renews every lease/3 until the block ends
        deliverer.deliver(due, now)

A killed process stops renewing, so its claims lapse within one lease (60 s by default) and another
worker takes them over; a live but slow one keeps them however long the render takes.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType

from bot.digests.ledger import DeliveryLedger

log = logging.getLogger(__name__)


class Heartbeat:
    """A background thread renewing `worker`'s claims every `ledger.lease / 3` while in use."""

    def __init__(self, ledger: DeliveryLedger, worker: str) -> None:
        self.ledger = ledger
        self.worker = worker
        self.interval = max(0.05, ledger.lease.total_seconds() / 3)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Heartbeat:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"lease-{self.worker}", daemon=True)
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
                self.ledger.renew(self.worker)
            except Exception:
                # Two missed beats in a row still leave a third before the lease runs out.
                log.warning("could not renew the digest leases of %s; retrying", self.worker, exc_info=True)
