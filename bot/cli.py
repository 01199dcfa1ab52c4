"""`cekura-bot serve | check | render | demo`: the command-line entry points."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from pathlib import Path

from bot.config import Settings, load_settings

log = logging.getLogger("bot")


def serve(settings: Settings) -> int:
    """Run the bot until SIGINT/SIGTERM: HTTP mode on PORT, or Socket Mode with /healthz on PORT."""
    from bot.app import create_app
    from bot.deps import build_deps
    from bot.server import BotServer

    started = time.monotonic()
    deps = build_deps(settings)
    deps.renderer.warm()
    app = create_app(settings, deps)
    server = BotServer(None if settings.socket_mode else app, port=settings.port, metrics=deps.metrics).start()
    socket_handler = None
    if settings.socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        assert settings.slack_app_token is not None
        socket_handler = SocketModeHandler(app, settings.slack_app_token.get_secret_value())
        socket_handler.connect()  # type: ignore[no-untyped-call]
    from bot.periodic import Periodic
    from handlers.edits import expire_sweep

    periodic = Periodic()
    periodic.every(60, lambda: expire_sweep(deps), "edit-expiry")
    periodic.start()
    from bot.digests.scheduler import DigestScheduler

    digests = DigestScheduler(deps)
    digests.start()
    server.ready.set()
    mode = "Socket Mode" if settings.socket_mode else f"HTTP on :{server.port}/slack/events"
    log.info("cekura-bot ready in %.1f s (%s)", time.monotonic() - started, mode)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    log.info("shutting down: finishing running jobs")
    server.ready.clear()
    periodic.shutdown()
    if socket_handler is not None:
        socket_handler.close()  # type: ignore[no-untyped-call]
    server.stop()
    digests.shutdown()
    deps.close()
    return 0


def check(settings: Settings) -> int:
    """Verify the settings and that Slack and Cekura accept the credentials."""
    from slack_sdk.errors import SlackApiError

    from bot.cekura import CekuraClient
    from bot.deps import slack_client
    from bot.errors import BotError

    ok = True
    try:
        auth = slack_client(settings).auth_test()
        print(f"Slack:  ok — bot {auth.get('user')} in team {auth.get('team')}")
    except SlackApiError as exc:
        ok = False
        print(f"Slack:  FAILED — {exc.response.get('error')} (check SLACK_BOT_TOKEN and SLACK_API_URL)")
    except OSError as exc:
        ok = False
        print(f"Slack:  FAILED — cannot reach {settings.slack_api_url}: {exc.__class__.__name__}")
    key = settings.cekura_api_key.get_secret_value() if settings.cekura_api_key else ""
    try:
        with CekuraClient(settings.cekura_base_url, key, max_attempts=2) as cekura:
            count = len(cekura.list_dashboards())
        print(f"Cekura: ok — {count} dashboards visible at {settings.cekura_base_url}")
    except BotError as exc:
        ok = False
        print(f"Cekura: FAILED — {exc}")
    return 0 if ok else 1


def render(settings: Settings, dashboard_id: int, out: Path, since: str | None, where: str | None) -> int:
    """Write a dashboard's charts as PNG files, without Slack."""
    from bot.deps import build_deps
    from bot.errors import BotError
    from bot.query import parse_query

    deps = build_deps(settings)
    try:
        text = " ".join(p for p in (f"since {since}" if since else "", f"where {where}" if where else "") if p)
        report = deps.service.dashboard_report(dashboard_id, parse_query(text, deps.clock()))
    except BotError as exc:
        print(f"cekura-bot: {exc}", file=sys.stderr)
        return 1
    finally:
        deps.close()
    out.mkdir(parents=True, exist_ok=True)
    print(f"{report.title} — {report.scope}")
    for widget in report.widgets:
        path = out / f"widget-{widget.view.widget_id}.png"
        path.write_bytes(widget.png)
        print(f"  {path}  {widget.view.title}: {widget.view.key_figure}")
    for title, why in report.failures:
        print(f"  not charted: {title}: {why}")
    return 0 if not report.failures else 1


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen command."""
    parser = argparse.ArgumentParser(
        prog="cekura-bot",
        description="Cekura dashboards in Slack: run the bot, check its settings, render charts, or try it offline.",
        epilog="Settings come from environment variables (or .env); see README.md. COMMAND -h shows its options.",
    )
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", help="one of these (cekura-bot COMMAND -h shows its options):"
    )
    sub.add_parser(
        "serve",
        help="run the bot (HTTP mode, or Socket Mode when SLACK_APP_TOKEN is set)",
        description="Run the bot until SIGINT/SIGTERM: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on PORT.",
    )
    sub.add_parser(
        "check",
        help="verify settings and connectivity (Slack auth.test, one Cekura call)",
        description="Check the settings, then that Slack (auth.test) and Cekura (one call) accept the credentials.",
    )
    render_p = sub.add_parser(
        "render",
        help="write a dashboard's charts as PNGs, without Slack",
        description="Fetch a Cekura dashboard and write one PNG chart per widget to a folder, without Slack.",
    )
    render_p.add_argument("dashboard_id", type=int, help="the Cekura dashboard id, e.g. 12")
    render_p.add_argument("--out", type=Path, required=True, help="folder to write the PNG files to")
    render_p.add_argument("--since", help="range, e.g. 7d or 24h (at most 30 days)")
    render_p.add_argument("--where", help='filter, e.g. "duration >= 60 and success = true"')
    demo_p = sub.add_parser(
        "demo",
        help="try any /cekura command on the built-in sandboxes; no accounts needed",
        description=(
            "Start fake Slack and Cekura servers and the real bot on this machine, type each --text as "
            "/cekura in #general, and print what Slack would show. Chart PNGs and the messages' Block Kit "
            "JSON are written to --out."
        ),
    )
    demo_p.add_argument("--out", type=Path, default=Path("demo-out"), help="folder for messages.json and the PNGs")
    demo_p.add_argument(
        "--text",
        action="append",
        help='what to type after /cekura (repeat to run several in order); default "dashboard 12"',
    )
    demo_p.add_argument(
        "--approve",
        action="store_true",
        help="let the demo approver (@carol) click Approve on each edit request the commands propose",
    )
    args = parser.parse_args(argv)

    if args.command == "demo":
        from bot.demo import run_demo

        return run_demo(args.out, args.text or ["dashboard 12"], approve=args.approve)
    settings = load_settings(args.command)
    from bot.logs import setup_logging

    setup_logging(settings)
    if args.command == "serve":
        return serve(settings)
    if args.command == "check":
        return check(settings)
    return render(settings, args.dashboard_id, args.out, args.since, args.where)


if __name__ == "__main__":
    sys.exit(main())
