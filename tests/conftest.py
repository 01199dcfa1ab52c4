"""Shared fixtures: a clean environment, and one running bot + sandboxes for the end-to-end tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

SETTING_PREFIXES = (
    "SLACK_",
    "CEKURA_",
    "DATABASE_URL",
    "PORT",
    "TIMEZONE",
    "LOG_LEVEL",
    "APPROVERS",
    "EDITORS",
    "APPROVALS_CHANNEL",
    "ALLOW_SELF_APPROVAL",
    "EDIT_REQUEST_TTL_HOURS",
    "DIGEST_",
)


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings come from the test, never from the developer's shell."""
    for name in list(os.environ):
        if name.startswith(SETTING_PREFIXES):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def bot_harness() -> Iterator[object]:
    """The bot's real HTTP server with both sandboxes, shared by the end-to-end tests."""
    from bot.sandbox.harness import Harness

    harness = Harness.start()
    yield harness
    harness.stop()


@pytest.fixture
def h(bot_harness: object) -> object:
    """The shared harness, with both sandboxes reset to their seeded state."""
    from bot.sandbox.harness import Harness

    assert isinstance(bot_harness, Harness)
    assert bot_harness.deps.wait_idle(60), "jobs of an earlier test are still running"
    bot_harness.cekura.reset()
    bot_harness.slack.reset()
    return bot_harness
