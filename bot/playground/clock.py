"""The playground's clock: real time plus an offset the page moves forward ("jump to the next digest")."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from bot.deps import utc_now


class PlaygroundClock:
    """A callable clock for Deps, the Cekura sandbox and the digest scheduler; it runs, and it can jump."""

    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        """Now, as the bot sees it (timezone-aware UTC)."""
        with self._lock:
            return utc_now() + self._offset

    def jump_to(self, when: datetime) -> None:
        """Move the clock to `when` (never backwards: digests and edit expiry assume time goes on)."""
        with self._lock:
            wanted = when - utc_now()
            self._offset = max(self._offset, wanted)
