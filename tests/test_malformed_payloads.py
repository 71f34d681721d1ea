"""Signed but malformed bodies over HTTP: a 4xx or a harmless 200, no error logged, nothing changed.

Slack never sends these; a bug or a leaked signing secret could. Each was a 500 and an ERROR line.
Both backends: PostgreSQL refuses a NUL in text and a key longer than its column.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import text as sql

from bot import ids
from bot.local import seed
from bot.core.clock import ManualClock
from bot.http_server import build_web_app
from bot.local.workspace import SIGNING_SECRET, LocalWorkspace
from bot.local.slack.driver import FORM, JSON, SlackDriver, dispatch_over_http
from bot.payloads import clean_inputs, parse_body, payload_problem, unheard_kind
from storage.crypto import Cipher, generate_key
from storage.models import Base

JST = ZoneInfo("Asia/Tokyo")
START = datetime(2027, 4, 1, 9, 0, tzinfo=JST)
COORD = seed.COORDINATORS[0][0]
WATCHED = [table.name for table in Base.metadata.sorted_tables if table.name != "processed_requests"]


@pytest.fixture(params=["http", "in-process"])
async def over_http(db_url, request):
    """The local workspace, driven over HTTP through the production adapter, or straight into the
    AsyncApp (async_dispatch, as the console and the dispatch tests do)."""
    async with LocalWorkspace.open(database_url=db_url, cipher=Cipher(generate_key()), clock=ManualClock(START)) as ws:
        if request.param == "in-process":
            yield ws, ws.driver
            return
        server = TestServer(build_web_app(ws.app, SIGNING_SECRET))
        await server.start_server()
        url = str(server.make_url("/slack/events"))
        try:
            yield ws, SlackDriver(ws.fake, dispatch_over_http(url), SIGNING_SECRET)
        finally:
            await server.close()


async def counts(ws) -> dict[str, int]:
    query = " UNION ALL ".join(f"SELECT '{name}', COUNT(*) FROM {name}" for name in WATCHED)
    async with ws.deps.uow() as uow:
        return dict((await uow.session.execute(sql(query))).all())


def form(payload) -> str:
    return urlencode({"payload": json.dumps(payload, ensure_ascii=False)})


def interaction(ws, kind: str, **fields) -> dict:
    user = {"id": COORD, "name": "u", "team_id": ws.fake.team_id}
    return {"type": kind, "user": user, "team": {"id": ws.fake.team_id}, "api_app_id": "ALOCAL",
            "trigger_id": ws.fake.issue_trigger(COORD), **fields}


def session_form(ws, start) -> dict:
    """The new-session modal as an admin submits it, with `start` as the start's datetimepicker."""
    values = {block: {action: {"type": "plain_text_input", "value": "10"}}
              for block, action in ids.SESSION_FIELD_BLOCKS.values()}
    values[ids.SESSION_FIELD_BLOCKS["start"][0]] = {ids.SESSION_FIELD_BLOCKS["start"][1]: {
        "type": "datetimepicker", "selected_date_time": start}}
    payload = interaction(ws, "view_submission", view={"id": "VSESSION1", "hash": "h1",
                                                       "callback_id": ids.SESSION_NEW_VIEW,
                                                       "state": {"values": values}, "private_metadata": ""})
    payload["user"]["id"] = seed.ADMIN
    return payload


def action(value="x", **extra) -> dict:
    return {"action_id": ids.SESSION_JOIN, "block_id": "b", "type": "button", "value": value,
            "action_ts": "1800000000.000001", **extra}


