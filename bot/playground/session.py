"""One playground session: the harness (both sandboxes + the bot's real HTTP server), a movable clock, digests.

    pg = Playground.start()
    pg.command("U_ALICE", "C_GENERAL", "dashboard 12")      # a signed slash command, as Slack sends it
    pg.snapshot("U_ALICE")                                   # what alice's Slack shows now
    pg.jump()                                                # move the clock to the next digest slot and tick

Everything the page does goes through the same SlackDriver the end-to-end tests use; nothing here
talks to the bot any other way.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
import threading
import time
from typing import Any

from bot.digests.scheduler import DigestScheduler
from bot.playground.clock import PlaygroundClock
from bot.playground.feed import Ack, channels, feed, modal
from bot.sandbox.harness import DEMO_APPROVER, DEMO_SETTINGS, DEMO_USER, Harness
from bot.sandbox.slack_records import Ephemeral, Message

# The people of the user switcher, and what each is for.
PEOPLE = [
    {"id": DEMO_USER, "name": "alice", "role": "requester (admin of the workspace)"},
    {"id": DEMO_APPROVER, "name": "carol", "role": "approver (APPROVERS)"},
    {"id": "U_BOB", "name": "bob", "role": "not in #cekura-approvals or #leads"},
]
NO_DIGEST = "No digest is scheduled. Add one first, e.g. /cekura digest add dashboard 12 daily 09:00"


class Playground:
    """The harness with the page's records: slash-command acks and which message each response_url belongs to."""

    def __init__(self, harness: Harness, clock: PlaygroundClock, folder: str | None = None) -> None:
        self.h = harness
        self.folder = folder
        self.clock = clock
        # The real scheduler's tick, driven by the page's clock button instead of APScheduler's timer.
        self.scheduler = DigestScheduler(harness.deps, clock=clock)
        self.acks: list[Ack] = []
        self.sources: dict[str, str] = {}  # response_url → feed id of the message it answers
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    @classmethod
    def start(cls, **overrides: Any) -> Playground:
        """Start the sandboxes and the bot with the demo approvers (carol, #cekura-approvals)."""
        clock = PlaygroundClock()
        # A database file, not sqlite:// (one connection shared by all threads): the page reads while the bot writes.
        folder = tempfile.mkdtemp(prefix="cekura-playground-")
        settings = {**DEMO_SETTINGS, "database_url": f"sqlite:///{folder}/playground.db", **overrides}
        return cls(Harness.start(clock=clock, **settings), clock, folder)

    def stop(self) -> None:
        """Stop the scheduler's deliverer, the bot and the sandboxes."""
        self.scheduler.shutdown()
        self.h.stop()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    def reset(self) -> None:
        """Back to the seeded workspace and data (digests and edit requests stay in the database)."""
        self.h.deps.wait_idle(60)
        self.h.cekura.reset()
        self.h.slack.reset()
        with self._lock:
            self.acks.clear()
            self.sources.clear()

    def command(self, user: str, channel: str, text: str) -> dict[str, Any]:
        """`/cekura <text>` typed by `user` in `channel`; the ack shows as Slack would show it."""
        sent = time.time()
        delivery = self.h.driver.command(text, user=user, channel=channel)
        with self._lock:
            if isinstance(delivery.json, dict) and (delivery.json.get("text") or delivery.json.get("blocks")):
                ack = Ack(f"a:{next(self._ids)}", channel, user, sent, f"/cekura {text}", delivery.json)
                self.acks.append(ack)
                self.sources[delivery.response_url] = ack.id
        return {"status": delivery.status, "ms": round(delivery.elapsed_ms)}

    def action(
        self,
        user: str,
        item_id: str,
        action_id: str,
        block_id: str | None,
        value: str | None,
        selected_option: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A button click or menu choice by `user` on the feed entry `item_id`."""
        shown = next((i for i in self.snapshot(user)["items"] if i["id"] == item_id), None)
        if shown is None:
            return {"status": 404, "error": "That message is gone."}
        message: Message | Ephemeral | None
        workspace = self.h.slack  # the sandbox's records, not a Web API client
        with workspace.lock:
            message = workspace.find_message(shown["channel"], shown.get("ts", ""))
        if message is None or not item_id.startswith("m:"):
            message = Ephemeral(shown["channel"], user, shown.get("ts", ""), shown["text"], shown["blocks"])
        delivery = self.h.driver.block_action(
            action_id, value, user=user, message=message, block_id=block_id, selected_option=selected_option
        )
        with self._lock:
            self.sources[delivery.response_url] = item_id
        return {"status": delivery.status, "ms": round(delivery.elapsed_ms)}

    def submit(self, user: str, view_id: str, values: dict[str, Any]) -> dict[str, Any]:
        """*Submit* on the modal `view_id`; the bot's response_action (errors, update, clear) is applied."""
        slack = self.h.slack
        with slack.lock:
            view = slack.open_views.get(view_id)
        if view is None:
            return {"status": 404, "error": "That form was closed."}
        delivery = self.h.driver.view_submission(view, user=user, values=values)
        answer = delivery.json if isinstance(delivery.json, dict) else {}
        kind = answer.get("response_action")
        if kind == "errors":
            return {"status": delivery.status, "errors": answer.get("errors", {})}
        with slack.lock:
            stack = slack.view_stacks.setdefault(user, [])
            if kind == "update" and isinstance(answer.get("view"), dict):
                old = slack.open_views.get(view_id, {})
                slack.open_views[view_id] = {**old, **answer["view"], "id": view_id, "hash": f"{time.time():.6f}"}
            elif kind == "push" and isinstance(answer.get("view"), dict):
                pushed = f"V_PLAY{len(slack.open_views):05d}"
                slack.open_views[pushed] = {**answer["view"], "id": pushed, "state": {"values": {}}}
                slack.view_users[pushed] = user
                stack.append(pushed)
            elif kind == "clear":
                stack.clear()
            elif view_id in stack:
                stack.remove(view_id)
        return {"status": delivery.status, "errors": {}}

    def close(self, user: str, view_id: str) -> dict[str, Any]:
        """*Cancel* on a modal: it leaves the user's stack; the bot hears of it if it asked to (notify_on_close)."""
        slack = self.h.slack
        with slack.lock:
            view = slack.open_views.get(view_id)
            stack = slack.view_stacks.get(user, [])
            if view_id in stack:
                stack.remove(view_id)
        if view is not None and view.get("notify_on_close"):
            self.h.driver.view_closed(view, user=user)
        return {"status": 200}

    def next_slot(self) -> Any:
        """The earliest upcoming send time of any active digest, or None."""
        now = self.clock()
        times = [t for sub in self.h.deps.digests.active() if not sub.paused for t in sub.next_times(now, 1)]
        return min(times) if times else None

    def jump(self) -> dict[str, Any]:
        """Move the clock to the next digest slot and run the scheduler's tick there (what APScheduler would do)."""
        slot = self.next_slot()
        if slot is None:
            return {"status": 409, "error": NO_DIGEST}
        self.clock.jump_to(slot)
        batch = self.scheduler.tick(slot)
        counts = {state: batch.count(state) for state in ("sent", "skipped", "failed", "taken")}
        return {"status": 200, "slot": slot.isoformat(), "outcomes": counts}

    def snapshot(self, viewer: str) -> dict[str, Any]:
        """Everything the page shows for `viewer`: people, sidebar, messages, the open modal, the clock."""
        slot = self.next_slot()
        with self.h.slack.lock, self._lock:
            names = {u.id: u.name for u in self.h.slack.users.values()}
            names |= {c.id: c.name for c in self.h.slack.channels.values() if c.name}
            return {
                "viewer": viewer,
                "people": PEOPLE,
                "names": names,
                "channels": channels(self.h.slack, viewer),
                "items": feed(self.h.slack, self.acks, self.sources, viewer),
                "modal": modal(self.h.slack, viewer),
                "now": self.clock().isoformat(timespec="seconds"),
                "next_digest": slot.isoformat() if slot is not None else None,
            }

    def file_bytes(self, file_id: str) -> bytes | None:
        """The uploaded bytes of a file the bot shared, or None."""
        with self.h.slack.lock:
            found = self.h.slack.files.get(file_id)
            return found.content if found is not None else None
