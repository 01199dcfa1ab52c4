"""Scheduled channel digests: schedules, subscriptions and the exactly-once delivery ledger.

    schedule = parse_schedule("weekdays 09:00")          # bad text → ScheduleError (a UserError)
    sub = DigestStore(factory).add(channel=..., dashboard_id=12, schedule=schedule,
                                   tz=parse_zone("Europe/Berlin"), owner=user)
    ledger = DeliveryLedger(factory)
    for sub, slot, late in ledger.due_slots(store.active(), now, grace):   # restart catch-up
        if ledger.claim(sub.id, slot, worker, late=late): ...deliver, then ledger.mark_sent(...)

Slack handlers and rendering live elsewhere; this package only decides what is due and who sends it.
"""

from __future__ import annotations

from bot.digests.ledger import DeliveryLedger
from bot.digests.records import Delivery, DueSlot, slot_key, worker_id
from bot.digests.schedule import (
    Schedule,
    ScheduleError,
    next_times,
    parse_schedule,
    parse_zone,
    slots_between,
)
from bot.digests.store import DigestNotFound, DigestStore, Subscription

__all__ = [
    "Delivery",
    "DeliveryLedger",
    "DigestNotFound",
    "DigestStore",
    "DueSlot",
    "Schedule",
    "ScheduleError",
    "Subscription",
    "next_times",
    "parse_schedule",
    "parse_zone",
    "slot_key",
    "slots_between",
    "worker_id",
]