def cases(ws) -> dict[str, tuple[str | bytes, str]]:
    button = interaction(ws, "block_actions", actions=[action("S999")])
    event = {"type": "event_callback", "team_id": ws.fake.team_id, "api_app_id": "ALOCAL", "event_id": "Ev1"}
    message = {"type": "message", "channel_type": "im", "user": COORD, "text": "こんにちは",
               "channel": ws.fake.dm_channel_id(COORD), "ts": "1800000000.000002"}
    return {
        "payload null": ("payload=null", FORM),
        "payload a list": ("payload=[]", FORM),
        "payload a number": ("payload=123", FORM),
        "payload not JSON": ("payload=not json", FORM),
        "deep JSON": ("payload=" + "[" * 5000 + "]" * 5000, FORM),
        "user a string": (form({**button, "user": COORD}), FORM),
        "actions [null]": (form({**button, "actions": [None]}), FORM),
        "actions []": (form({**button, "actions": []}), FORM),
        "action_id a number": (form({**button, "actions": [action(action_id=7)]}), FORM),
        "button with view null": (form({**button, "view": None}), FORM),
        "container a string": (form({**button, "container": "x"}), FORM),
        "view null": (form(interaction(ws, "view_submission", view=None)), FORM),
        "no view": (form(interaction(ws, "view_submission")), FORM),
        "state 'x'": (form(interaction(ws, "view_submission", view={"id": "V1", "hash": "h", "state": "x",
                                                                    "callback_id": ids.PROFILE_VIEW})), FORM),
        "values a list": (form(interaction(ws, "view_submission", view={
            "id": "V1", "hash": "h", "callback_id": ids.PROFILE_VIEW, "state": {"values": []}})), FORM),
        "selected_date_time 'abc'": (form(session_form(ws, "abc")), FORM),
        "start 1e20": (form(session_form(ws, 1e20)), FORM),
        "start -1": (form(session_form(ws, -1)), FORM),
        "event null": (json.dumps({**event, "event": None}), JSON),
        "event a list": (json.dumps({**event, "event": []}), JSON),
        "event user a dict": (json.dumps({**event, "event": {**message, "user": {"id": COORD}}}), JSON),
        "event id of 300 characters": (json.dumps({**event, "event_id": "Ev" + "A" * 298, "event": message}), JSON),
        "command without a user": (urlencode({"command": "/jirei", "text": "help", "channel_id": "D1"}), FORM),
        "command user_id with a NUL": (urlencode({"command": "/jirei", "text": "help", "user_id": "U1\x00"}), FORM),
        **malformed_shapes(ws),
    }


VIEW_IDS = sorted(value for name, value in vars(ids).items() if name.endswith("_VIEW"))


def modal(ws, callback_id: str = ids.PROFILE_VIEW, **view) -> dict:
    fields = {"id": "V1", "type": "modal", "hash": "h", "callback_id": callback_id, "private_metadata": "",
              "state": {"values": {}}, **view}
    return interaction(ws, "view_submission", view={name: value for name, value in fields.items() if value != ...})


