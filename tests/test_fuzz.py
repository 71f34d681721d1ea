"""Hostile input through the real AsyncApp: `/jirei` text, button payloads, modal submissions, DMs.

Random Unicode, very long text, control characters, broadcast mentions, forged codes, forged button
values and private_metadata, other people's ids. Every example must get a 200 and an answer, raise
nothing, echo no broadcast mention to Slack, and change nothing it had no business changing.

Hypothesis runs synchronously, so each test owns an event loop and one workspace (SQLite) that all
its examples share; derandomize keeps the suite deterministic.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import logging
import os
import re
from collections import Counter
from datetime import datetime
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text as sql

from bot import ids
from bot.core import grammar
from bot.local import seed
from bot.core.clock import ManualClock
from bot.http_server import build_web_app
from bot.core.i18n import t
from bot.local.workspace import SIGNING_SECRET, LocalWorkspace
from bot.local.slack.driver import FORM, SlackDriver, dispatch_over_http
from bot.materials import service as materials
from bot.people.results import Actor
from storage.crypto import Cipher, generate_key
from storage.models import Base
from tests.handlers.conftest import announced

JST = ZoneInfo("Asia/Tokyo")
START = datetime(2027, 4, 1, 9, 0, tzinfo=JST)
STRANGER = "USTRANGER7"
USERS = (seed.ADMIN, seed.STAFF_TOKYO, seed.STAFF_OSAKA, seed.LECTURER, seed.COORDINATORS[0][0],
         seed.COORDINATORS[12][0], STRANGER)
BROADCAST = re.compile(r"<!(channel|here|everyone|subteam\^)", re.IGNORECASE)
HOSTILE = ["<!channel>", "<!here>", "<!everyone>", "<!subteam^S0123ABC>", "<!here|here>", "<!channel|@channel>",
           "@channel", "<@U0ADMIN>", "<@UADMIN01|admin>", "<#C0001|general>", "<https://evil.example|click>",
           "S0", "S999999999", "S1", "S2", "C1", "C999", "M1", "M0", "R1", "G1", "S1|UADMIN01", "UADMIN01",
           "UCOORD02", "'; DROP TABLE registrations; --", "\x00", "\u202e", "\ufeff", "\r\n", "\t", "🙂" * 50,
           '"', "「", "＝", "=", "&lt;!channel&gt;", "*bold*", "`code`", "x" * 3001, "あ" * 2100,
           "payload", "name=payloadman", "payload=%7B%7D", "&payload=null"]
PERMISSIVE = dict(deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                         HealthCheck.data_too_large, HealthCheck.large_base_example])

# Tables whose rows a refusal or a usage error must not change.
WATCHED = [table.name for table in Base.metadata.sorted_tables if table.name not in ("processed_requests",)]

words = st.one_of(st.text(max_size=30), st.sampled_from(HOSTILE),
                  st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=31), max_size=8))
heads = st.sampled_from(["", "help", "profile", "profile set", "pledge", "pledge accept", "sessions", "join", "leave",
                         "my", "groups", "forget-me", "admin", "admin case new", "admin session new", "admin announce",
                         "admin roster", "admin attend S1", "admin material add C1", "admin survey send",
                         "admin report", "admin publish", "admin nudge", "admin role", "ヘルプ"])
pairs = st.builds(lambda k, v: f"{k}={v}", st.sampled_from(["name", "title", "theme", "bureau", "prefecture", "case",
                                                            "start", "capacity", "min", "url", "lecturer", "lang",
                                                            "themes", "affiliation", "kind", "deadline"]), words)
command_texts = st.one_of(
    st.text(max_size=200),
    st.builds(lambda h, args: " ".join([h, *args]), heads, st.lists(st.one_of(words, pairs), max_size=6)),
    st.builds(lambda h, w, n: f"{h} {w * n}", heads, st.sampled_from(HOSTILE), st.integers(1, 400)),
)


class Harness:
    """One event loop and one workspace for all the examples of a test."""

    def __init__(self, url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._opened = LocalWorkspace.open(database_url=url, cipher=Cipher(generate_key()), clock=ManualClock(START))
        self.ws: LocalWorkspace = self.run(self._opened.__aenter__())
        self.errors: list[logging.LogRecord] = []
        self._ts = itertools.count(1)
        self.run(self._plan())
        self._server: TestServer | None = None
        self._socket = None  # the Socket Mode handler, made on first use

    def run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    def over_http(self) -> SlackDriver:
        """A driver sending through the HTTP adapter, as Slack's servers do (started on first use)."""
        if self._server is None:
            self._server = TestServer(build_web_app(self.ws.app, SIGNING_SECRET))
            self.run(self._server.start_server())
        url = str(self._server.make_url("/slack/events"))
        return SlackDriver(self.ws.fake, dispatch_over_http(url), SIGNING_SECRET)

    def command_fields(self, user: str, text: str) -> dict[str, str]:
        """A slash command's form fields as Slack posts them (a fresh trigger_id and response_url)."""
        return dict(parse_qsl(self.ws.driver.command_body(user, text), keep_blank_values=True))

    async def over_socket(self, payload: dict, how_posted: str) -> None:
        """Deliver `payload` as Socket Mode does (through the bot's Socket Mode handler), and wait for
        what it started. Every envelope is acknowledged or answered; nothing may fail."""
        from slack_sdk.socket_mode.request import SocketModeRequest

        from bot.socket_mode import CheckedSocketModeHandler

        if self._socket is None:
            self._socket = CheckedSocketModeHandler(self.ws.app, "xapp-local", web_client=self.ws.app.client)
        kind = {"json": "events_api", "command": "slash_commands"}.get(how_posted, "interactive")
        self.ws.driver.mark()
        await self._socket.handle(_SocketConnection(), SocketModeRequest(type=kind, envelope_id="E" + self.next_ts(),
                                                                         payload=payload))
        await self.ws.driver.settle()

    def close(self) -> None:
        if self._socket is not None:
            self.run(self._socket.client.close())
        if self._server is not None:
            self.run(self._server.close())
        self.run(self._opened.__aexit__(None, None, None))
        self.loop.close()

    async def _plan(self) -> None:
        ws = self.ws
        ws.fake.add_user(STRANGER, "誰か")
        await ws.driver.command(seed.ADMIN, f'admin case new title="事例" theme=教育 lecturer={seed.LECTURER}')
        for bureau in ("tokyo", "osaka"):
            await ws.driver.command(seed.ADMIN, f"admin session new case=C1 bureau={bureau} start=2027-05-15T14:00 "
                                                "minutes=120 capacity=30 min=1 deadline=2027-05-01T17:00 "
                                                "release=2027-05-07T09:00")
        await announced(ws)
        checked = await materials.check_file(b"case text", "case.txt")
        async with ws.deps.uow() as uow:
            await materials.add_material_file(uow, ws.clock.now(), Actor(seed.ADMIN, is_admin=True), "C1", checked)

    def next_ts(self) -> str:
        return f"1800000000.{next(self._ts):06d}"

    async def counts(self) -> dict[str, int]:
        query = " UNION ALL ".join(f"SELECT '{name}', COUNT(*) FROM {name}" for name in WATCHED)
        async with self.ws.deps.uow() as uow:
            return dict((await uow.session.execute(sql(query))).all())


