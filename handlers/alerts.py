"""`/cekura alert …`: watch a widget and tell the channel when it crosses a line; manage those alerts.

The rule text is checked in the ack (nothing needs the network for that); the widget is looked up
and evaluated once afterwards, and nothing is stored until the measure fits the widget. Only
members of an alert's channel and ADMINS see or change it.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond

from bot.alerts import Alert, parse_rule
from bot.alerts.access import require
from bot.alerts.evaluate import Evaluator
from bot.alerts.mentions import resolve_notify
from bot.alerts.rule import USAGE
from bot.digests.records import worker_id
from bot.errors import UserError
from bot.slack.text import Mention, Mrkdwn, code, escape, md
from handlers import alert_lists as al
from handlers import alert_messages as am
from handlers import blocks as bk
from handlers import messages
from handlers.alert_notify import SlackAlertNotifier
from handlers.errors import run_reporting
from handlers.messages import plural
from handlers.router import Invocation, Reply, Subcommand, group_help, parse_id

if TYPE_CHECKING:
    from bot.deps import Deps

BUTTONS = re.compile("^(" + "|".join(re.escape(a) for a in am.AlertActions if a != am.AlertActions.OPEN) + ")$")
SNOOZES = {am.AlertActions.SNOOZE_HOUR: timedelta(hours=1), am.AlertActions.SNOOZE_DAY: timedelta(days=1)}


def _evaluator(deps: Deps) -> Evaluator:
    assert deps.alert_evaluator is not None, "handlers.alerts.register builds it"
    return deps.alert_evaluator  # type: ignore[no-any-return]


def _notifier(deps: Deps) -> SlackAlertNotifier:
    return _evaluator(deps).notifier  # type: ignore[return-value]


def _alert(deps: Deps, inv: Invocation, verb: str, *, extra: bool = False) -> tuple[Alert, str]:
    usage = f"/cekura alert {verb} <id>"
    alert_id, rest = parse_id(inv.args, "alert", usage)
    alert = deps.alerts.require(alert_id)
    require(deps.alert_rules, inv.user_id, alert.channel, alert.id)
    if rest.strip() and not extra:
        raise UserError(f"`alert {verb}` takes only the alert id; `{rest.strip()}` is extra.", usage=usage)
    return alert, rest


def _said(alert: Alert, inv: Invocation, what: Mrkdwn) -> Reply:
    text = md("Alert {id} {what}.", id=alert.id, what=what)
    return Reply(text, in_channel=inv.channel_id == alert.channel, blocks=[bk.section(text)])


def add_command(deps: Deps, inv: Invocation) -> Reply:
    """`alert add widget 32 when latest < 90 % [for 15m] [every 5m] [where …] [notify @x] [renotify 1h]`."""
    parsed = parse_rule(inv.args)  # every mistake in the text is answered here, in the ack
    if not deps.alert_rules.may_use(inv.user_id, inv.channel_id):
        raise UserError("Only members of this channel (and admins) may add alerts here.")

    def work() -> None:
        rule = resolve_notify(parsed, deps.slack)  # an unknown handle stops here, before anything is stored
        probe = Alert(0, inv.channel_id, inv.user_id, rule, *_blank(deps))
        reading, _, _ = _evaluator(deps).evaluate_now(probe, deps.clock())  # unknown widget / misfit → error
        alert = deps.alerts.add(channel=inv.channel_id, owner=inv.user_id, rule=rule)
        view = _notifier(deps).view(alert, reading.unit)
        blocks = am.added_blocks(view, reading, inv.user_id)
        try:
            deps.poster.post_message(inv.channel_id, text=am.added_text(view), blocks=blocks)
        except Exception:
            deps.alerts.remove(alert.id)  # nothing stays stored when the channel cannot get its alerts
            raise

    return Reply(f":hourglass_flowing_sand: Checking widget {parsed.widget_id} and setting up the alert…", work=work)


def _blank(deps: Deps) -> tuple[Any, ...]:
    from bot.alerts.state import Track

    return (Track(), None, None, None, 0, False, 0, None, False, None, 0, deps.clock())


def edit_command(deps: Deps, inv: Invocation) -> Reply:
    """`alert edit <id> widget … when …`: replace the rule (state starts again from OK)."""
    alert, rest = _alert(deps, inv, "edit", extra=True)
    if not rest.strip():
        raise UserError(
            f"Give the new rule: `/cekura alert edit {alert.id} widget 32 when latest < 85 %`.", usage=USAGE
        )
    parsed = parse_rule(rest)

    def work() -> None:
        rule = resolve_notify(parsed, deps.slack)
        probe = Alert(alert.id, alert.channel, alert.owner, rule, *_blank(deps))
        reading, _, _ = _evaluator(deps).evaluate_now(probe, deps.clock())
        edited = deps.alerts.change(alert.id, rule=rule)
        view = _notifier(deps).view(edited, reading.unit)
        text = am.changed_text(view, reading, inv.user_id)
        kind = "in_channel" if inv.channel_id == edited.channel else "ephemeral"
        inv.respond(text=text, blocks=[bk.section(text)], response_type=kind, replace_original=False)

    return Reply(f":hourglass_flowing_sand: Checking the new rule of alert {alert.id}…", work=work)


def list_command(deps: Deps, inv: Invocation) -> Reply:
    """`alert list [all]`: this channel's alerts, or every one you may see."""
    scope = inv.args.strip().lower()
    if scope not in ("", "all"):
        raise UserError(
            f"`alert list` takes `all` or nothing, not `{inv.args.strip()}`.", usage="/cekura alert list [all]"
        )
    found = deps.alerts.find(None if scope == "all" else inv.channel_id)
    visible = [a for a in found if deps.alert_rules.may_use(inv.user_id, a.channel)]
    where = "you can see" if scope == "all" else "in this channel"
    return Reply(f"{plural(len(visible), 'alert')} {where}", blocks=al.list_blocks(visible, deps.clock(), where))


