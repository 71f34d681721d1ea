"""Slack's retries and re-sent interactions never have a second effect, across restarts too."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot import ids
from bot.local import seed
from bot.core.clock import ManualClock
from bot.local.workspace import LocalWorkspace
from bot.local.slack.driver import FORM
from bot.observability import once_only_key
from storage.crypto import Cipher, generate_key
from storage.models import AuditEntry, ProcessedRequest
from tests.handlers.conftest import announced

JST = ZoneInfo("Asia/Tokyo")
START = datetime(2027, 4, 1, 9, 0, tzinfo=JST)
USER = seed.COORDINATORS[0][0]
NEWCOMER = "UNEWRETRY1"
KEY = Cipher(generate_key())


def open_workspace(url: str, clock: ManualClock | None = None):
    return LocalWorkspace.open(database_url=url, cipher=KEY, clock=clock or ManualClock(START))


@pytest.fixture
async def ws(db_url):
    async with open_workspace(db_url) as workspace:
        yield workspace


class Recorder:
    """Keeps every body the driver sends, so a test can send exactly the same bytes again."""

    def __init__(self, ws: LocalWorkspace) -> None:
        self.bodies: list[str] = []
        original = ws.driver.dispatch

        async def dispatch(body, headers):
            self.bodies.append(body)
            return await original(body, headers)

        ws.driver.dispatch = dispatch


async def audit_count(ws, action: str, actor: str = USER) -> int:
    async with ws.deps.uow() as uow:
        return await uow.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == action, AuditEntry.actor == actor)) or 0


async def plan(ws) -> None:
    await ws.driver.command(seed.ADMIN, 'admin case new title="再送の事例" theme=教育')
    await ws.driver.command(seed.ADMIN, "admin session new case=C1 bureau=tokyo start=2027-05-15T14:00 minutes=120 "
                                        "capacity=30 min=1 deadline=2027-05-01T17:00 release=2027-05-07T09:00")
    await announced(ws)


async def press_join(ws, recorder: Recorder) -> str:
    await ws.driver.command(USER, "sessions")
    listing = ws.fake.ephemerals(USER)[-1]
    await ws.driver.press(USER, listing, ids.SESSION_JOIN)
    return recorder.bodies[-1]


def dm_event(ws, text: str) -> dict:
    channel = ws.fake.dm_channel_id(USER)
    stored = ws.fake.add_user_message(channel, USER, text)
    return {"type": "message", "channel": channel, "user": USER, "text": text, "ts": stored["ts"],
            "event_ts": stored["ts"], "channel_type": "im", "client_msg_id": str(uuid.uuid4())}


def bot_posts(ws, user: str) -> int:
    return sum(1 for m in ws.fake.dm_messages(user) if m.get("bot_id"))


async def test_a_retried_event_is_acknowledged_without_a_second_reply(ws):
    event = dm_event(ws, "こんにちは")
    first = await ws.driver.event(event, event_id="EvRETRY0001")
    after_first = bot_posts(ws, USER)
    for attempt in (1, 2, 3):
        retry = await ws.driver.event(event, retry_num=attempt, event_id="EvRETRY0001")
        assert retry.status == 200 and retry.calls == []
    assert first.status == 200 and after_first == 1 and bot_posts(ws, USER) == 1


async def test_the_same_button_press_sent_twice_joins_and_answers_once(ws):
    await plan(ws)
    recorder = Recorder(ws)
    body = await press_join(ws, recorder)
    answers = len(ws.fake.ephemerals(USER))
    again = await ws.driver.send_raw(body, FORM)
    assert again.status == 200 and again.calls == []
    async with ws.deps.uow() as uow:
        assert [r.user_id for r in await uow.registrations.for_session(1)] == [USER]
    assert await audit_count(ws, "session.join") == 1
    assert len(ws.fake.ephemerals(USER)) == answers


async def test_a_second_press_of_the_same_button_is_a_new_action(ws):
    """Dedupe is by action_ts: pressing again later is a real second press (here: already registered)."""
    await plan(ws)
    recorder = Recorder(ws)
    await press_join(ws, recorder)
    listing = ws.fake.ephemerals(USER)[-2]
    reply = await ws.driver.press(USER, listing, ids.SESSION_JOIN)
    assert reply.calls_to("response_url")


async def test_a_signed_command_sent_again_within_its_five_minutes_has_no_second_effect(ws):
    await plan(ws)
    recorder = Recorder(ws)
    await ws.driver.command(USER, "join S1")
    body = recorder.bodies[-1]
    answers = len(ws.fake.ephemerals(USER))
    ws.clock.advance(timedelta(minutes=2))
    replay = await ws.driver.send_raw(body, FORM)  # validly signed, the same body
    assert replay.status == 200 and replay.calls == []
    assert await audit_count(ws, "session.join") == 1
    assert len(ws.fake.ephemerals(USER)) == answers
    # The same words typed again are a new command (Slack gives it its own trigger_id).
    await ws.driver.command(USER, "join S1")
    assert len(ws.fake.ephemerals(USER)) == answers + 1


async def test_once_only_keys_hold_no_user_id(ws):
    await plan(ws)
    recorder = Recorder(ws)
    await ws.driver.command(USER, "my")
    await press_join(ws, recorder)
    async with ws.deps.uow() as uow:
        keys = list(await uow.session.scalars(select(ProcessedRequest.key)))
    assert {k.split(":", 1)[0] for k in keys} >= {"command", "action"}
    assert not [k for k in keys if USER in k or seed.ADMIN in k]


async def test_the_same_view_submission_sent_twice_saves_once(ws):
    ws.fake.add_user(NEWCOMER, "新人")
    recorder = Recorder(ws)
    await ws.driver.command(NEWCOMER, "profile")
    view = ws.fake.current_view(NEWCOMER)
    await ws.driver.submit_view(NEWCOMER, view, profile_values("新人 太郎"))
    again = await ws.driver.send_raw(recorder.bodies[-1], FORM)
    assert again.status == 200 and again.calls == []
    assert await audit_count(ws, "profile.update", NEWCOMER) == 1
    assert sum(1 for m in ws.fake.dm_messages(NEWCOMER) if "プロフィールを保存しました" in str(m)) == 1


async def test_a_submission_refused_with_errors_can_be_corrected_and_sent_again(ws):
    ws.fake.add_user(NEWCOMER, "新人")
    await ws.driver.command(NEWCOMER, "profile")
    view = ws.fake.current_view(NEWCOMER)
    refused = await ws.driver.submit_view(NEWCOMER, view, profile_values("<!channel>"))
    assert refused.ack["response_action"] == "errors"
    accepted = await ws.driver.submit_view(NEWCOMER, view, profile_values("新人 太郎"))
    assert not (accepted.ack or {}).get("errors")
    async with ws.deps.uow() as uow:
        assert (await uow.coordinators.get(NEWCOMER)).name == "新人 太郎"


def profile_values(name: str) -> dict:
    return {
        ids.PROFILE_NAME_BLOCK: {ids.PROFILE_NAME_INPUT: name},
        ids.PROFILE_PREFECTURE_BLOCK: {ids.PROFILE_PREFECTURE_INPUT: "東京都"},
        ids.PROFILE_AFFILIATION_BLOCK: {ids.PROFILE_AFFILIATION_INPUT: "public"},
        ids.PROFILE_THEMES_BLOCK: {ids.PROFILE_THEMES_INPUT: ["education"]},
        ids.PROFILE_LANG_BLOCK: {ids.PROFILE_LANG_INPUT: "ja"},
        ids.PROFILE_NUDGES_BLOCK: {ids.PROFILE_NUDGES_INPUT: "on"},
    }


async def test_dedupe_survives_a_restart(db_url):
    clock = ManualClock(START)
    async with open_workspace(db_url, clock) as first_run:
        await plan(first_run)
        recorder = Recorder(first_run)
        body = await press_join(first_run, recorder)
        event = dm_event(first_run, "hello")
        await first_run.driver.event(event, event_id="EvRESTART01")
    clock.advance(timedelta(minutes=5))
    async with open_workspace(db_url, clock) as second_run:
        replay = await second_run.driver.send_raw(body, FORM)
        retried = await second_run.driver.event(event, retry_num=1, event_id="EvRESTART01")
        assert replay.status == 200 and replay.calls == []
        assert retried.status == 200 and retried.calls == []
        assert await audit_count(second_run, "session.join") == 1


async def test_keys_are_kept_ten_minutes_and_forgotten_after_an_hour(ws):
    await plan(ws)
    recorder = Recorder(ws)
    body = await press_join(ws, recorder)
    ws.clock.advance(timedelta(minutes=10))
    await ws.run_due()  # the cleanup job runs on every tick
    assert (await ws.driver.send_raw(body, FORM)).calls == []
    ws.clock.advance(timedelta(minutes=51))
    await ws.run_due()
    async with ws.deps.uow() as uow:
        keys = list(await uow.session.scalars(select(ProcessedRequest.key)))
    assert not [k for k in keys if k.startswith("action:")]


def _shown(text: str) -> str:
    """Stands in for the keyed hash, to show what a key is made of."""
    return f"<{text}>"


@pytest.mark.parametrize("body, expected", [
    ({"type": "block_actions", "user": {"id": "U1"}, "actions": [{"action_id": "a", "action_ts": "1.2"}]},
     "action:<U1|1.2>"),
    ({"type": "view_submission", "view": {"id": "V1", "hash": "h"}}, "view:<V1|h>"),
    ({"command": "/jirei", "text": "my", "trigger_id": "1.2.x"},
     'command:<{"command": "/jirei", "text": "my", "trigger_id": "1.2.x"}>'),
    ({"type": "block_actions", "user": {"id": "U1"}, "actions": []}, None),
    ({"type": "block_actions", "user": "U1", "actions": [{"action_id": "a", "action_ts": "1"}]}, None),
    ({"type": "view_submission", "view": "V1"}, None),
    ({"type": "view_closed", "view": {"id": "V1", "hash": "h"}}, None),
    ({"command": "/other"}, None),
    ("not a dict", None),
])
def test_once_only_keys(body, expected):
    assert once_only_key(body, _shown) == expected


def test_keys_are_keyed_hashes_without_user_ids_or_option_names():
    # A survey option button's action id names the option; the key must not link a person to it,
    # and a plain hash of a user id and a timestamp would be found by trying them.
    cipher = Cipher(generate_key())
    body = {"type": "block_actions", "user": {"id": "U1"},
            "actions": [{"action_id": "survey_choose:necessary", "action_ts": "1.2"}]}
    key = once_only_key(body, cipher.keyed_digest)
    assert "necessary" not in key and "U1" not in key
    assert key != "action:" + hashlib.sha256(b"U1|1.2").hexdigest()[:40]
    assert key != once_only_key(body, Cipher(generate_key()).keyed_digest)
    assert key == once_only_key(body, cipher.keyed_digest)


def test_forged_long_ids_make_keys_that_fit_the_column():
    cipher = Cipher(generate_key())
    body = {"type": "block_actions", "user": {"id": "U" * 500}, "actions": [{"action_id": "x" * 300, "action_ts": "1"}]}
    key = once_only_key(body, cipher.keyed_digest)
    assert key.startswith("action:") and len(key) <= 200
    assert key != once_only_key({**body, "user": {"id": "U" * 499}}, cipher.keyed_digest)
