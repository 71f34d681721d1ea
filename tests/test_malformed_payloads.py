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
from bot.payloads import clean_inputs, payload_problem
from storage.crypto import Cipher, generate_key
from storage.models import Base

JST = ZoneInfo("Asia/Tokyo")
START = datetime(2027, 4, 1, 9, 0, tzinfo=JST)
COORD = seed.COORDINATORS[0][0]
WATCHED = [table.name for table in Base.metadata.sorted_tables if table.name != "processed_requests"]


@pytest.fixture
async def over_http(db_url):
    """The local workspace, driven over HTTP through the production adapter."""
    async with LocalWorkspace.open(database_url=db_url, cipher=Cipher(generate_key()), clock=ManualClock(START)) as ws:
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
        "invalid UTF-8": (b"payload=%7B%7D&x=\xff\xfe", FORM),
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
    }


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


@pytest.mark.parametrize("body", [
    {"type": "block_actions", "user": {"id": "U1"}, "actions": [{"action_id": "a", "value": None}],
     "team": None, "state": {"values": {"b": {"a": {"type": "static_select", "selected_option": None}}}}},
    {"type": "view_submission", "user": {"id": "U1"}, "view": {"id": "V1", "state": {"values": {}}}},
    {"type": "event_callback", "event_id": "Ev01ABC",
     "event": {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"}},
    {"command": "/jirei", "text": "", "user_id": "U1", "channel_id": "D1"},
    {"type": "url_verification", "challenge": "x"},
])
def test_shapes_slack_sends_pass(body):
    assert payload_problem(body) is None