def pause_command(deps: Deps, inv: Invocation) -> Reply:
    """`alert pause <id>`."""
    alert, _ = _alert(deps, inv, "pause")
    deps.alerts.change(alert.id, paused=True, paused_reason=am.pause_reason(inv.user_id))
    resume = code(f"/cekura alert resume {alert.id}")
    return _said(
        alert, inv, md("is paused by {who}; {resume} starts it again", who=Mention(inv.user_id), resume=resume)
    )


def resume_command(deps: Deps, inv: Invocation) -> Reply:
    """`alert resume <id>`: evaluation starts again, failure counts cleared."""
    alert, _ = _alert(deps, inv, "resume")
    deps.alerts.change(alert.id, paused=False, paused_reason=None, failures=0, own_failures=0, unknown=False)
    return _said(alert, inv, md("is running again (resumed by {who})", who=Mention(inv.user_id)))


def remove_command(deps: Deps, inv: Invocation) -> Reply:
    """`alert remove <id>`."""
    alert, _ = _alert(deps, inv, "remove")
    deps.alerts.remove(alert.id)
    return _said(alert, inv, md("was removed by {who}", who=Mention(inv.user_id)))


def test_command(deps: Deps, inv: Invocation) -> Reply:
    """`alert test <id>`: evaluate now and show the result, notifying nobody."""
    alert, _ = _alert(deps, inv, "test")

    def work() -> None:
        reading, _, _ = _evaluator(deps).evaluate_now(alert, deps.clock())
        view = _notifier(deps).view(alert, reading.unit)
        inv.respond(
            blocks=al.test_blocks(view, reading, deps.clock()),
            text=f"Alert {alert.id} test",
            response_type="ephemeral",
            replace_original=False,
        )

    return Reply(f":hourglass_flowing_sand: Evaluating alert {alert.id} now…", work=work)


def history_command(deps: Deps, inv: Invocation) -> Reply:
    """`alert history <id>`: incidents with start, end, peak, who acknowledged."""
    alert, _ = _alert(deps, inv, "history")
    view = _notifier(deps).view(alert)
    return Reply(f"Incidents of alert {alert.id}", blocks=al.history_blocks(view, deps.alerts.incidents(alert.id)))


def alert_help(deps: Deps, inv: Invocation) -> Reply:
    """`alert` alone: the alert commands."""
    text = group_help("Alerts", "alert", COMMANDS, inv.args)
    return Reply(escape(text), blocks=messages.text_blocks(text))


