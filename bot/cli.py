"""`cekura-bot serve | check | render | demo | playground | gallery`: the command-line entry points.

The imports are inside the functions on purpose: every render worker imports the main module again
(multiprocessing does so for `python -m bot.cli` and for the `cekura-bot` script alike), and a
module this light costs each of them nothing instead of pydantic and SQLAlchemy.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger("bot")


def check(settings: Settings) -> int:
    """Verify the settings, that Slack and Cekura accept the credentials, and the database; 2 if any fails."""
    from bot.cekura import CekuraClient
    from bot.db import schema_status
    from bot.errors import BotError, UpstreamError
    from bot.slack.retry import slack_client
    from bot.startup import EXIT_STATUS, StartupError, cekura_problem, check_slack, quiet

    failed = False

    def report(service: str, line: str, ok: bool = True) -> None:
        nonlocal failed
        failed = failed or not ok
        print(f"{service + ':':<9} {'ok' if ok else 'FAILED'} — {line}")

    try:
        auth = check_slack(slack_client(settings), settings.slack_api_url)
        report("Slack", f"bot {auth.get('user')} in team {auth.get('team')}")
    except StartupError as exc:
        report("Slack", str(exc), ok=False)
    key = settings.cekura_api_key.get_secret_value() if settings.cekura_api_key else ""
    try:
        with CekuraClient(settings.cekura_base_url, key, max_attempts=2) as cekura, quiet("bot.cekura"):
            count = len(cekura.list_dashboards())
        report("Cekura", f"{count} dashboards visible at {settings.cekura_base_url}")
    except UpstreamError as exc:  # "try again in a minute" is wrong when the URL itself is wrong
        report("Cekura", cekura_problem(exc, settings.cekura_base_url) or str(exc), ok=False)
    except BotError as exc:
        report("Cekura", str(exc), ok=False)
    try:
        with quiet("alembic"):
            report("Database", schema_status(settings.database_url))
    except StartupError as exc:
        report("Database", str(exc), ok=False)
    return EXIT_STATUS if failed else 0


def render(settings: Settings, dashboard_id: int, out: Path, since: str | None, where: str | None) -> int:
    """Write a dashboard's charts as PNG files, without Slack."""
    from bot.deps import build_deps
    from bot.errors import BotError, UpstreamError
    from bot.query import parse_query
    from bot.startup import StartupError, cekura_problem, writable_folder

    writable_folder(out, "--out")
    deps = build_deps(settings)
    try:
        text = " ".join(p for p in (f"since {since}" if since else "", f"where {where}" if where else "") if p)
        report = deps.service.dashboard_report(dashboard_id, parse_query(text, deps.clock()))
    except UpstreamError as exc:
        problem = cekura_problem(exc, settings.cekura_base_url)
        if problem is not None:
            raise StartupError(problem) from exc
        print(f"cekura-bot: {exc}", file=sys.stderr)
        return 1
    except BotError as exc:
        print(f"cekura-bot: {exc}", file=sys.stderr)
        return 1
    finally:
        deps.close()
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
        help="verify settings and connectivity (Slack auth.test, one Cekura call, the database schema)",
        description="Check the settings, the Slack and Cekura credentials, and the database schema.",
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
    play_p = sub.add_parser(
        "playground",
        help="a Slack-like web page on this machine to try the bot by hand; no accounts needed",
        description="Start the sandboxes and the real bot, and serve a Slack-like page on 127.0.0.1 to try it.",
    )
    play_p.add_argument("--port", type=int, default=8080, help="port of the page on 127.0.0.1 (default 8080)")
    play_p.add_argument("--open", action="store_true", help="open the page in the default web browser")
    gallery_p = sub.add_parser(
        "gallery",
        help="render every chart kind and edge case as PNGs, plus a contact sheet",
        description="Draw every chart kind, period, range and edge case, plus a contact sheet at Slack's preview size.",
    )
    gallery_p.add_argument("--out", type=Path, default=Path("gallery-out"), help="folder to write the PNGs to")
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except Exception as exc:
        return _failed(args.command, exc)


def _failed(command: str, exc: Exception) -> int:
    """Report a failed command: one line naming the fix for a known start-up failure, else a reference."""
    from bot.errors import new_reference
    from bot.startup import EXIT_STATUS, StartupError

    if isinstance(exc, StartupError):
        print(f"cekura-bot: {exc}", file=sys.stderr)
        return EXIT_STATUS
    reference = new_reference()  # not one of the known start-up failures: a bug, or something new
    log.critical("cekura-bot %s failed (reference %s)", command, reference, exc_info=exc)
    print(
        f"cekura-bot: {command} failed unexpectedly ({exc.__class__.__name__}); reference {reference}. "
        "The log above has the details.",
        file=sys.stderr,
    )
    return 1


def _run(args: argparse.Namespace) -> int:
    head = None
    if args.command == "serve":
        import gc

        gc.disable()  # until serve is ready: start-up makes almost no garbage, and collecting costs ~10 %
        from bot.render_pool import start_forkserver

        start_forkserver()  # first of all: it has matplotlib to import and a chart to draw, the slowest part
        from bot.serve import head_start

        head = head_start()  # before any other import: the render workers take longest to be ready
    from bot.config import load_settings
    from bot.startup import writable_folder

    if args.command == "gallery":
        from bot.gallery import write_gallery

        return 0 if write_gallery(args.out) else 1
    if args.command == "demo":
        from bot.demo import run_demo

        writable_folder(args.out, "--out")
        return run_demo(args.out, args.text or ["dashboard 12"], approve=args.approve)
    if args.command == "playground":
        from bot.playground.run import run_playground

        return run_playground(args.port, open_browser=args.open)
    try:
        settings = load_settings(args.command)
    except BaseException:
        if head is not None:
            head.renderer.close()
        raise
    from bot.logs import setup_logging

    setup_logging(settings)
    if args.command == "serve":
        from bot.serve import serve

        return serve(settings, head)
    if args.command == "check":
        return check(settings)
    return render(settings, args.dashboard_id, args.out, args.since, args.where)


if __name__ == "__main__":
    sys.exit(main())
