"""Per-widget filters: never drop a widget's own filters, range replaces the saved range, 7-day default."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.cekura_models import Dashboard, Widget
from bot.plan import DEFAULT_RANGE, group_plans, plan_widgets, scope_words, widget_filter
from bot.query import DataQuery

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
WEEK = {"field": "timestamp", "op": "gte", "value": "now-7d"}
AGENT = {"field": "agent.id", "op": "eq", "value": 1}
LONG = {"field": "duration", "op": "gte", "value": 60}
SUCCESS = {"field": "success", "op": "eq", "value": True}


def dashboard(filters: dict | None, *widgets: Widget) -> Dashboard:
    return Dashboard(id=12, name="Support", filters=filters, widgets=list(widgets))


def test_saved_filters_are_all_sent_when_nothing_is_overridden() -> None:
    w = Widget(id=1, chart_type="pie", field="success", filters=AGENT)
    node, defaulted = widget_filter(dashboard(WEEK, w), w, DataQuery())
    assert node == {"operator": "and", "conditions": [WEEK, AGENT]}
    assert not defaulted


def test_user_conditions_are_anded_with_the_widget_filters_never_replacing_them() -> None:
    w = Widget(id=1, chart_type="pie", field="success", filters=AGENT)
    node, _ = widget_filter(dashboard(WEEK, w), w, DataQuery(where=LONG))
    assert node == {"operator": "and", "conditions": [WEEK, AGENT, LONG]}


def test_a_requested_range_replaces_the_saved_range_but_keeps_other_conditions() -> None:
    saved = {"operator": "and", "conditions": [WEEK, SUCCESS]}
    w = Widget(
        id=1,
        chart_type="line",
        field="duration",
        filters={"operator": "and", "conditions": [{"field": "timestamp", "op": "gte", "value": "now-2d"}, LONG]},
    )
    node, _ = widget_filter(dashboard(saved, w), w, DataQuery(range=(24, "h")))
    assert node == {
        "operator": "and",
        "conditions": [SUCCESS, LONG, {"field": "timestamp", "op": "gte", "value": "now-24h"}],
    }


def test_without_any_lower_bound_the_last_7_days_are_used_and_said() -> None:
    w = Widget(id=1, chart_type="bar", field="duration", aggregation_function="avg", time_period="day")
    node, defaulted = widget_filter(dashboard(AGENT, w), w, DataQuery())
    assert defaulted
    assert node == {"operator": "and", "conditions": [AGENT, DEFAULT_RANGE]}
    plans = plan_widgets(dashboard(AGENT, w), [w], DataQuery(), NOW)
    assert "default range" in plans[0].stamp
    assert "7 days" in scope_words(dashboard(AGENT, w), DataQuery(), NOW, defaulted=True)


def test_an_upper_bound_alone_is_not_a_lower_bound() -> None:
    upper = {"field": "timestamp", "op": "lte", "value": "now"}
    w = Widget(id=1, chart_type="line", field="duration")
    node, defaulted = widget_filter(dashboard(upper, w), w, DataQuery())
    assert defaulted and DEFAULT_RANGE in node["conditions"]


def test_widgets_with_equal_filters_share_one_fetch() -> None:
    a = Widget(id=1, chart_type="line", field="duration")
    b = Widget(id=2, chart_type="pie", field="success", filters=AGENT)
    c = Widget(id=3, chart_type="bar", field="success", aggregation_function="avg", time_period="day")
    plans = plan_widgets(dashboard(WEEK, a, b, c), [a, b, c], DataQuery(where=LONG), NOW)
    groups = group_plans(plans)
    assert [g.widget_ids for g in groups] == [(1, 3), (2,)]
    assert groups[0].filters == {"operator": "and", "conditions": [WEEK, LONG]}


def test_scope_words_name_range_and_filters() -> None:
    text = scope_words(dashboard(WEEK), DataQuery(range=(24, "h"), where=LONG), NOW, defaulted=False)
    assert "24 hours" in text and "duration" in text


def test_a_narrower_where_range_is_said_and_sent_once_as_the_intersection() -> None:
    w = Widget(id=1, chart_type="bar", field="duration")
    three = {"field": "timestamp", "op": "gte", "value": "now-3d"}
    query = DataQuery(where=three)
    (plan,) = plan_widgets(dashboard(WEEK, w), [w], query, NOW)
    assert plan.filters == three
    assert plan.stamp == "last 3 days"
    assert scope_words(dashboard(WEEK), query, NOW, defaulted=False) == "last 3 days"
    # a where range wider than the saved one changes nothing: the saved week still bounds the data
    wide = DataQuery(where={"field": "timestamp", "op": "gte", "value": "now-20d"})
    assert scope_words(dashboard(WEEK), wide, NOW, defaulted=False) == "last 7 days"


def test_an_asked_range_and_a_where_range_meet_in_one_range() -> None:
    query = DataQuery(
        range=(24, "h"),
        where={"operator": "and", "conditions": [LONG, {"field": "timestamp", "op": "gte", "value": "now-3d"}]},
    )
    assert scope_words(dashboard(WEEK), query, NOW, defaulted=False) == "last 24 hours · duration ≥ 60 s"