COMMANDS: list[Subcommand] = [
    Subcommand(
        "alert add",
        "widget <id> when <measure> <op> <threshold> [for 15m] [every 5m] [where …] [notify @oncall] [renotify 1h]",
        "watch a widget; tell this channel once when it crosses the line",
        add_command,
        examples=(
            "alert add widget 32 when latest < 90 % for 15m notify @oncall",
            'alert add widget 37 when share of "error" > 5 %',
        ),
    ),
    Subcommand("alert list", "[all]", "this channel's alerts (or all)", list_command, aliases=("alerts",)),
    Subcommand("alert edit", "<id> widget <id> when …", "replace an alert's rule", edit_command),
    Subcommand("alert test", "<id>", "evaluate an alert now, notifying nobody", test_command),
    Subcommand("alert history", "<id>", "an alert's incidents", history_command),
    Subcommand("alert pause", "<id>", "pause an alert", pause_command),
    Subcommand("alert resume", "<id>", "resume an alert", resume_command),
    Subcommand("alert remove", "<id>", "delete an alert", remove_command, aliases=("alert delete",)),
    Subcommand("alert", "", "help on alerts", alert_help),
]


def on_button(deps: Deps, action_id: str, value: str, user: str, message: dict[str, Any]) -> Mrkdwn:
    """Acknowledge / Snooze: apply it and say what happened (ephemeral)."""
    alert_id, _, incident_id = value.partition(":")
    alert = deps.alerts.require(int(alert_id))
    require(deps.alert_rules, user, alert.channel, alert.id)
    incident = deps.alerts.incident(int(incident_id))
    if incident is None:
        raise UserError("That incident is gone (the alert was removed or edited).")
    notifier = _notifier(deps)
    if action_id == am.AlertActions.ACK:
        if not deps.alerts.acknowledge(incident.id, user):
            return md("Already acknowledged by {who}.", who=Mention(incident.acknowledged_by or ""))
        incident = deps.alerts.incident(incident.id)
        assert incident is not None
        image = next((b for b in message.get("blocks") or [] if b.get("type") == "image"), None)
        notifier.refresh(alert, incident, image)
        parent = incident.message_ts or incident.thread_ts
        said = md("Acknowledged by {who}; reminders stop.", who=Mention(user))
        deps.poster.post_message(alert.channel, text=said, blocks=[], thread_ts=parent)
        return md("You acknowledged alert {id}.", id=alert.id)
    until = deps.clock() + SNOOZES[am.AlertActions(action_id)]
    deps.alerts.change(alert.id, snoozed_until=until)
    parent = incident.message_ts or incident.thread_ts
    words = md(
        "Snoozed by {who} until {until}: re-fires go quietly into this thread, nobody is paged.",
        who=Mention(user),
        until=am.when(until),
    )
    deps.poster.post_message(alert.channel, text=words, blocks=[], thread_ts=parent)
    return md("Alert {id} is snoozed until {until}.", id=alert.id, until=am.when(until))


def register(app: App, deps: Deps) -> None:
    """Build the evaluator with its Slack notifier, and listen for the incident buttons."""
    from bot.alerts.evaluate import WidgetCatalog

    catalog = WidgetCatalog(deps.cekura, deps.clock)
    settings = deps.settings
    deps.alert_evaluator = Evaluator(
        deps.cekura,
        deps.alerts,
        SlackAlertNotifier(deps, catalog),
        deps.io,
        worker_id(),
        unknown_after=settings.alert_unknown_after,
        max_failures=settings.alert_max_failures,
        catalog=catalog,
    )

    @app.action(BUTTONS)
    def on_click(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        action = body["actions"][0]

        def work() -> None:
            said = on_button(
                deps,
                action["action_id"],
                str(action.get("value", "")),
                str(body["user"]["id"]),
                body.get("message") or {},
            )
            respond(text=said, response_type="ephemeral", replace_original=False)

        deps.submit(run_reporting, work, respond, "alert button")
        ack()

    @app.action(am.AlertActions.OPEN)
    def on_open(ack: Ack) -> None:
        ack()  # a URL button: Slack opens the link; the click only needs an answer
