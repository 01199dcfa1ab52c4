"""`cekura-bot demo`: any `/cekura` command end to end on the built-in sandboxes, with no accounts or tokens.

Starts the Cekura and Slack sandboxes and the bot's real HTTP server on loopback, sends each command
as a signed slash command exactly as Slack would (typed by @alice in #general), waits until the bot
is idle, and prints what people would see: the ephemeral ack, later answers, channel messages and
DMs as readable text, forms it opens, chart file names. Edit requests go to #cekura-approvals, where
@carol is the approver; with `approve` she clicks *Approve*. Every channel message with its Block
Kit JSON and every chart PNG is written to the output folder.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.sandbox.demo_view import Transcript, approve_buttons

if TYPE_CHECKING:
    from bot.sandbox.harness import Harness

IDLE_TIMEOUT = 120.0  # seconds a single command may keep the bot busy (a whole dashboard renders in a few)


def run_demo(out: Path, texts: Sequence[str] | str = ("dashboard 12",), *, approve: bool = False) -> int:
    """Run each command in one demo session, print what Slack would show, write `out`; 0 on success."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from bot.sandbox.harness import DEMO_APPROVER, DEMO_CHANNEL, DEMO_SETTINGS, DEMO_USER, Harness

    commands = [texts] if isinstance(texts, str) else list(texts)
    timings: list[tuple[str, float, float]] = []  # (command, ack seconds, seconds until idle)
    began = time.monotonic()
    print("Starting the Cekura and Slack sandboxes and the bot (warming the render pool)…")
    try:
        with Harness.start(**DEMO_SETTINGS) as h:
            started = time.monotonic() - began
            print(f"  bot listening on {h.server.url}/slack/events")
            seen = Transcript(h.slack)
            acks: list[dict[str, Any]] = []
            ok = True
            for text in commands:
                seen.heading(f"/cekura {text}", DEMO_USER, DEMO_CHANNEL)
                sent = time.monotonic()
                ack = h.driver.command(text, user=DEMO_USER, channel=DEMO_CHANNEL)
                acks.append({"command": f"/cekura {text}", "status": ack.status, "ack": ack.json or ack.body})
                seen.ack(ack)
                ok = _settle(h, seen) and ok
                timings.append((text, ack.elapsed_ms / 1000, time.monotonic() - sent))
                for message in approve_buttons(seen.new_messages) if approve else []:
                    seen.heading("clicks [Approve]", DEMO_APPROVER, message.channel)
                    seen.ack(h.driver.block_action(message.action_id, message=message.message, user=DEMO_APPROVER))
                    ok = _settle(h, seen) and ok
            written = _write(out, h, acks)
    except Exception as exc:  # the demo reports any failure in one line instead of a traceback
        print(f"\nThe demo stopped: {exc.__class__.__name__}: {exc}")
        return 1
    print(f"\nWritten to {out.resolve()}:")
    print(f"  {out / 'messages.json'}  (the Block Kit JSON of each channel message, with its files)")
    for path in written:
        print(f"  {path}")
    print(f"\nTimings (start sandboxes + bot + warm render pool: {started * 1000:.0f} ms):")
    print(f"  {'/cekura …':<40} {'ack':>8} {'all done':>10}")
    for text, ack_s, done_s in timings:
        print(f"  {_short(text):<40} {ack_s * 1000:5.0f} ms {done_s * 1000:7.0f} ms")
    return 0 if ok else 1


def _settle(h: Harness, seen: Transcript) -> bool:
    """Wait until the bot has finished every job, then print what appeared; False if it never did."""
    idle = h.deps.wait_idle(IDLE_TIMEOUT)
    seen.news()
    if not idle:
        print(f"  (the bot was still working after {IDLE_TIMEOUT:.0f} s; what it did so far is above)")
    return idle


def _short(text: str) -> str:
    """A command shortened to fit the timings table."""
    return text if len(text) <= 40 else text[:39] + "…"


def _unique(path: Path, taken: list[Path]) -> Path:
    """`path`, or `name-2.png`, `name-3.png`… when an earlier chart of the session has that name."""
    n = 1
    candidate = path
    while candidate in taken:
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate


def _write(out: Path, h: Harness, acks: list[dict[str, Any]]) -> list[Path]:
    """Write messages.json, ack.json and every chart PNG of the session; the PNG paths."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    written: list[Path] = []
    messages = [m for m in h.slack.messages if m.files or m.blocks]
    for message in messages:
        for chart in message.files:
            path = _unique(out / (chart.filename or f"{chart.id}.png"), written)
            path.write_bytes(chart.content or b"")
            written.append(path)
    posted = [
        {
            "channel": m.channel,
            "ts": m.ts,
            "thread_ts": m.thread_ts,
            "text": m.text,
            "blocks": m.blocks,
            "files": [
                {"id": f.id, "title": f.title, "name": f.filename, "bytes": len(f.content or b"")} for f in m.files
            ],
        }
        for m in messages
    ]
    (out / "messages.json").write_text(json.dumps(posted, indent=2, ensure_ascii=False))
    (out / "ack.json").write_text(json.dumps(acks, indent=2, ensure_ascii=False))
    return written
