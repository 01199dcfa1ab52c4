"""`/cekura edit …`, `requests`, `history`, `revert`, and the Approve / Reject / Retry buttons and modals."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond

from bot.cekura_models import Widget
from bot.edits import KINDS, Kind, Outcome
from bot.edits.changes import USAGE, validate_widget
from bot.edits.quick import parse_quick_edit
from bot.errors import BotError, UserError
from bot.slack.shape import channel_id, first_action, user_id
from bot.slack.text import md
from handlers import edit_messages as em
from handlers.edit_flow import after_decision, expire_sweep, propose_and_post, reconcile_sweep, tell_user
from handlers.edit_modal import (
    form_changes,
    form_values,
    loading_modal,
    notice_modal,
    problem_modal,
    read_form,
    read_metadata,
    read_reason,
    reject_modal,
    widget_modal,
)
from handlers.errors import run_reporting, user_message
from handlers.ids import EditActions, EditBlocks, EditViews
from handlers.router import Invocation, Reply, Subcommand, parse_id

if TYPE_CHECKING:
    from bot.deps import Deps

log = logging.getLogger(__name__)
__all__ = ["COMMANDS", "expire_sweep", "register"]


def _edit_command(kind: Kind) -> Callable[[Deps, Invocation], Reply]:
    def handle(deps: Deps, inv: Invocation) -> Reply:
        object_id, rest = parse_id(inv.args, kind, USAGE[kind])
        # Only the settings check here: EDITORS may name user groups, and looking those up is Slack
        # I/O that belongs after the ack (propose() and fill_modal() check the editor there).
        deps.editing.check_enabled()
        if not rest.strip():
            if kind == "dashboard":
                raise UserError('Say what to change, e.g. `name "Support"` or `remove widget 34`.', usage=USAGE[kind])
            view_id = deps.slack.views_open(trigger_id=inv.trigger_id, view=loading_modal())["view"]["id"]
            return Reply(
                ":pencil2: Opening the editor…",
                work=lambda: fill_modal(deps, view_id, object_id, inv.channel_id, inv.user_id),
            )
        changes = parse_quick_edit(kind, rest)
        return Reply(
            f":pencil2: Checking your change to {kind} {object_id}…",
            work=lambda: propose_and_post(deps, kind, object_id, changes, inv.user_id, inv.channel_id, inv.respond),
        )

    return handle


def fill_modal(deps: Deps, view_id: str, widget_id: int, channel: str, user: str) -> None:
    """Replace the loading modal with the form prefilled from Cekura, or with why `user` cannot edit."""
    try:
        deps.editing.check_editor(user)
        widget = deps.cekura.get_widget(widget_id)
    except Exception as exc:
        deps.slack.views_update(view_id=view_id, view=problem_modal(exc))
        raise
    deps.slack.views_update(view_id=view_id, view=widget_modal(widget, channel))


def requests_command(deps: Deps, inv: Invocation) -> Reply:
    """`/cekura requests`."""
    return Reply(
        ":mag: Looking up pending requests…",
        work=lambda: inv.respond(
            text="Pending edit requests", blocks=em.pending_list(deps.edits.pending()), response_type="ephemeral"
        ),
        kind="local",
    )


def history_command(deps: Deps, inv: Invocation) -> Reply:
    """`/cekura history widget 34` / `history dashboard 12`."""
    kind_word, _, rest = inv.args.partition(" ")
    if kind_word.lower() not in KINDS:
        raise UserError(
            "History of what? Say `history widget <id>` or `history dashboard <id>`.",
            usage="/cekura history widget <id>",
        )
    kind: Kind = "widget" if kind_word.lower() == "widget" else "dashboard"
    object_id, _ = parse_id(rest, kind, f"/cekura history {kind} <id>")
    return Reply(
        ":mag: Looking up the history…",
        work=lambda: inv.respond(
            text=f"History of {kind} {object_id}",
            response_type="ephemeral",
            blocks=em.history_list(f"{kind} {object_id}", deps.edits.history(kind, object_id)),
        ),
        kind="local",
    )


def revert_command(deps: Deps, inv: Invocation) -> Reply:
    """`/cekura revert ER-7F3K2`: propose the inverse change."""
    request_id = inv.args.strip().split(" ")[0] if inv.args.strip() else ""
    if not request_id:
        raise UserError(
            "Which request? Give its id, e.g. `/cekura revert ER-7F3K2`.", usage="/cekura revert <request-id>"
        )
    deps.editing.check_enabled()  # the editor check (maybe Slack I/O) runs in propose(), after the ack
    return Reply(
        md(":leftwards_arrow_with_hook: Preparing the revert of {id}…", id=request_id),
        work=lambda: propose_and_post(
            deps, "widget", 0, {}, inv.user_id, inv.channel_id, inv.respond, revert_of=request_id
        ),
    )


COMMANDS = [
    Subcommand(
        "edit widget",
        '<id> [chart bar | period day | aggregation avg | name "…" | filters "…"]',
        "propose a change to a widget (no changes: opens a form); an approver must approve it",
        _edit_command("widget"),
        examples=('edit widget 34 filters "duration >= 60 and success = true"',),
    ),
    Subcommand(
        "edit dashboard",
        '<id> [name "…" | filters "…" | remove widget <id>]',
        "propose a change to a dashboard",
        _edit_command("dashboard"),
    ),
    Subcommand("requests", "", "list edit requests waiting for approval", requests_command),
    Subcommand("history", "widget <id> | dashboard <id>", "who changed what and when", history_command),
    Subcommand("revert", "<request-id>", "propose undoing an applied edit", revert_command),
]


def register(app: App, deps: Deps) -> None:
    """Listen for the approval buttons, the Edit menu under charts, and the edit modals; add the edit timers."""
    deps.periodic.every(60, lambda: expire_sweep(deps), "edit-expiry")
    # At start (a crash may have cut an apply off) and then about every minute.
    every = min(60.0, deps.settings.edit_reconcile_after_seconds)
    deps.periodic.every(every, lambda: reconcile_sweep(deps), "edit-reconcile", now=True)

    def decide(action: Callable[[str, str], Outcome]) -> Callable[..., None]:
        def listener(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
            ack()
            # An empty id (a crafted click) is refused by the service as an unknown request.
            request_id, user = str(first_action(body).get("value") or ""), user_id(body)
            deps.submit(
                run_reporting,
                lambda: after_decision(deps, action(request_id, user), respond),
                respond,
                "decision",
                what="edit decision",
            )

        return listener

    app.action(EditActions.APPROVE.value)(decide(lambda rid, user: deps.editing.approve(rid, user)))
    app.action(EditActions.RETRY.value)(decide(lambda rid, user: deps.editing.retry(rid, user)))

    @app.action(EditActions.REJECT.value)
    def on_reject(ack: Ack, body: dict[str, Any], client: Any, respond: Respond) -> None:
        ack()
        request_id = str(first_action(body).get("value") or "")
        if not request_id or not body.get("trigger_id"):
            _refuse(respond, "That Reject button is damaged; use `/cekura requests` to find the request again.")
            return
        client.views_open(trigger_id=str(body["trigger_id"]), view=reject_modal(request_id))

    @app.view(EditViews.REJECT_FORM.value)
    def on_reject_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user, request_id = user_id(body), str(view.get("private_metadata") or "")
        reason = read_reason((view.get("state") or {}).get("values") or {}) or None
        try:
            request = deps.edits.require(request_id)
        except UserError as exc:
            ack(response_action="update", view=notice_modal(str(exc), "Reject"))
            return
        channel = request.message_channel or request.channel
        tell = tell_user(deps, channel, user)
        deps.submit(
            run_reporting,
            lambda: after_decision(deps, deps.editing.reject(request_id, user, reason), tell),
            tell,
            "reject",
            kind="local",
            what="edit reject",
        )
        ack()

    @app.action(EditActions.EDIT_WIDGET.value)
    def on_pick(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        action = first_action(body)
        picked = str((action.get("selected_option") or {}).get("value") or action.get("value") or "")
        if not picked.isascii() or not picked.isdigit() or not body.get("trigger_id"):
            _refuse(respond, "That Edit menu is damaged; run `/cekura edit widget <id>` instead.")
            return
        widget_id, channel, user = int(picked), channel_id(body), user_id(body)
        # The trigger expires in 3 s: open the modal first; fill_modal checks the editor afterwards.
        view_id = deps.slack.views_open(trigger_id=str(body["trigger_id"]), view=loading_modal())["view"]["id"]
        deps.submit(
            run_reporting,
            lambda: fill_modal(deps, view_id, widget_id, channel, user),
            respond,
            "edit form",
            what="edit form",
        )

    @app.view(EditViews.WIDGET_FORM.value)
    def on_form(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user = user_id(body)
        try:
            widget_id, channel, shown_then = read_metadata(str(view.get("private_metadata") or ""))
            shown = shown_then or form_values(deps.cekura.get_widget(widget_id))
        except BotError as exc:  # a damaged form, or Cekura cannot give the widget: say so in the modal
            text, _ = user_message(exc)
            ack(response_action="update", view=notice_modal(text))
            return
        changes, errors = form_changes(shown, read_form((view.get("state") or {}).get("values") or {}))
        if not changes and not errors:
            errors[EditBlocks.NAME] = "Nothing changed: edit a field, or press Cancel."
        if not errors:
            errors = _rule_errors(widget_id, shown, changes)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        tell = tell_user(deps, channel, user)
        deps.submit(
            run_reporting,
            lambda: propose_and_post(deps, "widget", widget_id, changes, user, channel, tell),
            tell,
            "edit form",
            what="edit proposal",
        )
        ack()


def _refuse(respond: Respond, text: str) -> None:
    """Tell the clicker, ephemerally, why a (crafted or stale) click cannot be used.

    Not raised: an exception after ack() makes Bolt drop the acknowledgement.
    """
    message, blocks = user_message(UserError(text))
    respond(text=message, blocks=blocks, response_type="ephemeral", replace_original=False)


def _rule_errors(widget_id: int, shown: dict[str, str], changes: dict[str, Any]) -> dict[str, str]:
    """Cekura's chart rules, checked against what the form showed, reported on the field at fault."""
    current = Widget(
        id=widget_id,
        chart_type=shown["chart_type"],
        field=shown["field"],
        metric=int(shown["metric"]) if shown.get("metric") else None,
        aggregation_function=None if shown["aggregation_function"] == "none" else shown["aggregation_function"],
        time_period=None if shown["time_period"] == "none" else shown["time_period"],
    )
    try:
        validate_widget(current, changes)
    except UserError as exc:
        text = str(exc).lower()
        block = (
            EditBlocks.AGGREGATION
            if "aggregat" in text
            else EditBlocks.PERIOD
            if "period" in text
            else EditBlocks.METRIC
            if "metric" in text
            else EditBlocks.CHART
        )
        return {block: str(exc).splitlines()[0][:150]}
    return {}
