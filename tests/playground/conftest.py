"""A running playground and a real Chromium (Debian's, driven by Playwright) for the browser tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.playground.session import Playground
from bot.playground.web import PlaygroundServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NOPE = "/files/F_NOPE"  # the renderer test's image of a file that does not exist
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "playground"


@pytest.fixture(scope="session")
def playground() -> Iterator[tuple[Playground, PlaygroundServer]]:
    """The sandboxes, the bot and the page's server, as `cekura-bot playground` starts them."""
    pg = Playground.start()
    web = PlaygroundServer(pg).start()
    yield pg, web
    web.stop()
    pg.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium under Playwright (never `playwright install`); missing → fail in CI, skip elsewhere."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: `make test` installs it (scripts/install-chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, playground: tuple[Playground, PlaygroundServer]) -> Iterator[Any]:
    """A fresh tab on the playground as @alice in #general; the workspace reset first."""
    pg, web = playground
    pg.reset()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    # a failed load is reported with its URL below; the console's copy of it has none
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" and "load resource" not in m.text else None)
    tab.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 and NOPE not in r.url else 0)
    tab.goto(web.url + "?user=U_ALICE&channel=C_GENERAL")
    tab.wait_for_selector("#channels li")
    yield tab
    context.close()
    assert not errors, f"the page logged errors: {errors}"


def shot(page: Any, name: str) -> Path:
    """Save a screenshot under test-artifacts/playground/ (looked at by hand; the README's comes from here)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
