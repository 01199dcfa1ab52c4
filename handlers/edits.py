"""`/cekura edit …`, `requests`, `history`, `revert`: approved edits (being built)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt import App

from handlers.router import Subcommand

if TYPE_CHECKING:
    from bot.deps import Deps

COMMANDS: list[Subcommand] = []


def register(app: App, deps: Deps) -> None:
    """Listen for the approval buttons and the edit modal."""
