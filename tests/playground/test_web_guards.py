"""The playground's web server: only its own files, only JSON POSTs, only its loopback Host, only known people."""

from __future__ import annotations

import httpx
import pytest

from bot.playground.session import Playground
from bot.playground.web import PlaygroundServer

pytestmark = pytest.mark.e2e


def test_guards(playground: tuple[Playground, PlaygroundServer]) -> None:
    pg, web = playground
    with httpx.Client(base_url=web.url) as http:
        page = http.get("/")
        assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]
        assert http.get("/static/blocks.js").headers["content-type"].startswith("text/javascript")
        assert http.get("/static/../session.py").status_code == 404
        assert http.get("/static/%2e%2e/session.py").status_code == 404
        assert http.get("/files/F_NONE").status_code == 404
        assert http.get("/api/state", params={"user": "U_MALLORY"}).status_code == 400
        assert http.post("/api/command", content=b"user=U_ALICE&text=help").status_code == 415
        forged = http.post("/api/command", json={"user": "U_ALICE", "text": "help"}, headers={"Host": "evil.test"})
        assert forged.status_code == 421
        stranger = http.post("/api/command", json={"user": "U_MALLORY", "channel": "C_GENERAL", "text": "help"})
        assert stranger.status_code == 400
        before = len(pg.acks)
        ok = http.post("/api/command", json={"user": "U_ALICE", "channel": "C_GENERAL", "text": "/cekura help"})
        assert ok.status_code == 200 and ok.json()["status"] == 200
        assert len(pg.acks) == before + 1 and pg.acks[-1].command == "/cekura help"
