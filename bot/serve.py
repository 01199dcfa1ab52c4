"""`cekura-bot serve`: start fast, run until SIGTERM/SIGINT, then drain within SHUTDOWN_GRACE_SECONDS.

Start: the port is bound first (so /healthz answers and a taken port fails at once), the render
workers warm up in the background while the database is migrated and the app is wired, and
/readyz turns 200 once everything is in place.

Stop: /readyz turns 503 and new commands and clicks get "restarting, try again"; the schedulers
stop triggering; work in flight (chart posts, deliveries, applies) gets the grace to finish. Whatever
has not finished by then has its digest claims released, so another replica takes them over at
once instead of after the lease, and the process exits 0 without waiting for it.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.lifecycle import DATABASE_CHECK_CACHE_S, Check, Lifecycle, database_check, warm_in_background

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.deps import Deps
    from bot.metrics import Metrics
    from bot.render_pool import RenderPool
    from bot.server import BotServer

log = logging.getLogger("bot")


@dataclass
class Head:
    """What `serve` starts before anything else: the render workers take longest to be ready."""

    metrics: Metrics
    renderer: RenderPool
    warm: Check


def head_start() -> Head:
    """Start the render workers warming (before the settings are read: they need none)."""
    from bot.render_pool import start_forkserver

    start_forkserver()  # already running when bot.cli started it, before importing this module

    from bot.metrics import Metrics
    from bot.metrics_hooks import TimedRenderPool

    metrics = Metrics()
    renderer = TimedRenderPool(None, metrics)
    return Head(metrics, renderer, warm_in_background(renderer.warm))


def serve(settings: Settings, head: Head | None = None) -> int:
    """Run the bot until SIGINT/SIGTERM: HTTP mode on PORT, or Socket Mode with the probes on METRICS_PORT."""
    from bot import kill_points

    started = time.monotonic()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())  # from the first moment: a SIGTERM while starting drains too
    kill_points.arm(settings.cekura_bot_kill_at)  # tests only; unset in production
    head = head or head_start()
    life, metrics, renderer = Lifecycle(), head.metrics, head.renderer
    life.require("render pool", head.warm)
    # The Slack check's round trips overlap the imports still to come; its answer is awaited below.
    starting = ThreadPoolExecutor(max_workers=1, thread_name_prefix="start-check")
    auth_check = starting.submit(_check_slack, settings)
    starting.shutdown(wait=False)  # the thread ends with the call
    try:
        server = _listen(*probe_port(settings), metrics, life)
    except BaseException:
        renderer.close()  # before exiting: a worker still starting would die with a traceback
        raise
    try:
        auth = auth_check.result()  # a wrong token or URL stops here, before the database is touched
        deps = _build(settings, metrics, life, renderer)
    except BaseException:
        server.stop()
        renderer.close()
        raise
    try:
        running = _run(settings, deps, server, stop, started, auth)
    except BaseException:
        server.stop()
        deps.close()
        raise
    return _drain(settings, deps, server, running)


def _check_slack(settings: Settings) -> Any:
    from bot.slack.retry import slack_client
    from bot.startup import check_slack

    return check_slack(slack_client(settings), settings.slack_api_url)


def probe_port(settings: Settings) -> tuple[str, int]:
    """The setting and port the HTTP server binds: PORT, or METRICS_PORT in Socket Mode when set."""
    # Socket Mode needs no public port for Slack; the probes and /metrics still need one.
    if settings.socket_mode and settings.metrics_port is not None:
        return "METRICS_PORT", settings.metrics_port
    return "PORT", settings.port


def _build(settings: Settings, metrics: Metrics, life: Lifecycle, renderer: RenderPool) -> Deps:
    from bot.deps import build_deps

    deps = build_deps(settings, metrics=metrics, lifecycle=life, renderer=renderer)
    engine = deps.db.kw["bind"]
    life.require("database", database_check(engine), cache_s=DATABASE_CHECK_CACHE_S)
    return deps


def _run(
    settings: Settings, deps: Deps, server: BotServer, stop: threading.Event, started: float, auth: Any
) -> dict[str, Any]:
    """Wire and start everything, serve until `stop`; what must be drained."""
    from bot.alerts.scheduler import AlertScheduler
    from bot.app import create_app
    from bot.digests.scheduler import DigestScheduler
    from bot.startup import quiet, slack_errors

    app = create_app(settings, deps, auth)  # Bolt reuses the auth.test answer of the start-up check
    socket_handler = None
    if settings.socket_mode:
        from bot.slack.socket import TimedSocketModeHandler

        assert settings.slack_app_token is not None
        token = settings.slack_app_token.get_secret_value()
        socket_handler = TimedSocketModeHandler(app, token, metrics=deps.metrics, ack_first=deps.ack_first)
        # A refused token is reported once, by the StartupError, not also by Bolt's own ERROR line.
        with slack_errors(settings.slack_api_url, token="SLACK_APP_TOKEN"), quiet(app.logger.name):
            socket_handler.connect()  # type: ignore[no-untyped-call]
        deps.lifecycle.require("Slack socket", socket_handler.problem)
        server.socket_mode()  # the events path says so, instead of "starting" for ever
    else:
        server.serve_slack(app)
    periodic = deps.periodic  # the edit timers, registered by the edit listeners
    periodic.start()
    digests = DigestScheduler(deps)
    digests.start()
    alerting = AlertScheduler(deps.alert_evaluator, deps.clock)  # the evaluator was built by create_app
    alerting.start()
    for name, scheduler in (("edit timers", periodic), ("digest scheduler", digests), ("alert scheduler", alerting)):
        deps.lifecycle.require(name, _running_check(scheduler))
    gc.freeze()  # what start-up loaded lives as long as the process: no collection needs to look at it
    gc.enable()  # (disabled by bot.cli for the start)
    server.ready.set()
    mode = "Socket Mode" if settings.socket_mode else f"HTTP on :{server.port}/slack/events"
    log.info("cekura-bot started in %.2f s (%s); ready once the render pool is warm", time.monotonic() - started, mode)
    stop.wait()
    return {"socket": socket_handler, "periodic": periodic, "digests": digests, "alerting": alerting}


def _running_check(scheduler: Any) -> Callable[[], str | None]:
    return lambda: None if scheduler.running else "not running"


def _drain(settings: Settings, deps: Deps, server: BotServer, running: dict[str, Any]) -> int:
    """Stop taking work, let work in flight finish within the grace, release what did not; exit 0."""
    grace = settings.shutdown_grace_seconds
    deadline = time.monotonic() + grace
    deps.lifecycle.draining.set()  # /readyz 503 and "restarting" answers from now on
    log.info("SIGTERM: draining for up to %.0f s (SHUTDOWN_GRACE_SECONDS)", grace)
    stops: dict[str, Callable[[], Any]] = {
        "edit timers": running["periodic"].shutdown,
        "digest deliveries": running["digests"].shutdown,
        "alert evaluations": running["alerting"].shutdown,
        "commands and applies": lambda: deps.wait_idle(timeout=grace),
    }
    if running["socket"] is not None:
        # Slack sends the next events to the other connections. Closing can take slack_sdk's 3 s
        # receive timeout, so it runs beside the other stops, not before them.
        stops["Slack socket"] = running["socket"].close
    threads = {name: threading.Thread(target=fn, name=f"drain-{name}", daemon=True) for name, fn in stops.items()}
    for thread in threads.values():
        thread.start()
    for thread in threads.values():
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    unfinished = [name for name, thread in threads.items() if thread.is_alive()]
    if unfinished or not deps.wait_idle(timeout=0):
        released = deps.ledger.release(running["digests"].worker)
        alert_claims = deps.alerts.release(deps.alert_evaluator.worker)
        log.warning(
            "drain: %s still running after %.0f s; %d digest and %d alert claim(s) released for another "
            "replica; exiting",
            ", ".join(unfinished) or "jobs",
            grace,
            released,
            alert_claims,
        )
        server.stop()
        logging.shutdown()  # flush: os._exit skips it
        sys.stdout.flush()
        os._exit(0)  # the unfinished threads must not post after their claims were released
    server.stop()
    deps.close()
    log.info("drained: every job finished; bye")
    return 0


def _listen(name: str, port: int, metrics: Metrics, life: Lifecycle) -> BotServer:
    from bot.server import BotServer
    from bot.startup import StartupError

    try:
        return BotServer(None, port=port, metrics=metrics, lifecycle=life).start()
    except OSError as exc:  # EADDRINUSE, or a port below 1024 without the right
        raise StartupError(
            f"Cannot listen on {name} {port}: {exc.strerror or exc}. Set {name} to a free port."
        ) from exc