def malformed_shapes(ws) -> dict[str, tuple[str, str]]:
    """Shapes the attack probe found answered 500, and nonsense in every field Jirei or Bolt reads."""
    button = interaction(ws, "block_actions", actions=[action("S999")], container={"type": "view", "view_id": "V1"},
                         view={"id": "V1", "type": "home", "callback_id": ""})
    in_message = {**button, "container": {"type": "message", "message_ts": "1.2", "channel_id": "D1"},
                  "channel": {"id": "D1"}, "response_url": "https://hooks.slack.com/x", "message": {"ts": "1.2"}}
    command = {"command": "/jirei", "text": "help", "user_id": COORD, "channel_id": "D1", "trigger_id": "t1",
               "response_url": "https://hooks.slack.com/commands/x"}
    event = {"type": "event_callback", "event_id": "Ev1", "team_id": ws.fake.team_id,
             "event": {"type": "message", "channel": "D1", "ts": "1.2", "channel_type": "im", "user": COORD}}
    shapes = {f"{callback_id} without state": form(modal(ws, callback_id, state=...)) for callback_id in VIEW_IDS}
    shapes |= {f"{callback_id} with state null": form(modal(ws, callback_id, state=None)) for callback_id in VIEW_IDS}
    shapes |= {
        "view with state but no values": form(modal(ws, ids.CHECK_VIEW, state={})),
        "view without type": form(modal(ws, type=...)),
        "view type workflow_step_edit": form(modal(ws, type="workflow_step_edit")),
        "home view submitted": form(modal(ws, type="home")),
        "view type a number": form(modal(ws, type=7)),
        "view without callback_id": form(modal(ws, callback_id=...)),
        "view without id": form(modal(ws, id=...)),
        "workflow_step_edit without workflow_step": form(interaction(ws, "workflow_step_edit", callback_id="x")),
        "workflow_step_edit with workflow_step null": form(interaction(ws, "workflow_step_edit", callback_id="x",
                                                                       workflow_step=None)),
        "workflow_step_edit without callback_id": form(interaction(ws, "workflow_step_edit", workflow_step={})),
        "shortcut without callback_id": form(interaction(ws, "shortcut")),
        "view_closed without view": form(interaction(ws, "view_closed")),
        "type of no kind": form(interaction(ws, "workflow_step")),
        "type a list": form(interaction(ws, ["block_actions"])),
        "no type": form({key: value for key, value in button.items() if key != "type"}),
        "button without trigger_id": form({key: value for key, value in button.items() if key != "trigger_id"}),
        "button without container": form({key: value for key, value in button.items() if key != "container"}),
        "button in a view without the view": form({key: value for key, value in button.items() if key != "view"}),
        "button in a view of no type": form({**button, "view": {"id": "V1"}}),
        "button in a message without response_url": form({**in_message, "response_url": None}),
        "message blocks of strings": form({**in_message, "message": {"ts": "1.2", "blocks": ["x"]}}),
        "block elements of numbers": form({**in_message, "message": {"ts": "1.2", "blocks": [{"elements": [5]}]}}),
        "option value a number": form({**in_message, "message": {"ts": "1.2", "blocks": [
            {"block_id": "b", "elements": [{"options": [{"value": 5}]}]}]}}),
        "view blocks of lists": form(modal(ws, blocks=[[]])),
        "input element a string": form(modal(ws, blocks=[{"block_id": "b", "element": "x"}])),
        "selected_options of numbers": form(modal(ws, state={"values": {"b": {"a": {"selected_options": [5]}}}})),
        "picked a string": form(modal(ws, state={"values": {"b": {"a": "x"}}})),
        "date time as text": form(session_form(ws, "1800000000")),
        "date time true": form(session_form(ws, True)),
        "files of strings": form(modal(ws, ids.CHECK_VIEW, state={"values": {ids.CHECK_FILE_BLOCK: {
            ids.CHECK_FILE_INPUT: {"type": "file_input", "files": ["F1"]}}}})),
        "authorizations a string": form({**button, "authorizations": "x"}),
        "authorizations of numbers": form({**button, "authorizations": [5]}),
        "authorization team a number": form({**button, "authorizations": [{"team": 5}]}),
        "enterprise a number": form({**button, "enterprise": 5}),
        "team a list": form({**button, "team": ["T1"]}),
        "response_urls a string": form(modal(ws) | {"response_urls": "x"}),
        "response_urls of numbers": form(modal(ws) | {"response_urls": [5]}),
        "app_installed_team_id an object": form(modal(ws, app_installed_team_id={"id": "T1"})),
        "channel a number": form({**in_message, "channel": 5}),
        "message a list": form({**in_message, "message": []}),
        "thread_ts an object": form({**button, "thread_ts": {}}),
        "function_data a number": form({**button, "function_data": 5}),
        "event message a number": (json.dumps({**event, "event": {**event["event"], "message": 5}}), JSON),
        "event item a string": (json.dumps({**event, "event": {**event["event"], "item": "x"}}), JSON),
        "event user_team an object": (json.dumps({**event, "is_ext_shared_channel": True,
                                                  "event": {**event["event"], "user_team": {}}}), JSON),
        "event without type": (json.dumps({**event, "event": {"channel": "D1", "ts": "1.2"}}), JSON),
        "event type a string inside a list": (json.dumps({**event, "event": ["type"]}), JSON),
        "message event without ts": (json.dumps({**event, "event": {**event["event"], "ts": None}}), JSON),
        "event_callback without event_id": (json.dumps({**event, "event_id": None}), JSON),
        "url_verification without challenge": (json.dumps({"type": "url_verification"}), JSON),
        "url_verification challenge an object": (json.dumps({"type": "url_verification", "challenge": {}}), JSON),
        "command without response_url": (urlencode({**command, "response_url": ""}), FORM),
        "command without trigger_id": (urlencode({key: v for key, v in command.items() if key != "trigger_id"}), FORM),
        "command response_url not a URL": (urlencode({**command, "response_url": "javascript:x"}), FORM),
        "command as JSON with text a list": (json.dumps({**command, "text": ["help"]}), JSON),
    }
    return {name: body if isinstance(body, tuple) else (body, FORM) for name, body in shapes.items()}


class Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def errors():
    handler = Errors()
    logging.getLogger().addHandler(handler)
    try:
        yield handler.records
    finally:
        logging.getLogger().removeHandler(handler)


