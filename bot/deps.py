"""The bot's long-lived parts, built once from the settings and passed to every listener.

deps = build_deps(settings)
app = create_app(settings, deps)
...
deps.close()
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.access import ChannelAccess
from bot.ack_first import AckFirst
from bot.alerts import AlertStore, MayUse
from bot.alerts.access import AccessRules
from bot.cekura import CekuraClient
from bot.config import Settings
from bot.dashboards import DashboardService
from bot.db import open_database, session_factory
from bot.deadlines import Deadline, job
from bot.digests import DeliveryLedger, DigestStore
from bot.edits.service import EditService
from bot.edits.store import EditStore
from bot.lifecycle import Lifecycle
from bot.metrics import Metrics
from bot.metrics_hooks import SlackAnswers, TimedRenderPool
from bot.periodic import Periodic
from bot.render_pool import RenderPool
from bot.slack.post import SlackPoster
from bot.slack.retry import slack_client

Clock = Callable[[], datetime]
JobKind = Literal["cekura", "local"]
"""Which pool a job runs on: `cekura` (waits on Cekura) or `local` (database and Slack only)."""
# Cekura-bound jobs are capped so a hanging Cekura holds at most this many threads; the local
# pool is separate so `/cekura requests` and friends never queue behind them.
CEKURA_JOBS = 16
LOCAL_JOBS = 8


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


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
    digest_notifier: Any = None  # bot.digests.notify.NotifierFactory, wired by handlers.digests.register
    alert_evaluator: Any = None  # bot.alerts.evaluate.Evaluator, built at wiring time with its notifier
    local: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=LOCAL_JOBS, thread_name_prefix="local")
    )
    metrics: Metrics = field(default_factory=Metrics)  # this bot's own registry, served on /metrics
    lifecycle: Lifecycle = field(default_factory=Lifecycle)  # what /readyz reports; draining after SIGTERM
    periodic: Periodic = field(default_factory=Periodic)  # timers the listeners register; `serve` starts them
    ack_first: AckFirst = field(default_factory=AckFirst)  # jobs start after the acks in flight
    _running: set[Future[Any]] = field(default_factory=set)
    _running_lock: threading.Lock = field(default_factory=threading.Lock)

    def submit(self, fn: Callable[..., Any], *args: Any, kind: JobKind = "cekura", what: str = "job") -> Future[Any]:
        """Run slow work after an ack on its kind's pool, under the command's deadline; `what` names it in metrics."""
        # The deadline starts now, at the ack, so time spent queued for a thread counts against it.
        deadline = Deadline.after(self.settings.cekura_deadline_s)
        pool = self.jobs if kind == "cekura" else self.local
        # In a copy of this thread's context, so the job's log lines carry the request's fields.
        run = self.metrics.job(what, contextvars.copy_context().run)
        future = pool.submit(run, _run_under, self.ack_first, deadline, fn, *args)
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
        self.local.shutdown(wait=True, cancel_futures=False)
        self.io.shutdown(wait=True)
        self.renderer.close()
        self.poster.close()
        self.cekura.close()
        engine = self.db.kw.get("bind")
        if engine is not None:
            engine.dispose()


def _run_under(ack_first: AckFirst, deadline: Deadline, fn: Callable[..., Any], *args: Any) -> Any:
    ack_first.wait_turn()  # a burst of commands is acked before its slow work competes for the GIL
    with job(deadline):
        return fn(*args)


def build_deps(
    settings: Settings,
    *,
    render_workers: int | None = None,
    clock: Clock = utc_now,
    cekura: CekuraClient | None = None,
    slack: WebClient | None = None,
    metrics: Metrics | None = None,
    lifecycle: Lifecycle | None = None,
    renderer: RenderPool | None = None,
) -> Deps:
    """Build the clients and pools for `settings` (render_workers=0 renders in-thread, for tests);
    `renderer` is a pool already warming (serve starts it first: it takes longest)."""
    # Migrations run at every start: they are idempotent, and a new version's tables appear by themselves.
    # First, so a database that cannot be opened stops the start before any pool or client exists.
    engine = open_database(settings.database_url)
    key = settings.cekura_api_key.get_secret_value() if settings.cekura_api_key else ""
    metrics = metrics if metrics is not None else Metrics()
    cekura = cekura or CekuraClient(
        settings.cekura_base_url,
        key,
        timeout=settings.cekura_attempt_timeout_s,
        deadline=settings.cekura_deadline_s,
        event_hooks=metrics.cekura_hooks(),
        on_retry=metrics.cekura_retry,
    )
    slack = slack or slack_client(settings)
    slack.retry_handlers.insert(0, SlackAnswers(metrics))  # first, so it sees every answer
    # Jobs wait on I/O and on the render pool, so they are threads; I/O fan-out gets its own pool
    # so a job waiting on its uploads can never starve them.
    jobs = ThreadPoolExecutor(max_workers=CEKURA_JOBS, thread_name_prefix="job")
    io = ThreadPoolExecutor(max_workers=48, thread_name_prefix="io")
    renderer = renderer if renderer is not None else TimedRenderPool(render_workers, metrics)
    service = DashboardService(cekura, renderer, io, tz=settings.timezone, clock=clock)
    poster = SlackPoster(slack, io)
    db = session_factory(engine)
    edits = EditStore(db, clock, on_transition=metrics.edit_transition)
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
        ledger=DeliveryLedger(
            db, clock, lease=timedelta(seconds=settings.digest_lease_seconds), observe=metrics.delivery
        ),
        editing=EditService(cekura, edits, settings, group_members),
        access=access,
        alerts=AlertStore(db, clock, stale_after=timedelta(seconds=settings.alert_claim_stale_seconds)),
        alert_rules=AccessRules(access),
        clock=clock,
        metrics=metrics,
        lifecycle=lifecycle if lifecycle is not None else Lifecycle(),
    )
