"""Checks never interfere: through the real AsyncApp, while a 1 MB adversarial file is being checked
(`/jirei check`), twenty other `/jirei check`s, messages in a guarded study-group channel and a
material upload are all checked at the same time, and every one is answered with its findings.
Before each worker thread had its own SudachiPy tokenizer, the one shared tokenizer refused every
check but one ("Tokenizer is already in use") and `/jirei check` answered 500."""

from __future__ import annotations

import asyncio
import logging
import threading

from bot import ids
from bot.local import seed
from tests.handlers.conftest import add_coordinators, texts
from tests.handlers.test_checks_dispatch import rendered
from tests.handlers.test_guard_dispatch import FLAGGED as GUARD_FLAGGED
from tests.handlers.test_material_proposal_dispatch import FLAGGED as UPLOAD_FLAGGED
from tests.handlers.test_materials_dispatch import TOKYO_SESSION
from tests.handlers.test_study_groups_dispatch import form_group

# 1 MB of "ア・" (the run the checker once walked back over to its start, for every word), with
# something to find at its very end: the answer proves the file was checked to the end.
ADVERSARIAL = ("ア・" * (1_000_000 // 6) + "\n相談者の山田花子さん（090-1234-5678）").encode()


async def post(ws, channel: str, user: str, text: str):
    """A message in a guarded channel, without waiting for the rest of the workspace to settle."""
    stored = ws.fake.add_user_message(channel, user, text)
    return await ws.driver.event({"type": "message", "channel": channel, "user": user, "text": text,
                                  "ts": stored["ts"], "event_ts": stored["ts"], "channel_type": "group",
                                  "client_msg_id": f"guard-{user}", "team": ws.driver.team_id}, settle=False)


def case(i: int) -> str:
    return f"相談者の{'佐藤鈴木高橋田中伊藤渡辺'[i % 6 * 2:i % 6 * 2 + 2]}花子さん（電話 090-1234-{5000 + i}）の事例。"


async def test_twenty_checks_guarded_messages_and_an_upload_while_a_megabyte_is_checked(ws, caplog, monkeypatch):
    from handlers.views import checks

    caplog.set_level(logging.INFO)
    group, members = await form_group(ws)
    await ws.driver.command(seed.ADMIN, 'admin case new title="避難" theme=家庭・DV')
    await ws.driver.command(seed.ADMIN, TOKYO_SESSION)
    users = await add_coordinators(ws, 20, prefix="UCHK")
    big = seed.COORDINATORS[0][0]
    forms = {}
    for user in [big, *users]:
        await ws.driver.command(user, "check")
        forms[user] = ws.fake.current_view(user)
    await ws.driver.command(seed.ADMIN, "admin material add C1")
    upload_form = ws.fake.current_view(seed.ADMIN)

    checking_the_big_file = threading.Event()
    propose_file = checks.propose_file

    def watched(data: bytes, filename: str, today, lang: str):
        if len(data) > 100_000:
            checking_the_big_file.set()
        return propose_file(data, filename, today, lang)

    monkeypatch.setattr(checks, "propose_file", watched)
    big_file = ws.fake.add_user_file(big, "case.txt", ADVERSARIAL)
    big_reply = asyncio.ensure_future(ws.driver.submit_view(
        big, forms[big], {ids.CHECK_FILE_BLOCK: {ids.CHECK_FILE_INPUT: [big_file]}}, settle=False))
    assert await asyncio.to_thread(checking_the_big_file.wait, 60)

    upload_file = ws.fake.add_user_file(seed.ADMIN, "case.txt", UPLOAD_FLAGGED.encode())
    replies = await asyncio.gather(
        *(ws.driver.submit_view(user, forms[user], {ids.CHECK_TEXT_BLOCK: {ids.CHECK_TEXT_INPUT: case(i)}},
                                settle=False) for i, user in enumerate(users)),
        *(post(ws, group.channel_id, poster, GUARD_FLAGGED) for poster in members[:3]),
        ws.driver.submit_view(seed.ADMIN, upload_form, {
            ids.MATERIAL_CASE_BLOCK: {ids.MATERIAL_CASE_INPUT: "C1"},
            ids.MATERIAL_KIND_BLOCK: {ids.MATERIAL_KIND_INPUT: "material"},
            ids.MATERIAL_FILE_BLOCK: {ids.MATERIAL_FILE_INPUT: [upload_file]}}, settle=False))
    await ws.driver.settle(300)
    big_reply = await big_reply

    assert [reply.status for reply in [*replies, big_reply]] == [200] * (len(users) + 3 + 1 + 1)
    for i, user in enumerate(users):
        answer = rendered(ws.fake.current_view(user))
        assert "Aさん" in answer and f"090-1234-{5000 + i}" in answer, answer[:300]
    answer = rendered(ws.fake.current_view(big))
    assert "山田花子" in answer and "090-1234-5678" in answer  # found at the end of the megabyte
    for poster in members[:3]:
        (note,) = ws.fake.ephemerals(poster)
        assert "Aさん（***-****-****）" in str(note.get("blocks"))
    assert "山田花子" in texts(ws.fake.dm_messages(seed.ADMIN)[-1:])  # the upload's findings, to its uploader
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or "already in use" in r.getMessage()]