async def test_signed_malformed_bodies_get_400_and_change_nothing(over_http, errors):
    ws, driver = over_http
    before = await counts(ws)
    statuses = {}
    driver.mark()
    for name, (body, content_type) in cases(ws).items():
        statuses[name] = (await driver.send_raw(body, content_type, settle=False)).status
    await driver.settle()
    assert {name: status for name, status in statuses.items() if status != 400} == {}
    assert [record.getMessage() for record in errors] == []
    assert await counts(ws) == before
    assert [call.method for call in ws.fake.calls] == []

async def test_a_body_that_is_not_utf8_cannot_be_signed_and_is_refused(over_http, errors):
    """Slack signs UTF-8 text: bytes that are not cannot carry its signature (slack_sdk's verifier
    reads the body as text), so over HTTP such a body is refused as unsigned; straight into the app,
    bytes are no request at all. Either way it changes nothing."""
    ws, driver = over_http
    before = await counts(ws)
    driver.mark()
    reply = await driver.send_raw(b"payload=%7B%7D&x=\xff\xfe", FORM, settle=False)
    await driver.settle()
    assert reply.status == (400 if driver is ws.driver else 401)
    assert [record.getMessage() for record in errors] == []
    assert await counts(ws) == before and ws.fake.calls == []


async def test_a_nul_in_a_name_is_taken_out_not_a_500(over_http, errors):
    """PostgreSQL refuses NUL in text: the name is kept without it, from the command and the form."""
    ws, driver = over_http
    reply = await driver.command(COORD, 'profile set name="秘密\x00川"')
    assert reply.status == 200 and reply.answer
    async with ws.deps.uow() as uow:
        assert (await uow.coordinators.get(COORD)).name == "秘密川"
    await driver.command(COORD, "profile")
    reply = await driver.submit_view(COORD, ws.fake.current_view(COORD), {
        ids.PROFILE_NAME_BLOCK: {ids.PROFILE_NAME_INPUT: "\x00山\x00田"},
        ids.PROFILE_PREFECTURE_BLOCK: {ids.PROFILE_PREFECTURE_INPUT: "沖縄県"},
        ids.PROFILE_AFFILIATION_BLOCK: {ids.PROFILE_AFFILIATION_INPUT: "private"},
        ids.PROFILE_THEMES_BLOCK: {ids.PROFILE_THEMES_INPUT: ["education"]},
        ids.PROFILE_LANG_BLOCK: {ids.PROFILE_LANG_INPUT: "ja"},
        ids.PROFILE_NUDGES_BLOCK: {ids.PROFILE_NUDGES_INPUT: "on"},
    })
    assert reply.status == 200 and not (reply.ack or {}).get("errors")
    async with ws.deps.uow() as uow:
        assert (await uow.coordinators.get(COORD)).name == "山田"
    assert [record.getMessage() for record in errors] == []


def test_typed_and_picked_values_lose_nul_and_lone_surrogates():
    body = {"type": "view_submission", "user": {"id": "U1"}, "text": "a\x00",
            "actions": [{"action_id": "a", "value": "x\x00y", "selected_options": [{"value": "\ud800z"}]}],
            "view": {"id": "V1", "private_metadata": "m\x00", "state": {"values": {"b": {"a": {
                "value": "山\x00田", "selected_option": {"value": "\x00o"}}}}}},
            "event": {"type": "message", "text": "\ud800"}, "message": {"blocks": [{"text": "\x00"}]}}
    clean_inputs(body)
    assert (body["text"], body["actions"][0]["value"], body["actions"][0]["selected_options"][0]["value"]) == (
        "a", "xy", "\ufffdz")
    assert body["view"]["private_metadata"] == "m"
    assert body["view"]["state"]["values"]["b"]["a"] == {"value": "山田", "selected_option": {"value": "o"}}
    assert body["event"]["text"] == "\ufffd"
    assert body["message"]["blocks"] == [{"text": "\x00"}]  # Slack's copy of the bot's own message: not stored


