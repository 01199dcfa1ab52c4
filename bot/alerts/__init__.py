"""Alerts: watch a widget, tell the channel once when it crosses a line, and once when it recovers.

Rules and their language (`rule`), measures (`measure`), the state machine (`state`), storage and
the claims ledger (`store`), evaluation (`evaluate`) and timing (`scheduler`). Posting lives on
the handlers side and is injected as an `AlertNotifier`.
"""

from __future__ import annotations

from bot.alerts.access import ChannelRules, MayUse
from bot.alerts.rule import Rule, parse_rule
from bot.alerts.store import Alert, AlertNotFound, AlertStore, Incident, Notice

__all__ = ["Alert", "AlertNotFound", "AlertStore", "ChannelRules", "Incident", "MayUse", "Notice", "Rule", "parse_rule"]
