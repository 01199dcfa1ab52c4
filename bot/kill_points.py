"""Named kill points: tests SIGKILL the real bot process at an exact step of a write path.

    kill_points.arm(settings.cekura_bot_kill_at)   # once, in `serve` (CEKURA_BOT_KILL_AT; unset = never)
    ...
    kill_point("edit.patched")                     # SIGKILLs this process here when armed with that name

Unarmed (production), `kill_point` is one comparison. The points sit right after each write to
Cekura, Slack or the database in the edit-apply, digest-delivery and alert-notice paths; POINTS
lists them so a test can name every one and a typo fails loudly instead of never firing.
"""

from __future__ import annotations

import logging
import os
import signal

log = logging.getLogger(__name__)

POINTS = (
    "edit.approved",  # the approve CAS committed; nothing sent to Cekura yet
    "edit.patched",  # Cekura accepted the PATCH; the request is still `approved`
    "edit.settled",  # the request is applied/failed/conflicted; Slack not yet told
    "digest.claimed",  # the ledger row is claimed; nothing rendered or posted
    "digest.uploaded",  # chart bytes uploaded and file ids recorded; not yet shared in the channel
    "digest.posted",  # Slack shared the digest in the channel; the ledger still says claimed
    "digest.sent",  # the ledger says sent; the subscription's success not yet recorded
    "alert.claimed",  # alert notifications claimed in the outbox; nothing posted
    "alert.updated",  # a resolve: the incident message updated in place (chat.update); its reply not posted
    "alert.uploaded",  # a notice's chart uploaded and its file id recorded; not yet shared in the channel
    "alert.posted",  # Slack accepted the notice's message; neither the incident nor the outbox knows its ts
    "alert.sent",  # the outbox row is done; nothing left but the next notice
)
_armed: str | None = None


def arm(point: str | None) -> None:
    """Make `kill_point(point)` kill this process (None disarms); unknown names are refused."""
    global _armed
    if point is not None and point not in POINTS:
        raise ValueError(f"unknown kill point {point!r}; known: {', '.join(POINTS)}")
    _armed = point
    if point is not None:
        log.warning("kill point %s is armed: this process will SIGKILL itself there", point)


def kill_point(name: str) -> None:
    """SIGKILL this process if it is armed at `name` (tests only)."""
    if _armed is not None and name == _armed:
        os.kill(os.getpid(), signal.SIGKILL)
