"""`/jirei check` through the real AsyncApp: any coordinator gets the findings and the proposal in
their own modal; no one else sees anything, and nothing of the text is in any table or the log."""

from __future__ import annotations

import logging

from sqlalchemy import LargeBinary, select

from bot import ids
from bot.local import seed
from storage.models import Base
from tests.handlers.conftest import texts
from tests.test_logs import everything_logged

CASE = "相談者の山田花子さん（電話 090-1234-5678）は夫の暴力から避難している。"
SECRETS = ("山田花子", "山田", "090-1234-5678", "1234-5678")


async def every_stored_text(ws) -> str:
    parts = []
    async with ws.deps.uow() as uow:
        for table in Base.metadata.sorted_tables:
            binary = {c.name for c in table.columns if isinstance(c.type, LargeBinary)}
            for row in (await uow.session.execute(select(table))).all():
                for name, value in row._mapping.items():
                    if name in binary and value is not None:
                        parts.append(uow.cipher.decrypt(bytes(value)).decode("utf-8", "replace"))
                    else:
                        parts.append(str(value))
    return "\n".join(parts)


def rendered(view: dict) -> str:
    return str(view.get("blocks"))


async def test_a_coordinator_sees_findings_and_proposal_alone_and_nothing_is_kept(ws, caplog, production_logging):
    caplog.set_level(logging.DEBUG)
    user, other = seed.COORDINATORS[0][0], seed.COORDINATORS[1][0]
    await ws.driver.command(user, "check")
    form = ws.fake.current_view(user)
    assert form["callback_id"] == ids.CHECK_VIEW
    await ws.driver.submit_view(user, form, {ids.CHECK_TEXT_BLOCK: {ids.CHECK_TEXT_INPUT: CASE}})
    answer = rendered(ws.fake.current_view(user))
    assert "山田花子" in answer and "090-1234-5678" in answer  # before → after, to the asker
    assert "相談者のAさん（電話 ***-****-****）は夫の暴力から避難している。" in answer
    assert ws.fake.current_view(other) is None
    for person in (user, other, seed.ADMIN):
        assert not any(s in texts(ws.fake.dm_messages(person)) for s in SECRETS)
        assert not any(s in str(ws.fake.ephemerals(person)) for s in SECRETS)
    stored = await every_stored_text(ws)
    assert not any(secret in stored for secret in SECRETS)
    assert not any(secret in everything_logged(caplog) for secret in SECRETS)


async def test_an_attached_docx_is_checked_and_a_clean_text_says_so(ws):
    import io

    import docx

    user = seed.COORDINATORS[2][0]
    document = docx.Document()
    document.add_paragraph(CASE)
    buffer = io.BytesIO()
    document.save(buffer)
    await ws.driver.command(user, "check")
    file_id = ws.fake.add_user_file(user, "case.docx", buffer.getvalue())
    await ws.driver.submit_view(user, ws.fake.current_view(user), {ids.CHECK_FILE_BLOCK: {ids.CHECK_FILE_INPUT: [file_id]}})
    assert "Aさん" in rendered(ws.fake.current_view(user))
    await ws.driver.command(user, "check")
    await ws.driver.submit_view(user, ws.fake.current_view(user),
                                {ids.CHECK_TEXT_BLOCK: {ids.CHECK_TEXT_INPUT: "A氏はX市の〇〇病院に通院している。"}})
    assert "✅" in rendered(ws.fake.current_view(user))


async def test_an_empty_check_is_refused_in_the_form(ws):
    user = seed.COORDINATORS[0][0]
    await ws.driver.command(user, "check")
    reply = await ws.driver.submit_view(user, ws.fake.current_view(user), {})
    assert reply.ack["response_action"] == "errors"


async def test_a_slow_check_shows_checking_then_the_answer(ws, monkeypatch):
    from handlers.views import checks

    import time

    monkeypatch.setattr(checks, "ANSWER_IN_ACK_SECONDS", 0)
    original = checks.propose_text

    def slow_propose(*args):
        time.sleep(0.3)  # in the worker thread: the ack has long reached Slack by then
        return original(*args)

    monkeypatch.setattr(checks, "propose_text", slow_propose)
    user = seed.COORDINATORS[0][0]
    await ws.driver.command(user, "check")
    reply = await ws.driver.submit_view(user, ws.fake.current_view(user),
                                        {ids.CHECK_TEXT_BLOCK: {ids.CHECK_TEXT_INPUT: CASE}})
    assert "⏳" in str(reply.ack["view"]["blocks"])
    assert "相談者のAさん" in rendered(ws.fake.current_view(user))


async def test_the_answer_shows_confident_findings_and_those_to_check_apart(ws):
    """A weak signal (one capitalised word) is listed under 要確認 and left in the proposed text; the
    confident findings are replaced."""
    from bot.core.i18n import t

    user = seed.COORDINATORS[0][0]
    text = "相談者の山田花子さん（電話 090-1234-5678）は、駅で友人のOkaforと会った。"
    await ws.driver.command(user, "check")
    await ws.driver.submit_view(user, ws.fake.current_view(user), {ids.CHECK_TEXT_BLOCK: {ids.CHECK_TEXT_INPUT: text}})
    blocks = [str(block) for block in ws.fake.current_view(user)["blocks"]]
    found_at = next(i for i, b in enumerate(blocks) if t("checks.found", "ja", count=2) in b)
    to_check_at = next(i for i, b in enumerate(blocks) if t("checks.to_check_intro", "ja", count=1) in b)
    assert found_at < to_check_at
    assert "山田花子" in blocks[found_at + 1] and "Okafor" not in blocks[found_at + 1]
    assert "Okafor" in blocks[to_check_at + 1] and "山田花子" not in blocks[to_check_at + 1]
    proposed = next(b for b in blocks if "```" in b)
    assert "友人のOkaforと会った" in proposed and "山田花子" not in proposed
