"""Alert notices always go out, even about an alert whose widget no longer fits its threshold."""

from __future__ import annotations

from bot.alerts.rule import parse_rule
from handlers import alert_messages as am
from handlers import alert_notices as an
from tests.alerts.builders import alert
from tests.test_escaping import FIELDS


def test_an_unknown_notice_of_a_misfit_alert_still_reads() -> None:
    n = dict.fromkeys(FIELDS, "x")
    view = am.AlertView(alert(n, parse_rule("widget 34 when latest > 7200 s")), "Calls per day", "calls")
    assert view.threshold == "7200 s"  # the widget now counts calls: the number as the user wrote it
    text = an.thread_text(view, "unknown", {"failures": 3, "error": "This widget shows plain numbers"})
    assert "is UNKNOWN: 3 evaluations in a row failed (This widget shows plain numbers)" in text
    assert "7200 s" in an.thread_text(view, "remind", {"value": 9000.0})
