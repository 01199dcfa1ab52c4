"""Where the process is in its life — starting, ready, draining — which `/readyz` reports.

    life = Lifecycle()
    life.require("database", database_check(engine), cache_s=DATABASE_CHECK_CACHE_S)
    life.require("render pool", warm_in_background(deps.renderer.warm))
    life.started.set()      # every part is built
    life.problems()         # [] → /readyz answers 200, else 503 with these lines
    life.draining.set()     # SIGTERM: /readyz 503, new work refused

`/healthz` is liveness only (the process serves HTTP); `/readyz` is what a load balancer and a
Kubernetes readiness probe ask: send me traffic? A check may be slow (the database), so its answer
is kept for a moment: probes from several places must not become a load of their own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine

log = logging.getLogger(__name__)
Check = Callable[[], str | None]
DATABASE_CHECK_CACHE_S = 2.0  # probes every few seconds from several places must not load the database


class Lifecycle:
    """The readiness checks of one process, and its `started` and `draining` flags."""

    def __init__(self) -> None:
        self.started = threading.Event()  # every part built and wired
        self.draining = threading.Event()  # SIGTERM received: finishing, taking no new work
        self._checks: dict[str, tuple[Check, float]] = {}
        self._cache: dict[str, tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    def require(self, name: str, check: Check, *, cache_s: float = 0.0) -> None:
        """Add a readiness condition: `check()` returns None when fine, else what is wrong; a slow
        check gets `cache_s`, how long its answer is kept."""
        self._checks[name] = (check, cache_s)

    def problems(self) -> list[str]:
        """Why the process is not ready, one line per reason; empty when ready."""
        if self.draining.is_set():
            return ["draining: shutting down, finishing work in flight"]
        found = [] if self.started.is_set() else ["starting"]
        for name, (check, cache_s) in list(self._checks.items()):
            problem = self._cached(name, check, cache_s)
            if problem is not None:
                found.append(f"{name}: {problem}")
        return found

    def _cached(self, name: str, check: Check, cache_s: float) -> str | None:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(name)
        if hit is not None and now - hit[0] < cache_s:
            return hit[1]
        try:
            problem = check()
        except Exception as exc:  # a check must never take the probe down with it
            problem = f"check failed ({exc.__class__.__name__})"
        with self._lock:
            self._cache[name] = (now, problem)
        return problem


def database_check(engine: Engine) -> Check:
    """A check that the database answers and is migrated at least as far as this code needs.

    A schema newer than this code (a revision it does not know) is fine: during a rolling upgrade
    the new release migrates first, and migrations only add, so the old replicas stay in service.
    """
    from bot.db import HEAD, REVISIONS, schema_revision

    older = set(REVISIONS) - {HEAD}

    def check() -> str | None:
        try:
            current = schema_revision(engine)
        except Exception as exc:
            log.warning("readiness: database unreachable (%s)", exc.__class__.__name__)
            return f"unreachable ({exc.__class__.__name__})"
        if current is None or current in older:
            return f"schema at {current or 'nothing'}, this release needs {HEAD}"
        return None

    return check


def warm_in_background(warm: Callable[[], None]) -> Check:
    """Run `warm()` (start the render workers) in a thread; the check says whether it is done."""
    state: dict[str, str | None] = {"problem": "warming up"}

    def run() -> None:
        started = time.monotonic()
        try:
            warm()
        except Exception as exc:
            log.exception("the render pool did not start; /readyz stays 503")
            state["problem"] = f"did not start ({exc.__class__.__name__}); see the log"
            return
        state["problem"] = None
        log.info("render pool warm in %.1f s", time.monotonic() - started)

    threading.Thread(target=run, name="render-warm", daemon=True).start()
    return lambda: state["problem"]
