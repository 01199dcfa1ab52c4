"""`cekura-bot playground`: start the sandboxes, the bot and the page, print the URL, serve until Ctrl-C."""

from __future__ import annotations

import logging
import signal
import threading
import webbrowser

from bot.playground.session import Playground
from bot.playground.web import PlaygroundServer


def run_playground(port: int = 8080, *, open_browser: bool = False) -> int:
    """Serve the playground on 127.0.0.1:`port` until SIGINT/SIGTERM; 0 when stopped cleanly."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    print("Starting the Cekura and Slack sandboxes and the bot (warming the render pool)…")
    playground = Playground.start()
    try:
        web = PlaygroundServer(playground, port=port).start()
    except OSError as exc:  # the port is taken: say which and how to pick another
        playground.stop()
        print(f"cekura-bot: cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}. Try --port 8081.")
        return 2
    print(f"Playground ready: {web.url}  (loopback only; Ctrl-C stops it)")
    print("  Type /cekura dashboard 12 since 24h in #general; switch to @carol to approve edits in #cekura-approvals.")
    if open_browser:
        webbrowser.open(web.url)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    web.stop()
    playground.stop()
    return 0
