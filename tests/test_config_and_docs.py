"""Settings behaviour, and the README table, manifest and help kept in step with the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from slack_sdk import WebClient

from bot.cli import main
from bot.config import REQUIRED, SettingsError, build_settings, settings_table
from handlers.commands import ROUTER
from handlers.router import COMMAND

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = yaml.safe_load((ROOT / "manifest.yml").read_text())

# Slack Web API methods → the bot scope(s) each needs.
READ_CONVERSATIONS = ("channels:read", "groups:read", "mpim:read", "im:read")  # one per conversation type
METHOD_SCOPES: dict[str, str | tuple[str, ...] | None] = {
    "chat_postMessage": "chat:write",
    "chat_update": "chat:write",
    "chat_postEphemeral": "chat:write",
    "files_getUploadURLExternal": "files:write",
    "files_completeUploadExternal": "files:write",
    "files_info": "files:read",
    "conversations_join": "channels:join",
    "users_info": "users:read",
    "usergroups_users_list": "usergroups:read",
    "usergroups_list": "usergroups:read",
    "users_list": "users:read",
    "conversations_open": "im:write",
    "conversations_members": READ_CONVERSATIONS,
    "users_conversations": READ_CONVERSATIONS,
    "views_open": None,
    "views_update": None,
    "views_push": None,
    "auth_test": None,
    "chat_getPermalink": None,  # Slack requires no scope for it
}


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(SettingsError) as caught:
        build_settings("serve", timezone="Mars/Olympus", port=70000)
    text = str(caught.value)
    for needle in ("TIMEZONE", "PORT", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "CEKURA_API_KEY"):
        assert needle in text


def test_serve_without_settings_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["serve"])
    assert caught.value.code == 2
    assert "SLACK_BOT_TOKEN is not set" in capsys.readouterr().err


def test_secrets_do_not_show_in_repr() -> None:
    settings = build_settings(
        "serve",
        slack_bot_token="xoxb-s3cret-value",
        slack_signing_secret="sig-s3cret",
        cekura_api_key="ck-s3cret-value",
    )
    assert "s3cret" not in repr(settings) and "s3cret" not in str(settings.model_dump())


def test_required_settings_exist() -> None:
    fields = set(type(build_settings("demo")).model_fields)
    assert all(name in fields for names in REQUIRED.values() for name in names)


def test_readme_settings_table_matches_the_code() -> None:
    readme = (ROOT / "README.md").read_text()
    table = readme.split("<!-- settings-table:start -->")[1].split("<!-- settings-table:end -->")[0]
    assert table.strip() == settings_table().strip()


def test_manifest_command_and_usage_match_the_router() -> None:
    (command,) = MANIFEST["features"]["slash_commands"]
    assert command["command"] == COMMAND
    hint_words = set(re.findall(r"[a-z]+", command["usage_hint"]))
    top_words = {c.words.split()[0] for c in ROUTER.commands}
    # Slack shows the hint as one short line: the main commands only, and `help` for the rest.
    assert hint_words - {"id"} <= top_words and "help" in hint_words
    assert len(command["usage_hint"]) <= 60
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert MANIFEST["settings"]["socket_mode_enabled"] is True


def test_manifest_scopes_are_exactly_what_the_code_calls() -> None:
    code = "\n".join(
        p.read_text() for d in ("bot", "handlers") for p in (ROOT / d).rglob("*.py") if "sandbox" not in p.parts
    )
    used = {m for m in METHOD_SCOPES if re.search(rf"\.{m}\(", code)}
    scopes = [METHOD_SCOPES[m] for m in used]
    needed = {"commands"} | {s for x in scopes if x for s in ((x,) if isinstance(x, str) else x)}
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == needed
    called = set(re.findall(r"(?:client|slack)\.([a-z]+_[A-Za-z_]+)\(", code))
    unknown = {m for m in called if hasattr(WebClient, m)} - set(METHOD_SCOPES)  # Web API methods only
    assert not unknown, f"add the scopes of these Slack methods to METHOD_SCOPES: {unknown}"
