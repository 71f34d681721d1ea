"""manifest.json is valid by Slack's own schema and declares exactly what the app registers."""

import json
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT.parent / "shared" / "reference" / "slack-app-manifest.schema.json"


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads((ROOT / "manifest.json").read_text(encoding="utf-8"))


def test_manifest_is_valid_against_slacks_schema(manifest):
    if not SCHEMA.exists():
        pytest.fail(f"Slack's manifest schema is expected at {SCHEMA}")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validate(manifest, schema)


def test_messages_tab_and_home_tab_are_enabled(manifest):
    home = manifest["features"]["app_home"]
    # Without the messages tab people cannot answer the survey dialog in their DM.
    assert home["messages_tab_enabled"] is True and home["messages_tab_read_only_enabled"] is False
    assert home["home_tab_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True


def _constraint(matcher) -> tuple[str, str] | None:
    """(kind, value) of a Bolt listener matcher: ("command", "/jirei"), ("event", "message"), …

    Bolt keeps the constraint in the closure of a function named after the listener kind.
    """
    outer = getattr(matcher, "func", None)
    for cell in getattr(outer, "__closure__", None) or ():
        inner = cell.cell_contents
        kind = getattr(inner, "__qualname__", "").split(".", 1)[0]
        for inner_cell in getattr(inner, "__closure__", None) or ():
            if isinstance(inner_cell.cell_contents, str):
                return kind, inner_cell.cell_contents
    return None


def _registered(app) -> tuple[set[str], set[str]]:
    commands, events = set(), set()
    for listener in app._async_listeners:
        for matcher in listener.matchers:
            found = _constraint(matcher)
            if found and found[0] == "command":
                commands.add(found[1])
            elif found and found[0] == "event":
                events.add(found[1])
    return commands, events


async def test_manifest_declares_every_command_and_event_the_app_registers(manifest, sqlite_url):
    from bot.app import build_app
    from bot.deps import build_deps
    from config.settings import Settings
    from storage.crypto import Cipher, generate_key

    deps = await build_deps(Settings(DATABASE_URL=sqlite_url, SLACK_API_URL="http://127.0.0.1:9/api/"),
                            cipher=Cipher(generate_key()))
    try:
        app = build_app(deps, signing_secret="s", bot_token="xoxb-x", bot_user_id="UBOT")
        commands, events = _registered(app)
    finally:
        await deps.close()
    declared_commands = {c["command"] for c in manifest["features"]["slash_commands"]}
    declared_events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert commands == declared_commands == {"/jirei"}
    # message.im is how the "message" listener receives DMs.
    assert events == {"app_home_opened", "message"}
    assert {"app_home_opened", "message.im"} == declared_events


def test_scopes_are_the_ones_the_code_uses(manifest):
    """Each scope is justified by a Web API method the code calls."""
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    needs = {
        "commands": "/jirei",
        "chat:write": "chat_postMessage",
        "im:write": "conversations_open",
        "users:read": "users_info",
        "files:write": "files_upload_v2",
    }
    source = "\n".join(p.read_text(encoding="utf-8") for folder in ("bot", "handlers")
                       for p in (ROOT / folder).rglob("*.py") if "localslack" not in p.parts)
    for scope, evidence in needs.items():
        assert scope in scopes
        if scope != "commands":
            assert evidence in source or evidence.replace("_", ".") in source, (scope, evidence)
