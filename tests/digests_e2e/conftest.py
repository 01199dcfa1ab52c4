"""Fixtures of the digest end-to-end tests: one sandboxed bot per module on a hand-moved clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.sandbox.harness import Harness
from tests.conftest import Clock
from tests.digest_helpers import Bots, clean, digest_harness


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def module_harness(clock: Clock, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    with digest_harness(clock, f"sqlite:///{tmp_path_factory.mktemp('digests')}/bot.sqlite") as h:
        yield h


@pytest.fixture
def dh(module_harness: Harness, clock: Clock) -> Harness:
    return clean(module_harness, clock)


@pytest.fixture
def bots() -> Iterator[Bots]:
    made = Bots()
    yield made
    made.stop()
