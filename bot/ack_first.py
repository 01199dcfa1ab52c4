"""Acks first: slow work waits for a lull in Slack's requests before it starts, for at most a second.

Python runs one thread at a time (the GIL), so under a burst — 100 slash commands in the same second,
or a minute's digests due together — the threads acking Slack share the process with every job
already drawing and uploading, and an ack that needs 5 ms of CPU waits seconds for its turns. Slack
gives up after 3 s. A job (chart posts, digest groups) therefore starts only once no request has been
in flight for `quiet_s`, or after `max_wait_s` at the latest, so that steady traffic never starves it.

    ack_first = AckFirst()
    with ack_first.serving():   # around each Slack request (bot.slack.front)
        ...
    ack_first.wait_turn()       # at the start of each job (bot.deps, bot.digests.deliver)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

QUIET_S = 0.02  # a lull this long means the burst is acked
MAX_WAIT_S = 1.0  # a job's longest wait: Slack's 3 s is for acks, the slow work has its deadline


class AckFirst:
    """Counts the Slack requests in flight; lets slow work wait until there are none (see the module)."""

    def __init__(self, quiet_s: float = QUIET_S, max_wait_s: float = MAX_WAIT_S) -> None:
        self.quiet_s = quiet_s
        self.max_wait_s = max_wait_s
        self._changed = threading.Condition()
        self._in_flight = 0
        self._last_done = float("-inf")

    @contextmanager
    def serving(self) -> Iterator[None]:
        """Mark one Slack request in flight for the duration of the block."""
        with self._changed:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._changed:
                self._in_flight -= 1
                self._last_done = time.monotonic()
                self._changed.notify_all()

    def wait_turn(self) -> float:
        """Block until no request has been in flight for `quiet_s` (or `max_wait_s` passed); seconds waited."""
        started = time.monotonic()
        deadline = started + self.max_wait_s
        with self._changed:
            while True:
                now = time.monotonic()
                if now >= deadline:
                    break
                if self._in_flight == 0:
                    lull_left = self._last_done + self.quiet_s - now
                    if lull_left <= 0:
                        break
                    self._changed.wait(min(lull_left, deadline - now))
                else:
                    self._changed.wait(deadline - now)
        return time.monotonic() - started