SHAPES_SLACK_SENDS = [
    {"type": "block_actions", "user": {"id": "U1"}, "actions": [{"action_id": "a", "value": None}],
     "team": None, "trigger_id": "t1", "container": {"type": "view", "view_id": "V1"},
     "view": {"id": "V1", "type": "home", "callback_id": ""},
     "state": {"values": {"b": {"a": {"type": "static_select", "selected_option": None}}}}},
    {"type": "block_actions", "user": {"id": "U1", "team_id": "T1"}, "actions": [{"action_id": "a"}],
     "trigger_id": "t1", "enterprise": None, "is_enterprise_install": False,
     "container": {"type": "message", "message_ts": "1.2", "channel_id": "D1"}, "channel": {"id": "D1"},
     "message": {"ts": "1.2", "blocks": [{"type": "actions", "block_id": "b", "elements": [
         {"type": "static_select", "action_id": "a", "options": [{"value": "x", "text": {}}]}]}]},
     "response_url": "https://hooks.slack.com/actions/T1/1/x"},
    {"type": "view_submission", "user": {"id": "U1"}, "trigger_id": "t1", "response_urls": [],
     "view": {"id": "V1", "type": "modal", "callback_id": "profile_view", "hash": "h", "state": {"values": {}}}},
    {"type": "event_callback", "event_id": "Ev01ABC", "team_id": "T1",
     "authorizations": [{"enterprise_id": None, "team_id": "T1", "user_id": "UB", "is_bot": True,
                         "is_enterprise_install": False}],
     "event": {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"}},
    {"type": "event_callback", "event_id": "Ev01ABD", "event": {
        "type": "message", "subtype": "message_changed", "channel": "G1", "ts": "1.3", "channel_type": "group",
        "message": {"user": "U1", "text": "x", "ts": "1.2"}, "previous_message": {"user": "U1", "ts": "1.2"}}},
    {"command": "/jirei", "text": "", "user_id": "U1", "channel_id": "D1", "trigger_id": "t1",
     "response_url": "https://hooks.slack.com/commands/T1/1/x"},
    {"type": "url_verification", "challenge": "x", "token": "t"},
    {"type": "app_rate_limited", "team_id": "T1", "minute_rate_limited": 1518467820, "api_app_id": "A1"},
]
# Payloads Slack sends that no listener of Jirei takes: answered 404 before Bolt reads them.
UNHEARD = [
    {"type": "view_closed", "user": {"id": "U1"}, "is_cleared": False,
     "view": {"id": "V1", "type": "modal", "callback_id": "profile_view", "state": {"values": {}}}},
    {"type": "view_submission", "user": {"id": "U1"}, "trigger_id": "t1", "workflow_step": {"workflow_step_edit_id": "1"},
     "view": {"id": "V1", "type": "workflow_step", "callback_id": "x", "state": {"values": {}}}},
    {"type": "shortcut", "user": {"id": "U1"}, "callback_id": "x", "trigger_id": "t1"},
    {"type": "message_action", "user": {"id": "U1"}, "callback_id": "x", "trigger_id": "t1",
     "channel": {"id": "C1"}, "message": {"ts": "1.2", "text": "x"}, "response_url": "https://hooks.slack.com/x"},
    {"type": "block_suggestion", "user": {"id": "U1"}, "action_id": "a", "block_id": "b", "value": "x"},
    {"type": "interactive_message", "user": {"id": "U1"}, "callback_id": "x", "actions": [{"action_id": "a"}]},
    {"type": "dialog_submission", "user": {"id": "U1"}, "callback_id": "x", "submission": {}},
    {"type": "workflow_step_edit", "user": {"id": "U1"}, "callback_id": "x", "trigger_id": "t1",
     "workflow_step": {"workflow_step_edit_id": "1", "inputs": {}, "outputs": []}},
]


@pytest.mark.parametrize("body", SHAPES_SLACK_SENDS)
def test_shapes_slack_sends_pass(body):
    assert payload_problem(body) is None
    assert unheard_kind(body) is None


@pytest.mark.parametrize("body", UNHEARD)
def test_kinds_nobody_listens_to_are_unheard_not_malformed(body):
    assert payload_problem(body) is None
    assert unheard_kind(body) is not None


async def test_kinds_nobody_listens_to_get_404_before_bolt_reads_them(over_http, errors):
    ws, driver = over_http
    before = await counts(ws)
    driver.mark()
    statuses = [(await driver.send_raw(form(body), FORM, settle=False)).status for body in UNHEARD]
    await driver.settle()
    assert statuses == [404] * len(UNHEARD)
    assert [record.getMessage() for record in errors] == []
    assert await counts(ws) == before and ws.fake.calls == []


@pytest.mark.parametrize("raw, content_type, expected", [
    ("command=%2Fjirei&text=profile+set+name%3Dpayloadman&user_id=U1", FORM,
     {"command": "/jirei", "text": "profile set name=payloadman", "user_id": "U1"}),
    ("payload=%7B%22type%22%3A%22shortcut%22%7D", FORM, {"type": "shortcut"}),
    ('{"type": "url_verification", "challenge": "payload"}', JSON, {"type": "url_verification", "challenge": "payload"}),
    ("", FORM, {}),
])
def test_forms_are_read_by_their_fields_not_by_the_letters_payload(raw, content_type, expected):
    assert parse_body(raw, content_type) == expected


@pytest.mark.parametrize("raw", ["payload=x&payload=y", "text=a&text=b", "no-equals-sign", "payload=not json"])
def test_forms_slack_would_not_send_are_not_read(raw):
    with pytest.raises(ValueError):
        parse_body(raw, FORM)


@pytest.mark.parametrize("over", ["in-process", "http"])
async def test_a_command_with_payload_in_its_text_is_a_command(db_url, over, errors):
    """Bolt took any form containing the letters "payload" for an interaction's and read it empty."""
    async with LocalWorkspace.open(database_url=db_url, cipher=Cipher(generate_key()),
                                   clock=ManualClock(START)) as ws:
        server = None
        driver = ws.driver
        if over == "http":
            server = TestServer(build_web_app(ws.app, SIGNING_SECRET))
            await server.start_server()
            driver = SlackDriver(ws.fake, dispatch_over_http(str(server.make_url("/slack/events"))), SIGNING_SECRET)
        try:
            reply = await driver.command(COORD, "profile set name=payloadman")
            assert reply.status == 200 and reply.answer
            async with ws.deps.uow() as uow:
                assert (await uow.coordinators.get(COORD)).name == "payloadman"
            reply = await driver.command(COORD, 'profile set name="payload=x&payload=y"')
            assert reply.status == 200
            async with ws.deps.uow() as uow:
                assert (await uow.coordinators.get(COORD)).name == "payload=x&payload=y"
        finally:
            if server is not None:
                await server.close()
    assert [record.getMessage() for record in errors] == []


def as_payloads(ws) -> list[dict]:
    """The malformed cases as Socket Mode carries them: the JSON object, no form around it."""
    payloads = []
    for body, content_type in cases(ws).values():
        try:
            payload = parse_body(body, content_type) if isinstance(body, str) else None
        except (ValueError, RecursionError):
            continue
        if isinstance(payload, dict):
            payloads.append(payload)
    return payloads


async def test_socket_mode_acknowledges_what_it_cannot_read_and_does_nothing_else(db_url, errors, caplog):
    """Socket Mode has no status code: each payload Slack would not send, or no listener takes, is
    acknowledged (so Slack does not send it again) and refused in one line without its body."""
    from slack_sdk.socket_mode.request import SocketModeRequest

    from bot.socket_mode import CheckedSocketModeHandler

    sent = []

    class Connection:
        """The WebSocket to Slack, as the handler uses it: acknowledgements go back on it."""

        logger = logging.getLogger("tests.socket_mode")

        async def send_socket_mode_response(self, response) -> None:
            sent.append(response)

    caplog.set_level(logging.INFO)
    async with LocalWorkspace.open(database_url=db_url, cipher=Cipher(generate_key()),
                                   clock=ManualClock(START)) as ws:
        handler = CheckedSocketModeHandler(ws.app, "xapp-local", web_client=ws.app.client)
        try:
            before = await counts(ws)
            payloads = as_payloads(ws) + UNHEARD
            assert len(payloads) > 90
            ws.driver.mark()
            for number, payload in enumerate(payloads):
                await handler.handle(Connection(), SocketModeRequest(type="interactive", envelope_id=f"E{number}",
                                                                     payload=payload))
            await ws.driver.settle()
            assert [(response.envelope_id, response.payload) for response in sent] == [
                (f"E{number}", None) for number in range(len(payloads))]
            assert [record.getMessage() for record in errors] == []
            assert not [record for record in caplog.records if record.exc_info]
            assert await counts(ws) == before and ws.fake.calls == []
            refusals = [r.getMessage() for r in caplog.records if r.getMessage().startswith("refused a request")]
            assert refusals and all(len(line) < 100 for line in refusals)

            command = parse_body(ws.driver.command_body(COORD, "help"), FORM)
            ws.driver.mark()
            await handler.handle(Connection(), SocketModeRequest(type="slash_commands", envelope_id="OK",
                                                                 payload=command))
            await ws.driver.settle()
            assert sent[-1].envelope_id == "OK"
            assert [call.method for call in ws.fake.calls] == ["response_url"]
        finally:
            await handler.client.close()
