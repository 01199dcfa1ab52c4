"""Cekura sandbox fixtures, loaded as a plugin by the sandbox test modules (`pytest_plugins`).

One server and one client serve a whole module (an httpx client costs an SSL context); every
test gets them reset to the seeded state, the fixed moment and no latency.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from bot.sandbox.cekura import CekuraSandbox
from tests.cekura_helpers import KEY, NOW, Clock

Running = tuple[CekuraSandbox, Clock, httpx.Client]


@pytest.fixture(scope="module")
def running() -> Iterator[Running]:
    """A running sandbox, its clock and a client, shared by one module."""
    clock = Clock(NOW)
    with CekuraSandbox(clock=clock) as cekura, httpx.Client(base_url=cekura.url, headers=KEY) as client:
        yield cekura, clock, client


@pytest.fixture
def sandbox(running: Running) -> CekuraSandbox:
    """The module's sandbox, freshly reset, at NOW, without latency."""
    cekura, clock, _ = running
    cekura.reset()
    cekura.latency = 0.0
    clock.now = NOW
    return cekura


@pytest.fixture
def clock(running: Running, sandbox: CekuraSandbox) -> Clock:
    """The sandbox's clock."""
    return running[1]


@pytest.fixture
def api(running: Running, sandbox: CekuraSandbox) -> httpx.Client:
    """An httpx client with the right API key, pointed at the sandbox."""
    return running[2]
