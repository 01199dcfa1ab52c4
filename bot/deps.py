"""The bot's long-lived parts, built once from the settings and passed to every listener.

deps = build_deps(settings)
app = create_app(settings, deps)
...
deps.close()
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from sqlalchemy.orm import Session, sessionmaker

from bot.access import ChannelAccess
from bot.alerts import AlertStore, MayUse
from bot.alerts.access import AccessRules
from bot.cekura import CekuraClient
from bot.config import Settings
from bot.dashboards import DashboardService
from bot.db import open_database, session_factory
from bot.digests import DeliveryLedger, DigestStore
from bot.edits.service import EditService
from bot.edits.store import EditStore
from bot.render_pool import RenderPool
from bot.slack_post import SlackPoster

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def slack_client(settings: Settings) -> WebClient:
    """A WebClient for the configured Slack, retrying connection errors, 5xx and 429 (Retry-After)."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return WebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=30,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=4),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


@dataclass
class Deps:
    """Everything a listener or job needs; owns the pools and clients and closes them."""

    settings: Settings
    cekura: CekuraClient
    slack: WebClient
    renderer: RenderPool
    io: ThreadPoolExecutor
    jobs: ThreadPoolExecutor
    poster: SlackPoster
    service: DashboardService
    db: sessionmaker[Session]
    edits: EditStore
    digests: DigestStore
    ledger: DeliveryLedger
    editing: EditService
    access: ChannelAccess  # who may use what belongs to a channel (members and ADMINS)
    alerts: AlertStore
    alert_rules: MayUse  # who may see and change a channel's alerts (members and ADMINS)
    clock: Clock = utc_now
    alert_evaluator: Any = None  # bot.alerts.evaluate.Evaluator, built at wiring time with its notifier
    _running: set[Future[Any]] = field(default_factory=set)
    _running_lock: threading.Lock = field(default_factory=threading.Lock)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Run slow work (after an ack) on the job pool, keeping track of it until it ends."""
        future = self.jobs.submit(fn, *args)
        with self._running_lock:
            self._running.add(future)
        future.add_done_callback(self._finished)
        return future

    def _finished(self, future: Future[Any]) -> None:
        with self._running_lock:
            self._running.discard(future)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until no job is running (tests and shutdown); False if some are still running."""
        with self._running_lock:
            running = list(self._running)
        _, not_done = wait(running, timeout=timeout)
        return not not_done

    def close(self) -> None:
        """Stop the pools and close the clients."""
        self.jobs.shutdown(wait=True, cancel_futures=False)
        self.io.shutdown(wait=True)
        self.renderer.close()
        self.poster.close()
        self.cekura.close()
        engine = self.db.kw.get("bind")
        if engine is not None:
            engine.dispose()


def build_deps(
    settings: Settings,
    *,
    render_workers: int | None = None,
    clock: Clock = utc_now,
    cekura: CekuraClient | None = None,
    slack: WebClient | None = None,
) -> Deps:
    """Build the clients and pools for `settings` (render_workers=0 renders in-thread, for tests)."""
    # Migrations run at every start: they are idempotent, and a new version's tables appear by themselves.
    # First, so a database that cannot be opened stops the start before any pool or client exists.
    engine = open_database(settings.database_url)
    key = settings.cekura_api_key.get_secret_value() if settings.cekura_api_key else ""
    cekura = cekura or CekuraClient(settings.cekura_base_url, key)
    slack = slack or slack_client(settings)
    # Jobs wait on I/O and on the render pool, so they are threads; I/O fan-out gets its own pool
    # so a job waiting on its uploads can never starve them.
    jobs = ThreadPoolExecutor(max_workers=24, thread_name_prefix="job")
    io = ThreadPoolExecutor(max_workers=48, thread_name_prefix="io")
    renderer = RenderPool(render_workers)
    service = DashboardService(cekura, renderer, io, tz=settings.timezone, clock=clock)
    poster = SlackPoster(slack, io)
    db = session_factory(engine)
    edits = EditStore(db, clock)
    access = ChannelAccess(slack, settings.admins)

    def group_members(group_id: str) -> list[str]:
        users: list[object] = slack.usergroups_users_list(usergroup=group_id).get("users") or []
        return [str(u) for u in users]

    return Deps(
        settings,
        cekura,
        slack,
        renderer,
        io,
        jobs,
        poster,
        service,
        db,
        edits=edits,
        digests=DigestStore(db, clock),
        ledger=DeliveryLedger(db, clock),
        editing=EditService(cekura, edits, settings, group_members),
        access=access,
        alerts=AlertStore(db, clock),
        alert_rules=AccessRules(access),
        clock=clock,
    )
