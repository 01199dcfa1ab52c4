"""The playground's web server on 127.0.0.1: the page, its ES modules, chart PNGs and a small JSON API.

    GET  /                     the page (static/index.html)
    GET  /static/<name>        the page's modules and style sheet (package data, no CDN)
    GET  /files/<file_id>      the bytes of a file the bot uploaded to the Slack sandbox
    GET  /api/state?user=U…    what that person's Slack shows now (the page polls it)
    POST /api/command          {"user", "channel", "text"}        → a signed slash command
    POST /api/action           {"user", "item", "action_id", …}   → a signed block_actions payload
    POST /api/submit           {"user", "view_id", "values"}      → a signed view_submission
    POST /api/close            {"user", "view_id"}                → the modal is closed
    POST /api/jump             {}                                 → clock to the next digest slot, tick

POSTs must be JSON and the Host must be this loopback address, so another web site cannot drive it.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from bot.playground.session import PEOPLE, Playground
from bot.sandbox.server import LoopbackServer, Request, Response

STATIC_TYPES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "blocks.js": "text/javascript; charset=utf-8",
    "mrkdwn.js": "text/javascript; charset=utf-8",
    "modal.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
# The page runs only its own modules: no inline script, nothing from elsewhere, whatever the data holds.
SECURITY = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self'; script-src 'self'; style-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def static_file(name: str) -> bytes | None:
    """A packaged static file by its bare name (only the listed ones), or None."""
    if name not in STATIC_TYPES:
        return None
    return resources.files("bot.playground").joinpath("static", name).read_bytes()


def _json(payload: Any, status: int = 200) -> Response:
    return Response(status, json.dumps(payload).encode(), {"Content-Type": "application/json", **SECURITY})


def _text(status: int, text: str) -> Response:
    return Response(status, text.encode(), {"Content-Type": "text/plain; charset=utf-8", **SECURITY})


class PlaygroundServer:
    """Serves the page for one Playground on 127.0.0.1:`port` (0: any free port)."""

    def __init__(self, playground: Playground, *, port: int = 0) -> None:
        self.playground = playground
        self._server = LoopbackServer(self._route, port=port)

    @property
    def url(self) -> str:
        """The page's address."""
        return self._server.url + "/"

    def start(self) -> PlaygroundServer:
        """Start serving in the background; returns self."""
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        self._server.stop()

    def _route(self, request: Request) -> Response:
        """Dispatch one request (the page polls, so the server's request log is kept short)."""
        with self._server._lock:
            del self._server.requests[:-50]
        host = request.header("host") or ""
        if host not in (f"127.0.0.1:{self._server.port}", f"localhost:{self._server.port}"):
            return _text(421, "The playground answers only on its loopback address.")
        if request.method == "GET":
            return self._get(request)
        if request.method != "POST":
            return _text(405, "method not allowed")
        if not (request.header("content-type") or "").startswith("application/json"):
            return _text(415, "send JSON")
        try:
            body = request.json() or {}
        except ValueError:
            return _text(400, "the body is not JSON")
        if not isinstance(body, dict):
            return _text(400, "the body must be a JSON object")
        return self._post(request.path, body)

    def _get(self, request: Request) -> Response:
        path = request.path
        if path in ("/", "/index.html"):
            path = "/static/index.html"
        if path == "/favicon.ico":
            return Response(204, b"", SECURITY)
        if path.startswith("/static/"):
            name = path.removeprefix("/static/")
            data = static_file(name)
            if data is None:
                return _text(404, "not found")
            return Response(200, data, {"Content-Type": STATIC_TYPES[name], **SECURITY})
        if path.startswith("/files/"):
            data = self.playground.file_bytes(path.removeprefix("/files/"))
            if data is None:
                return _text(404, "no such file")
            kind = "image/png" if data.startswith(b"\x89PNG") else "application/octet-stream"
            return Response(200, data, {"Content-Type": kind, **SECURITY})
        if path == "/api/state":
            user = (request.query.get("user") or [""])[-1]
            if user not in {p["id"] for p in PEOPLE}:
                return _json({"error": f"unknown user {user!r}"}, 400)
            return _json(self.playground.snapshot(user))
        return _text(404, "not found")

    def _post(self, path: str, body: dict[str, Any]) -> Response:
        pg = self.playground
        user = str(body.get("user") or "")
        if path != "/api/jump" and user not in {p["id"] for p in PEOPLE}:
            return _json({"status": 400, "error": f"unknown user {user!r}"}, 400)
        if path == "/api/command":
            text = str(body.get("text") or "").strip()
            text = text.removeprefix("/cekura").strip()
            return _json(pg.command(user, str(body.get("channel") or ""), text))
        if path == "/api/action":
            picked = body.get("selected_option")
            answer = pg.action(
                user,
                str(body.get("item") or ""),
                str(body.get("action_id") or ""),
                body.get("block_id"),
                body.get("value"),
                picked if isinstance(picked, dict) else None,
            )
            return _json(answer, 200 if answer["status"] == 200 else 404)
        if path == "/api/submit":
            values = body.get("values") if isinstance(body.get("values"), dict) else {}
            answer = pg.submit(user, str(body.get("view_id") or ""), values or {})
            return _json(answer, 200 if answer["status"] == 200 else 404)
        if path == "/api/close":
            return _json(pg.close(user, str(body.get("view_id") or "")))
        if path == "/api/jump":
            answer = pg.jump()
            return _json(answer, answer["status"])
        return _text(404, "not found")
