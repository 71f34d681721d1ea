"""manifest.json is valid by Slack's own schema and declares exactly what the app registers."""

import json
import re
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[1]
# Slack's own schema (slackapi/manifest-schema, MIT: the licence is beside it), kept in the repository.
SCHEMA = ROOT / "tests" / "fixtures" / "slack_manifest_schema" / "slack-app-manifest.schema.json"


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads((ROOT / "manifest.json").read_text(encoding="utf-8"))


def test_manifest_is_valid_against_slacks_schema(manifest):
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
    from bot.features import WIRING
    from config.settings import Settings
    from storage.crypto import Cipher, generate_key

    deps = await build_deps(Settings(DATABASE_URL=sqlite_url, SLACK_API_URL="http://127.0.0.1:9/api/"),
                            cipher=Cipher(generate_key()))
    try:
        app = build_app(deps, WIRING, signing_secret="s", bot_token="xoxb-x", bot_user_id="UBOT")
        commands, events = _registered(app)
    finally:
        await deps.close()
    declared_commands = {c["command"] for c in manifest["features"]["slash_commands"]}
    declared_events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert commands == declared_commands == {"/jirei"}
    # message.im is how the "message" listener receives DMs; message.groups feeds the study groups' guard.
    assert events == {"app_home_opened", "message"}
    assert {"app_home_opened", "message.im", "message.groups"} == declared_events


# The bot scopes each Web API method needs, for the kinds of conversation Jirei uses it on. A method
# the code calls that is missing here fails the test below: add it with its scopes
# (https://api.slack.com/methods). "files.download" stands for fetching a file's url_private.
METHOD_SCOPES: dict[str, set[str]] = {
    "auth.test": set(),
    "chat.postMessage": {"chat:write"},
    "chat.update": {"chat:write"},
    # DMs, and group DMs for the introductions of a session's groups and of a study group.
    "conversations.open": {"im:write", "mpim:write"},
    # Reconciling a post (and finding an uploaded file in its thread) reads the conversation it went
    # to: a DM, a group DM, the public announcement and portal channels, a study group's private one.
    "conversations.history": {"im:history", "mpim:history", "channels:history", "groups:history"},
    "conversations.replies": {"im:history", "mpim:history", "channels:history", "groups:history"},
    # Study groups get private channels.
    "conversations.create": {"groups:write"},
    "conversations.invite": {"groups:write"},
    "views.open": set(),
    "views.publish": set(),
    "chat.postEphemeral": {"chat:write"},  # the personal-data guard, to the poster alone
    "chat.getPermalink": set(),
    "views.update": set(),  # /jirei check answers in its own modal
    "files.info": {"files:read"},
    "files.download": {"files:read"},
    "files.upload.v2": {"files:write"},  # slack_sdk's files.getUploadURLExternal + files.completeUploadExternal
    "apps.connections.open": set(),  # Socket Mode, with the app-level token
}
# The bot scopes each event subscription needs.
EVENT_SCOPES: dict[str, set[str]] = {
    "app_home_opened": set(),
    "message.im": {"im:history"},
    "message.mpim": {"mpim:history"},
    "message.channels": {"channels:history"},
    "message.groups": {"groups:history"},
}
FAMILIES = ("admin", "apps", "auth", "bookmarks", "bots", "calls", "chat", "conversations", "dnd", "emoji", "files",
            "oauth", "pins", "reactions", "reminders", "search", "stars", "team", "usergroups", "users", "views",
            "workflows")
CALLS = [
    # slack_sdk's methods, called or handed on: client.chat_postMessage(, app_client.apps_connections_open
    re.compile(r"client\.((?:%s)(?:_[A-Za-z0-9]+)+)\b" % "|".join(FAMILIES)),
    re.compile(r"\b(?:api_call|call)\(\s*\"([a-z]+\.[A-Za-z.]+)\""),  # client.api_call("chat.update", sender.call(
]


def called_methods() -> dict[str, str]:
    """Each Web API method the bot's code calls, with one place that calls it."""
    found: dict[str, str] = {}
    for folder in ("bot", "handlers"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.is_relative_to(ROOT / "bot" / "local" / "slack"):
                continue  # the fake Slack, not the bot
            text = path.read_text(encoding="utf-8")
            for pattern in CALLS:
                for match in pattern.finditer(text):
                    method = match.group(1).replace("_", ".")
                    found.setdefault(method, f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, match.start()) + 1}")
            if "url_private" in text:
                found.setdefault("files.download", str(path.relative_to(ROOT)))
    return found


def test_the_scan_finds_the_calls_it_is_meant_to_find():
    calls = called_methods()
    for method in ("chat.postMessage", "views.open", "conversations.history", "files.info", "files.download",
                   "files.upload.v2", "conversations.create"):
        assert method in calls, method


def test_scopes_are_exactly_the_ones_the_code_needs(manifest):
    calls = called_methods()
    unknown = {method: where for method, where in calls.items() if method not in METHOD_SCOPES}
    assert not unknown, f"add these methods and their scopes to METHOD_SCOPES: {unknown}"
    stale = set(METHOD_SCOPES) - set(calls)
    assert not stale, f"METHOD_SCOPES lists methods nothing calls: {stale}"
    needed = {"commands"} if manifest["features"].get("slash_commands") else set()
    for method in calls:
        needed |= METHOD_SCOPES[method]
    for event in manifest["settings"]["event_subscriptions"]["bot_events"]:
        assert event in EVENT_SCOPES, f"add the event {event} and its scopes to EVENT_SCOPES"
        needed |= EVENT_SCOPES[event]
    declared = set(manifest["oauth_config"]["scopes"]["bot"])
    assert not needed - declared, f"missing scopes: {sorted(needed - declared)}"
    assert not declared - needed, f"scopes nothing uses: {sorted(declared - needed)}"


def test_every_method_the_bot_calls_is_one_the_fake_slack_answers():
    """What the dispatch tests prove runs against these methods; a method the fake does not know
    would be an untested call (Socket Mode's connection and file bytes are served apart)."""
    from bot.local.slack.server import FakeSlack

    served = set(FakeSlack()._methods) | {"apps.connections.open", "files.download", "files.upload.v2"}
    assert {"files.getUploadURLExternal", "files.completeUploadExternal"} <= served  # files.upload.v2
    assert set(called_methods()) <= served


def test_nothing_in_the_repository_reads_the_workspace_beside_it():
    """A clone has no ../shared: the schema and the seed are the repository's own copies."""
    offenders = []
    for path in ROOT.rglob("*"):
        if path.suffix not in {".py", ".sh", ".toml", ".ini"} or ".venv" in path.parts or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if re.search(r"""["'/]shared["'/]\s*[/,)]?\s*["']?(reference|seed)""", text) and path != Path(__file__):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
