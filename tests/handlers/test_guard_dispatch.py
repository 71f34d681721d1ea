"""The personal-data guard in a study group's channel: a message with a name and a phone number gets
an ephemeral note to its poster alone; a clean one gets nothing; nothing is stored or logged; the
group's members can switch it off."""

from __future__ import annotations

import logging
import uuid

from bot import ids
from tests.handlers.test_checks_dispatch import every_stored_text
from tests.handlers.test_study_groups_dispatch import form_group
from tests.test_logs import everything_logged

FLAGGED = "昨日の相談者の山田花子さん（090-1234-5678）の件ですが、来週の勉強会で扱えますか？"
CLEAN = "来週の勉強会では A氏の事例（X市、〇〇病院）を扱います。"
SECRETS = ("山田花子", "090-1234-5678", "1234-5678")


async def post(ws, channel: str, user: str, text: str) -> dict:
    stored = ws.fake.add_user_message(channel, user, text)
    await ws.driver.event({"type": "message", "channel": channel, "user": user, "text": text, "ts": stored["ts"],
                           "event_ts": stored["ts"], "channel_type": "group", "client_msg_id": str(uuid.uuid4()),
                           "team": ws.driver.team_id})
    return stored


async def test_a_name_and_phone_get_an_ephemeral_note_to_the_poster_only(ws, caplog, production_logging):
    caplog.set_level(logging.DEBUG)
    group, members = await form_group(ws)
    poster, other = members[0], members[1]
    await post(ws, group.channel_id, poster, FLAGGED)
    (note,) = ws.fake.ephemerals(poster)
    shown = str(note.get("blocks"))
    assert "氏名" in shown and "電話番号" in shown  # the kinds found
    assert "Aさん（***-****-****）" in shown  # the proposed rewrite
    assert ids.GUARD_OPEN_MESSAGE in shown and "archives" in shown  # the way to the message to delete
    assert ws.fake.ephemerals(other) == []
    assert not any(s in str(m) for m in ws.fake.messages(group.channel_id) if m.get("bot_id") for s in SECRETS)
    stored = await every_stored_text(ws)
    assert not any(secret in stored for secret in SECRETS)
    assert not any(secret in everything_logged(caplog) for secret in SECRETS)


async def test_a_clean_message_gets_nothing(ws):
    group, members = await form_group(ws)
    await post(ws, group.channel_id, members[0], CLEAN)
    assert ws.fake.ephemerals(members[0]) == []


async def test_members_switch_the_guard_off_and_on_and_others_cannot(ws):
    group, members = await form_group(ws)
    outsider = members[-1] if len(members) > 3 else "UCOORD10"
    await ws.driver.command(members[1], "guard off", channel_id=group.channel_id)
    await post(ws, group.channel_id, members[0], FLAGGED)
    assert ws.fake.ephemerals(members[0]) == []
    await ws.driver.command(outsider, "guard on", channel_id=group.channel_id)
    await post(ws, group.channel_id, members[0], FLAGGED)
    assert ws.fake.ephemerals(members[0]) == []
    await ws.driver.command(members[2], "guard on", channel_id=group.channel_id)
    await post(ws, group.channel_id, members[0], FLAGGED)
    assert len(ws.fake.ephemerals(members[0])) == 1
