"""Delivering due digests: claim each slot, build each fan-out group's digest once, post, mark the ledger.

    batch = Deliverer(deps, worker).deliver(ledger.due_slots(...), now)

Subscriptions due together for the same dashboard, period, conditions and time zone form one group:
one Cekura fetch and one render, then one post per channel. The ledger decides who delivers: a slot
is claimed before anything is fetched and marked sent only after Slack accepted the post; the claim
is a lease renewed by a heartbeat while the batch runs. The uploaded file ids are recorded before
Slack shares them, so a worker taking over a dead one's slot asks Slack (files.info) whether that
post landed and, if it did, marks it sent instead of posting twice. A text-only digest (no charts)
has no such key: killed between chat.postMessage and mark_sent, it is posted again on takeover. One
channel failing never touches the others; failures that are the subscription's own (channel
archived, bot removed, dashboard gone) count towards pausing it, outages of Cekura or Slack do not.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from bot import filters
from bot.digests.build import Digest, DigestBuilder, Period, period_for
from bot.digests.notify import notifier_for
from bot.digests.records import DueSlot
from bot.digests.store import Subscription
from bot.errors import CekuraRejected, NotFound, SlackDeliveryError, UserError, error_words
from bot.kill_points import kill_point

if TYPE_CHECKING:
    from bot.deps import Deps

log = logging.getLogger(__name__)
State = Literal["sent", "skipped", "failed", "taken"]
# Errors that follow the subscription wherever it runs: these count towards pausing it.
OWN_FAULTS = (SlackDeliveryError, NotFound, CekuraRejected, UserError)


@dataclass(frozen=True)
class Outcome:
    """What became of one (subscription, slot): `taken` means another worker has it."""

    subscription_id: int
    slot: datetime
    state: State
    detail: str = ""


@dataclass
class Batch:
    """The outcomes of one delivery run and how many digests were built (fetched and drawn)."""

    outcomes: list[Outcome] = field(default_factory=list)
    renders: int = 0

    def count(self, state: State) -> int:
        """How many outcomes are in `state`."""
        return sum(1 for outcome in self.outcomes if outcome.state == state)


def _skip_reason(sub: Subscription, digest: Digest) -> str | None:
    """Why `sub` posts nothing this time (skip-if-empty, only-if-changed), or None."""
    if sub.skip_if_empty and digest.empty:
        return "skip-if-empty: every widget is empty"
    if sub.only_if_changed and sub.last_digest is not None and sub.last_digest == digest.data_hash:
        return "only-if-changed: the data is the same as in the last digest"
    return None


class ChannelPacer:
    """Keeps posts to one channel `spacing` seconds apart: Slack allows about one message a second."""

    def __init__(
        self,
        spacing: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.spacing = spacing
        self._clock = clock
        self._sleep = sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, channel: str) -> None:
        """Return when a message may be posted to `channel` (reserving that moment)."""
        with self._lock:
            now = self._clock()
            if len(self._next) > 1000:  # forget channels whose turn has long passed
                self._next = {key: at for key, at in self._next.items() if at > now}
            at = max(now, self._next.get(channel, now))
            self._next[channel] = at + self.spacing
        if at > now:
            self._sleep(at - now)


class Deliverer:
    """Runs deliveries for one worker (a process, in the ledger's `claimed_by`)."""

    def __init__(
        self,
        deps: Deps,
        worker: str,
        *,
        share: bool = True,
        pacer: ChannelPacer | None = None,
        on_pause: Callable[[int], None] = lambda subscription_id: None,
        group_workers: int = 8,
        post_workers: int = 16,
    ) -> None:
        self.deps = deps
        self.worker = worker
        self.share = share
        self.pacer = pacer or ChannelPacer()
        self.notifier = notifier_for(deps, on_pause)
        # Three pools, so no task ever waits on a task queued behind it in its own pool.
        self._groups = ThreadPoolExecutor(group_workers, thread_name_prefix="digest")
        self._posts = ThreadPoolExecutor(post_workers, thread_name_prefix="digest-post")
        self._side = ThreadPoolExecutor(group_workers, thread_name_prefix="digest-prev")
        self.builder = DigestBuilder(deps.service, deps.cekura, deps.io, self._side)

    def deliver(self, due: Sequence[DueSlot], now: datetime, *, requester: str | None = None) -> Batch:
        """Deliver `due` slots (a `requester` marks a manual `run`: always posted, never counted)."""
        groups: dict[tuple[object, ...], list[tuple[DueSlot, Period]]] = {}
        for item in due:
            sub = item.subscription
            period = period_for(sub, item.slot, now)
            shared = (sub.dashboard_id, period.start, period.end, sub.where_text or "", sub.tz)
            groups.setdefault(shared if self.share else (sub.id, item.slot), []).append((item, period))
        batch = Batch()
        if not groups:
            return batch
        with self.deps.ledger.heartbeat(self.worker):
            futures = [self._groups.submit(self._group, members, now, requester) for members in groups.values()]
            for future in futures:
                try:
                    outcomes, built = future.result()
                except Exception:  # e.g. the database went away mid-claim: the ledger stays right, retry later
                    log.exception("a digest group failed; its unclaimed or unmarked slots are retried later")
                    continue
                batch.outcomes.extend(outcomes)
                batch.renders += built
        return batch

    def _group(
        self, members: list[tuple[DueSlot, Period]], now: datetime, requester: str | None
    ) -> tuple[list[Outcome], int]:
        self.deps.ack_first.wait_turn()  # digests due with a burst of commands: the acks go first
        outcomes: list[Outcome] = []
        won: list[DueSlot] = []
        for item, _ in members:
            sub = item.subscription
            if self.deps.ledger.claim(sub.id, item.slot, self.worker, late=item.late):
                kill_point("digest.claimed")
                won.append(item)
            else:
                outcomes.append(Outcome(sub.id, item.slot, "taken"))
        if not won:
            return outcomes, 0  # every slot is someone else's: nothing to fetch or draw
        first, period = won[0].subscription, members[0][1]
        try:
            where = filters.parse(first.where_text) if first.where_text else None
            digest = self.builder.build(first.dashboard_id, where, first.tz, period, now)
        except Exception as exc:
            return outcomes + [self._failed(item, exc, requester) for item in won], 1
        posts = [self._posts.submit(self._post, item, digest, requester) for item in won]
        return outcomes + [future.result() for future in posts], 1

    def _post(self, item: DueSlot, digest: Digest, requester: str | None) -> Outcome:
        sub, slot, ledger = item.subscription, item.slot, self.deps.ledger
        try:
            landed = self._landed_before(item)
        except Exception as exc:  # Slack could not say: posting now might double it, so retry later
            return self._failed(item, exc, requester)
        if landed is not None:
            log.info("digest %s, slot %s: the previous worker's post had landed (ts %s)", sub.id, slot, landed)
            ledger.mark_sent(sub.id, slot, landed, worker=self.worker)
            self.deps.digests.record_success(sub.id, None if requester else digest.data_hash, slot=slot)
            return Outcome(sub.id, slot, "sent", landed)
        skip = None if requester else _skip_reason(sub, digest)
        if skip is not None:
            ledger.mark_skipped(sub.id, slot, skip, worker=self.worker)
            self.deps.digests.record_success(sub.id, None, slot=slot)
            return Outcome(sub.id, slot, "skipped", skip)
        try:
            self.pacer.wait(sub.channel)
            if not ledger.holds(sub.id, slot, self.worker):
                # The lease lapsed (a stall longer than the lease): a successor owns the slot now.
                return Outcome(sub.id, slot, "taken", "lease lost before posting")

            def uploaded(file_ids: list[str]) -> None:
                ledger.record_files(sub.id, slot, self.worker, file_ids)
                kill_point("digest.uploaded")

            ts = self.notifier.post_digest(
                sub, digest, slot=slot, late=item.late, requester=requester, on_uploaded=uploaded
            )
            kill_point("digest.posted")
        except Exception as exc:
            return self._failed(item, exc, requester)
        if not ledger.mark_sent(sub.id, slot, ts or "", worker=self.worker):
            log.warning("digest %s, slot %s: posted, but the claim had been taken over", sub.id, slot)
        kill_point("digest.sent")
        if requester:
            self.deps.digests.record_success(sub.id, None)  # a manual run leaves the schedule's periods alone
        else:
            self.deps.digests.record_success(sub.id, digest.data_hash, slot=slot)
        return Outcome(sub.id, slot, "sent", ts or "")

    def _landed_before(self, item: DueSlot) -> str | None:
        """The ts of an earlier attempt's post of this slot that Slack did share, or None."""
        row = self.deps.ledger.get(item.subscription.id, item.slot)
        if row is None or not row.file_ids:
            return None
        return self.notifier.already_posted(item.subscription.channel, row.file_ids[0])

    def _failed(self, item: DueSlot, exc: BaseException, requester: str | None) -> Outcome:
        sub, slot = item.subscription, item.slot
        words = error_words(exc, "digest delivery", log)
        self.deps.ledger.mark_failed(sub.id, slot, words, worker=self.worker)
        if requester:
            return Outcome(sub.id, slot, "failed", words)  # the requester hears it directly
        if isinstance(exc, OWN_FAULTS):
            limit = self.deps.settings.digest_max_failures
            if self.deps.digests.record_failure(sub.id, words, max_failures=limit) == limit:
                self.notifier.paused(sub, words)
        else:
            row = self.deps.ledger.get(sub.id, slot)
            if row is not None and row.attempts >= self.deps.ledger.max_attempts:
                self.notifier.gave_up(sub, slot, words)
        return Outcome(sub.id, slot, "failed", words)

    def close(self) -> None:
        """Stop the pools (running deliveries finish first)."""
        for pool in (self._groups, self._posts, self._side):
            pool.shutdown(wait=True)