class _SocketConnection:
    """The WebSocket to Slack as the Socket Mode handler uses it: acknowledgements go back on it."""

    logger = logging.getLogger("tests.socket_mode")

    async def send_socket_mode_response(self, response) -> None:  # noqa: ANN001 - slack_sdk's response
        pass


class ErrorCollector(logging.Handler):
    """Errors, and anything logged with a traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info:
            self.records.append(record)


@pytest.fixture
def harness(sqlite_url):
    harness = Harness(sqlite_url)
    collector = ErrorCollector()
    logging.getLogger().addHandler(collector)
    harness.errors = collector.records
    try:
        yield harness
    finally:
        logging.getLogger().removeHandler(collector)
        harness.close()


def everything_sent(reply) -> str:
    return json.dumps([reply.ack, [(c.method, c.params) for c in reply.calls]], ensure_ascii=False)


def check_reply(harness: Harness, reply, *, expect_answer: bool = True, known_echo: bool = False) -> str:
    sent = everything_sent(reply)
    assert reply.status == 200
    assert known_echo or not BROADCAST.search(sent), "a broadcast mention went out to Slack"
    assert not harness.errors, [r.getMessage() for r in harness.errors]
    assert t("errors.generic", "ja") not in sent and t("errors.generic", "en") not in sent
    if expect_answer:
        assert reply.answer or reply.calls, "no answer"
    assert harness.ws.fake.violations == []
    return sent


def changed(before: dict[str, int], after: dict[str, int]) -> set[str]:
    return {name for name in before if before[name] != after[name]}


def expected_changes(user: str, text: str) -> set[str] | None:
    """Tables a command may change: none for a usage error, the audit for a refusal, None = any."""
    try:
        cmd = grammar.parse(text, JST)
    except grammar.CommandError:
        return set()
    staff = user in (seed.ADMIN, seed.STAFF_TOKYO, seed.STAFF_OSAKA)
    if cmd.admin and not staff and not (getattr(cmd, "lecturer_ok", False) and user == seed.LECTURER):
        return {"audit_log"}
    return None


@settings(max_examples=150, **PERMISSIVE)
@given(user=st.sampled_from(USERS), text=command_texts)
def check_command(harness, user, text):
    before = harness.run(harness.counts())
    reply = harness.run(harness.ws.driver.command(user, text))
    allowed = expected_changes(user, text)
    # Usage errors quoting the text back are a known gap: see test_usage_errors_do_not_echo_broadcast_mentions.
    check_reply(harness, reply, known_echo=allowed == set())
    if allowed is not None:
        assert changed(before, harness.run(harness.counts())) <= allowed, text


def test_jirei_command_text(harness):
    check_command(harness)


@pytest.mark.parametrize("text", ["<!channel>", "join <!here>", "admin case new title=x theme=<!everyone>",
                                  "admin role <!channel> admin"])
def test_usage_errors_do_not_echo_broadcast_mentions(harness, text):
    reply = harness.run(harness.ws.driver.command(seed.COORDINATORS[0][0], text))
    check_reply(harness, reply)


# --- interactions -------------------------------------------------------------------------------

ACTION_IDS = sorted({value for name, value in vars(ids).items()
                     if name.isupper() and isinstance(value, str) and not name.endswith(("_BLOCK", "_BLOCKS", "_VIEW",
                                                                                          "_INPUT", "_PATTERN"))})
VIEW_IDS = sorted({value for name, value in vars(ids).items() if name.endswith("_VIEW") and isinstance(value, str)})
# Pressing these does something to the presser whatever the value says (that is the point of them).
VALUE_FREE = {ids.ACCEPT_PLEDGE, ids.FORGET_ME_CONFIRM, ids.OPEN_PROFILE, ids.MATERIAL_UPLOAD_OPEN}
garbage = st.one_of(st.text(max_size=60), st.sampled_from([h for h in HOSTILE if not re.search(r"[SCMRG][0-9]", h)]),
                    st.text(min_size=2001, max_size=2100, alphabet="xyz<>!|@")).filter(
    lambda v: not re.search(r"[SCMRGscmrg][1-9]", v))
forged = st.one_of(garbage, st.sampled_from(HOSTILE))


def block_actions(harness: Harness, user: str, action_id: str, value: str, metadata: str | None) -> str:
    fake, ws = harness.ws.fake, harness.ws
    channel = fake.dm_channel_id(user)
    ts = harness.next_ts()
    action = {"action_id": action_id, "block_id": "fuzz", "type": "button", "value": value, "action_ts": ts,
              "text": {"type": "plain_text", "text": "x"}, "selected_option": {"text": {"type": "plain_text",
                                                                                       "text": "x"}, "value": value}}
    payload = {"type": "block_actions", "user": {"id": user, "username": "u", "name": "u", "team_id": fake.team_id},
               "api_app_id": ws.driver.api_app_id, "token": "t", "trigger_id": fake.issue_trigger(user),
               "team": {"id": fake.team_id, "domain": "local"}, "actions": [action], "state": {"values": {}}}
    if metadata is None:
        payload.update(container={"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": True},
                       channel={"id": channel, "name": "directmessage"},
                       message={"ts": ts, "text": value[:100], "blocks": []},
                       response_url=fake.issue_response_url(user, channel, ts, ephemeral=True))
    else:
        view = {"id": "VFUZZ" + ts[-6:], "type": "modal", "callback_id": metadata[:50], "private_metadata": metadata,
                "hash": ts, "state": {"values": {}}, "blocks": []}
        payload.update(container={"type": "view", "view_id": view["id"]}, view=view)
    return urlencode({"payload": json.dumps(payload, ensure_ascii=False)})


@settings(max_examples=150, **PERMISSIVE)
@given(user=st.sampled_from(USERS), action_id=st.sampled_from(ACTION_IDS), value=forged)
def check_action(harness, user, action_id, value):
    before = harness.run(harness.counts())
    reply = harness.run(harness.ws.driver.send_raw(block_actions(harness, user, action_id, value, None), FORM))
    if reply.status == 404:
        # Not a listener of this app (ids.py also names blocks and future features): Bolt says so.
        assert reply.calls == [] and not harness.errors
        return
    check_reply(harness, reply, expect_answer=False)
    if action_id not in VALUE_FREE and not re.search(r"[SCMRGscmrg][1-9]", value):
        assert changed(before, harness.run(harness.counts())) <= {"audit_log"}, (action_id, value)


def test_forged_button_payloads(harness):
    check_action(harness)


@pytest.mark.parametrize("action_id, value", [(ids.SESSION_LEAVE, "S1"), (ids.MATERIAL_READ, "<!channel>")])
def test_buttons_pressed_in_a_view_are_answered(harness, action_id, value):
    reply = harness.run(harness.ws.driver.send_raw(
        block_actions(harness, seed.COORDINATORS[0][0], action_id, value, "home"), FORM))
    check_reply(harness, reply, expect_answer=False)


def view_submission(harness: Harness, user: str, callback_id: str, metadata: str, state: dict) -> str:
    fake = harness.ws.fake
    ts = harness.next_ts()
    view = {"id": "VSUB" + ts[-6:], "team_id": fake.team_id, "type": "modal", "callback_id": callback_id,
            "private_metadata": metadata, "hash": ts, "state": {"values": state}, "blocks": [],
            "title": {"type": "plain_text", "text": "x"}}
    payload = {"type": "view_submission", "team": {"id": fake.team_id, "domain": "local"},
               "user": {"id": user, "username": "u", "name": "u", "team_id": fake.team_id},
               "api_app_id": harness.ws.driver.api_app_id, "token": "t", "trigger_id": fake.issue_trigger(user),
               "view": view, "response_urls": []}
    return urlencode({"payload": json.dumps(payload, ensure_ascii=False)})


BLOCK_IDS = sorted({value for name, value in vars(ids).items() if name.endswith("_BLOCK") and isinstance(value, str)})
INPUT_IDS = sorted({value for name, value in vars(ids).items() if name.endswith("_INPUT") and isinstance(value, str)})
element_state = st.one_of(
    st.builds(lambda v: {"type": "plain_text_input", "value": v}, forged),
    st.builds(lambda v: {"type": "static_select", "selected_option": {"value": v, "text": {"type": "plain_text",
                                                                                            "text": "x"}}}, forged),
    st.builds(lambda vs: {"type": "multi_static_select", "selected_options": [{"value": v} for v in vs]},
              st.lists(forged, max_size=3)),
    st.builds(lambda v: {"type": "datetimepicker", "selected_date_time": v}, st.integers(-2**40, 2**40)),
    st.builds(lambda v: {"type": "file_input", "files": [{"id": v}]}, forged),
    st.just({}), st.just({"type": "plain_text_input", "value": None}),
)
states = st.dictionaries(st.one_of(st.sampled_from(BLOCK_IDS), st.text(max_size=10)),
                         st.dictionaries(st.one_of(st.sampled_from(INPUT_IDS), st.text(max_size=10)), element_state,
                                         max_size=3), max_size=6)


@settings(max_examples=100, **PERMISSIVE)
@given(user=st.sampled_from(USERS), callback_id=st.sampled_from(VIEW_IDS), metadata=forged, state=states)
def check_submission(harness, user, callback_id, metadata, state):
    before = harness.run(harness.counts())
    reply = harness.run(harness.ws.driver.send_raw(view_submission(harness, user, callback_id, metadata, state), FORM))
    if reply.status in (400, 404):
        # 400: not a shape Slack sends (a date outside 1970-2105); 404: no listener of this app.
        assert reply.calls == [] and not harness.errors
        assert changed(before, harness.run(harness.counts())) == set()
        return
    check_reply(harness, reply, expect_answer=False)
    # Forged state may be a valid profile (a person may save theirs); nothing else may change.
    allowed = {"audit_log", "coordinators"} if callback_id == ids.PROFILE_VIEW else {"audit_log"}
    assert changed(before, harness.run(harness.counts())) <= allowed, callback_id


def test_forged_modal_submissions(harness):
    check_submission(harness)


@settings(max_examples=80, **PERMISSIVE)
@given(user=st.sampled_from(USERS), text=st.one_of(st.text(max_size=300), st.sampled_from(HOSTILE),
                                                   st.builds(" ".join, st.lists(words, max_size=8))))
def check_dm(harness, user, text):
    reply = harness.run(harness.ws.driver.send_dm(user, text))
    check_reply(harness, reply, expect_answer=False)


def test_direct_messages(harness):
    check_dm(harness)


def test_broadcast_mentions_in_a_profile_name_never_reach_a_message(harness):
    """Saved text that is shown to others later (a name on a roster) stays inert."""
    ws = harness.ws
    user = seed.COORDINATORS[0][0]
    for name in ("<!channel>", "<!here> さん", "@everyone"):
        reply = harness.run(ws.driver.command(user, f'profile set name="{name}"'))
        check_reply(harness, reply)
    harness.run(ws.driver.command(user, "join S1"))
    reply = harness.run(ws.driver.command(seed.ADMIN, "admin roster S1"))
    check_reply(harness, reply)
    for call in ws.fake.calls:
        assert not BROADCAST.search(json.dumps(call.params, ensure_ascii=False)), call.method


# --- payload shapes -------------------------------------------------------------------------------
# A payload Slack would send, of every kind Slack sends and for every view of the bot, with one to
# three places in it replaced by any JSON value or removed, or a field Jirei or Bolt reads added with
# any value: what a bug or a leaked signing secret could send. Each, over HTTP or Socket Mode, gets
# a 200, a 400 (not a shape Slack sends) or a 404 (no listener), never an error or a traceback, and
# changes nothing. JIREI_FUZZ_SHAPES sets how many (200 by default; the issue's run is 2,000).

SHAPE_EXAMPLES = int(os.environ.get("JIREI_FUZZ_SHAPES", "200"))
SHAPE_TALLY: Counter[str] = Counter()  # how the examples were answered: printed with pytest -s
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), garbage,
              st.sampled_from([1e20, -1, 2**64, "abc", "", "\x00", "\ud800", "S999", "V1", [], {}, "type", "id",
                               "https://hooks.slack.com/x", "modal", "workflow_step", "message", "view"])),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(
        st.one_of(st.text(max_size=8), st.sampled_from(["id", "type", "values", "value", "user", "team", "channel",
                                                         "response_url", "authorizations", "state", "blocks"])),
        children, max_size=3)),
    max_leaves=6)
REMOVE = object()
# Fields Bolt or Jirei reads, wherever they may be added.
READ_FIELDS = ["type", "user", "user_id", "team", "team_id", "enterprise", "enterprise_id", "channel", "channel_id",
               "authorizations", "is_enterprise_install", "is_ext_shared_channel", "response_url", "response_urls",
               "message", "previous_message", "thread_ts", "view", "state", "actions", "container", "event",
               "event_id", "callback_id", "action_id", "trigger_id", "workflow_step", "function_data",
               "function_execution_id", "bot_access_token", "item", "assistant_thread", "command", "text",
               "challenge", "ssl_check", "private_metadata", "blocks", "values", "hash", "id", "selected_date_time",
               "selected_options", "files", "user_team", "app_installed_team_id"]
VIEW_CALLBACKS = sorted({value for name, value in vars(ids).items() if name.endswith("_VIEW") and isinstance(value, str)})


def payload_templates(harness: Harness, user: str) -> dict[str, tuple[dict, str]]:
    """Payloads as Slack sends them that change nothing when they come as they are, with how they
    are posted (an interaction's form, an event's JSON, a command's form fields)."""
    fake, ts = harness.ws.fake, harness.next_ts()
    channel = fake.dm_channel_id(user)
    who = {"id": user, "username": "u", "name": "u", "team_id": fake.team_id}
    team = {"id": fake.team_id, "domain": "local"}
    common = {"user": who, "api_app_id": "ALOCAL", "token": "t", "team": team, "enterprise": None,
              "is_enterprise_install": False}
    button = {"action_id": ids.SESSION_JOIN, "block_id": "b", "type": "button", "value": "S999", "action_ts": ts}
    values = {block: {action: {"type": "datetimepicker", "selected_date_time": 1800000000}
                      if name in ("start", "deadline", "release") else {"type": "plain_text_input", "value": "x"}}
              for name, (block, action) in ids.SESSION_FIELD_BLOCKS.items()}
    view = {"id": "VSHAPE" + ts[-6:], "team_id": fake.team_id, "type": "modal", "callback_id": ids.SESSION_NEW_VIEW,
            "private_metadata": "", "hash": ts, "state": {"values": values}, "blocks": [],
            "app_installed_team_id": fake.team_id}
    message = {"type": "message", "channel": channel, "user": user, "text": "x", "ts": ts, "event_ts": ts,
               "channel_type": "im"}
    authorizations = [{"enterprise_id": None, "team_id": fake.team_id, "user_id": fake.bot_user_id, "is_bot": True,
                       "is_enterprise_install": False}]
    envelope = {"team_id": fake.team_id, "api_app_id": "ALOCAL", "event_id": "Ev" + ts.replace(".", ""),
                "event_time": 1800000000, "authorizations": authorizations, "is_ext_shared_channel": False}
    form, event = "form", "json"
    templates = {
        "button in a message": ({
            "type": "block_actions", **common, "trigger_id": fake.issue_trigger(user), "actions": [button],
            "state": {"values": {}},
            "container": {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": True},
            "channel": {"id": channel, "name": "directmessage"},
            "message": {"ts": ts, "text": "x", "blocks": [{"type": "actions", "block_id": "b", "elements": [
                {"type": "static_select", "action_id": "a", "options": [{"value": "1", "text": {}}]}]}]},
            "response_url": fake.issue_response_url(user, channel, ts, ephemeral=True)}, form),
        "button in a view": ({
            "type": "block_actions", **common, "trigger_id": fake.issue_trigger(user), "actions": [button],
            "container": {"type": "view", "view_id": view["id"]}, "view": {**view, "callback_id": "home",
                                                                           "type": "home"}}, form),
        "new session form": ({
            "type": "view_submission", **common, "trigger_id": fake.issue_trigger(user), "view": view,
            "response_urls": []}, form),
        "view closed": ({"type": "view_closed", **common, "view": view, "is_cleared": False}, form),
        "workflow step saved": ({"type": "view_submission", **common, "trigger_id": fake.issue_trigger(user),
                                 "view": {**view, "type": "workflow_step"},
                                 "workflow_step": {"workflow_step_edit_id": "1"}}, form),
        "workflow step edit": ({"type": "workflow_step_edit", **common, "callback_id": "x",
                                "trigger_id": fake.issue_trigger(user),
                                "workflow_step": {"workflow_step_edit_id": "1", "inputs": {}, "outputs": []}}, form),
        "global shortcut": ({"type": "shortcut", **common, "callback_id": "x", "trigger_id": fake.issue_trigger(user),
                             "action_ts": ts}, form),
        "message shortcut": ({"type": "message_action", **common, "callback_id": "x", "action_ts": ts,
                              "trigger_id": fake.issue_trigger(user), "channel": {"id": channel},
                              "message": {"ts": ts, "text": "x", "user": user},
                              "response_url": fake.issue_response_url(user, channel, ts)}, form),
        "options request": ({"type": "block_suggestion", **common, "action_id": "a", "block_id": "b", "value": "x",
                             "container": {"type": "view", "view_id": view["id"]}, "view": view}, form),
        "attachment button": ({"type": "interactive_message", **common, "callback_id": "x",
                               "actions": [{"name": "a", "type": "button", "value": "x"}], "action_ts": ts,
                               "channel": {"id": channel}, "response_url": fake.issue_response_url(user, channel)},
                              form),
        "dialog": ({"type": "dialog_submission", **common, "callback_id": "x", "submission": {"a": "x"},
                    "channel": {"id": channel}, "response_url": fake.issue_response_url(user, channel)}, form),
        "message event": ({"type": "event_callback", **envelope, "event": message}, event),
        "private channel message": ({"type": "event_callback", **envelope, "event": {
            **message, "channel": "GNOGUARD1", "channel_type": "group"}}, event),
        "edited message": ({"type": "event_callback", **envelope, "event": {
            "type": "message", "subtype": "message_changed", "channel": channel, "channel_type": "im", "ts": ts,
            "message": {"user": user, "text": "x", "ts": ts}, "previous_message": {"user": user, "ts": ts}}}, event),
        "home opened": ({"type": "event_callback", **envelope, "event": {
            "type": "app_home_opened", "user": user, "channel": channel, "tab": "messages", "event_ts": ts}}, event),
        "url verification": ({"type": "url_verification", "token": "t", "challenge": "c" + ts}, event),
        "rate limited": ({"type": "app_rate_limited", "token": "t", "team_id": fake.team_id,
                          "minute_rate_limited": 1800000000, "api_app_id": "ALOCAL"}, event),
        "command": (harness.command_fields(user, "sessions"), "command"),
    }
    for callback_id in VIEW_CALLBACKS:
        templates[f"{callback_id} submitted"] = ({
            "type": "view_submission", **common, "trigger_id": fake.issue_trigger(user), "response_urls": [],
            "view": {**view, "id": "V" + callback_id.upper()[:8] + ts[-6:], "callback_id": callback_id,
                     "state": {"values": {}}}}, form)
    return templates


def paths(value, prefix=()) -> list[tuple]:
    """Every place inside `value` (not the payload itself)."""
    found = []
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        found.append(prefix + (key,))
        found.extend(paths(child, prefix + (key,)))
    return found


def put(payload: dict, path: tuple, new) -> None:
    parent = payload
    for key in path[:-1]:
        parent = parent[key]
    if new is REMOVE and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = None if new is REMOVE else new


def dicts_in(value, prefix=()) -> list[tuple]:
    """The places of every object in `value`, the payload itself included."""
    return [prefix] * isinstance(value, dict) + [path for path in paths(value, prefix) if isinstance(
        _at(value, path[len(prefix):]), dict)]


def _at(value, path: tuple):
    for key in path:
        value = value[key]
    return value


def any_value(data):
    """A fresh JSON value (Hypothesis hands out the same [] and {} each time they are drawn)."""
    return copy.deepcopy(data.draw(json_values))


def mutate(data, payload: dict, how_posted: str) -> None:
    for _ in range(data.draw(st.integers(1, 3))):
        if how_posted == "command":  # form fields: text, or gone
            name = data.draw(st.sampled_from(sorted(payload) + READ_FIELDS))
            new = data.draw(st.one_of(st.just(REMOVE), garbage, json_values.map(json.dumps)))
            payload.pop(name, None) if new is REMOVE else payload.__setitem__(name, new)
            continue
        if data.draw(st.booleans()):
            places = paths(payload)
            if places:
                put(payload, data.draw(st.sampled_from(places)), REMOVE if data.draw(st.booleans()) else any_value(data))
        else:  # a field Bolt or Jirei reads, added anywhere with any value
            parent = _at(payload, data.draw(st.sampled_from(dicts_in(payload))))
            parent[data.draw(st.sampled_from(READ_FIELDS))] = any_value(data)


def encoded(payload: dict, how_posted: str) -> tuple[str, str]:
    if how_posted == "json":
        return json.dumps(payload), "application/json"
    if how_posted == "command":
        return urlencode(payload), FORM
    return urlencode({"payload": json.dumps(payload)}), FORM


SHAPE_KINDS = ["button in a message", "button in a view", "new session form", "view closed", "workflow step saved",
               "workflow step edit", "global shortcut", "message shortcut", "options request", "attachment button",
               "dialog", "message event", "private channel message", "edited message", "home opened",
               "url verification", "rate limited", "command", *(f"{callback_id} submitted" for callback_id in
                                                                  VIEW_CALLBACKS)]


@settings(max_examples=SHAPE_EXAMPLES, **PERMISSIVE)
@given(user=st.sampled_from(USERS), kind=st.sampled_from(SHAPE_KINDS),
       over=st.sampled_from(["http", "http", "socket"]), data=st.data())
def check_shape(harness, user, kind, over, data):
    harness.errors.clear()  # each example answers for its own
    payload, how_posted = payload_templates(harness, user)[kind]
    mutate(data, payload, how_posted)
    before = harness.run(harness.counts())
    if over == "http":
        body, content_type = encoded(payload, how_posted)
        reply = harness.run(harness.over_http().send_raw(body, content_type))
        SHAPE_TALLY[f"HTTP {reply.status}"] += 1
        assert reply.status in (200, 400, 404), reply.status
    else:
        harness.run(harness.over_socket(payload, how_posted))
        SHAPE_TALLY["Socket Mode"] += 1
    assert not harness.errors, [(r.name, r.getMessage()) for r in harness.errors]
    assert harness.ws.fake.violations == []
    assert changed(before, harness.run(harness.counts())) <= {"audit_log"}, (kind, payload)


def test_payload_shapes(harness):
    SHAPE_TALLY.clear()
    check_shape(harness)
    print(f"\npayload shapes: {sum(SHAPE_TALLY.values())} examples, {dict(sorted(SHAPE_TALLY.items()))}")
    assert sum(SHAPE_TALLY.values()) >= SHAPE_EXAMPLES
