"""`cekura-bot demo`: the main job end to end on the built-in sandboxes, with no accounts or tokens.

Starts the Cekura and Slack sandboxes and the bot's real HTTP server on loopback, sends a signed
`/cekura dashboard 12` exactly as Slack would, and writes what landed in the channel — the message's
Block Kit JSON and every chart PNG — to the output folder, with the time each step took.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from bot.errors import BotError


def run_demo(out: Path, text: str = "dashboard 12") -> int:
    """Run the demo, write its output under `out`, print where it is; 0 on success."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from bot.sandbox.harness import Harness

    timings: list[tuple[str, float]] = []
    began = time.monotonic()
    print("Starting the Cekura and Slack sandboxes and the bot (warming the render pool)…")
    with Harness.start() as h:
        timings.append(("start sandboxes + bot + warm render pool", time.monotonic() - began))
        print(f"  bot listening on {h.server.url}/slack/events")
        print(f"> /cekura {text}")
        sent = time.monotonic()
        ack = h.driver.command(text, channel="C_GENERAL")
        timings.append(("Slack → bot → ack (HTTP round trip)", ack.elapsed_ms / 1000))
        print(f"  ack {ack.status} in {ack.elapsed_ms:.0f} ms: {_ack_text(ack.json)}")
        expected = _expected_files(h, text)
        try:
            messages = h.wait_for_files(expected, timeout=60)
        except AssertionError as exc:
            print(f"The bot did not post the charts: {exc}")
            return 1
        timings.append(("command → every chart posted", time.monotonic() - sent))
        out.mkdir(parents=True, exist_ok=True)
        for old in out.glob("*.png"):
            old.unlink()
        written = []
        for message in messages:
            for chart in message.files:
                path = out / (chart.filename or f"{chart.id}.png")
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
        (out / "ack.json").write_text(json.dumps(ack.json, indent=2, ensure_ascii=False))
    print(f"\nPosted {len(messages)} message(s) with {len(written)} chart(s). Written to {out.resolve()}:")
    print(f"  {out / 'messages.json'}  (the Block Kit JSON of each message, with its files)")
    for path in written:
        print(f"  {path}")
    print("\nTimings:")
    for step, seconds in timings:
        print(f"  {step:<45} {seconds * 1000:8.0f} ms")
    return 0


def _ack_text(body: object) -> str:
    return str(body.get("text", "")) if isinstance(body, dict) else str(body)


def _expected_files(h: object, text: str) -> int:
    from bot.sandbox.harness import Harness

    assert isinstance(h, Harness)
    words = text.split()
    if len(words) >= 2 and words[0] in ("dashboard", "dash", "d") and words[1].isdigit():
        return h.widget_count(int(words[1]))
    if words and words[0] in ("widget", "w"):
        return 1
    raise BotError("the demo posts charts: use `dashboard <id> …` or `widget <id> …`")
