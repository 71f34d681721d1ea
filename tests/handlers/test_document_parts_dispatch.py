"""Documents, whole, through the real AsyncApp and the fake Slack: a .docx with personal data in its
hidden parts is reported part by part and its accepted version, reopened part by part, keeps none
of it; a billion-laughs .docx gets the "unreadable" answer in the person's language, never a 500
or silence, from `/jirei check` and from a material upload."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import select

from bot import ids
from bot.core.i18n import t
from bot.local import seed
from storage.models import Material
from tests.bot.docx_parts import PLANTED, hidden_parts_docx, hostile_docx
from tests.handlers.conftest import texts
from tests.handlers.test_materials_dispatch import upload


async def check_file(ws, user: str, filename: str, data: bytes):
    await ws.driver.command(user, "check")
    file_id = ws.fake.add_user_file(user, filename, data)
    return await ws.driver.submit_view(user, ws.fake.current_view(user),
                                       {ids.CHECK_FILE_BLOCK: {ids.CHECK_FILE_INPUT: [file_id]}})


@pytest.mark.parametrize("lang", ["ja", "en"])
async def test_a_billion_laughs_docx_checked_in_slack_is_answered_unreadable(ws, lang):
    user = seed.COORDINATORS[0][0]
    if lang == "en":
        await ws.driver.command(user, "profile set lang=en")
    reply = await check_file(ws, user, "laughs.docx", hostile_docx())
    assert reply.status == 200
    assert str(ws.fake.current_view(user)["blocks"]).count(t("checks.unreadable", lang)) == 1


@pytest.mark.parametrize("lang", ["ja", "en"])
async def test_a_billion_laughs_docx_uploaded_as_material_is_answered_unreadable(ws, lang):
    if lang == "en":
        await ws.driver.command(seed.ADMIN, "profile set lang=en")
    await ws.driver.command(seed.ADMIN, 'admin case new title="受診同行" theme=医療・福祉')
    await upload(ws, hostile_docx(), "laughs.docx")
    assert texts(ws.fake.dm_messages(seed.ADMIN)[-1:]) == t("materials.error.unreadable", lang, filename="laughs.docx")
    async with ws.deps.uow() as uow:
        assert list(await uow.session.scalars(select(Material))) == []


async def test_a_checked_docx_lists_every_hidden_part_to_the_asker(ws):
    user = seed.COORDINATORS[1][0]
    await check_file(ws, user, "case.docx", hidden_parts_docx())
    shown = str(ws.fake.current_view(user)["blocks"])
    for part in ("header_first", "header_even", "text_box", "comment", "tracked_deletion", "properties"):
        assert t(f"anonymisation.part.{part}", "ja") in shown, part
    assert "AB12345678CD" in shown and "高橋健太" in shown  # before → after, to the asker alone


async def test_an_accepted_docx_keeps_nothing_planted_in_any_part(ws):
    await ws.driver.command(seed.ADMIN, 'admin case new title="避難" theme=家庭・DV')
    await upload(ws, hidden_parts_docx(), "case.docx")
    findings = ws.fake.dm_messages(seed.ADMIN)[-1]
    shown = texts([findings])
    assert t("anonymisation.part.header_first", "ja") in shown and t("anonymisation.part.comment", "ja") in shown
    async with ws.deps.uow() as uow:
        (flagged,) = list(await uow.session.scalars(select(Material)))
        assert {f.get("part", "body") for f in flagged.findings} >= {part for _, _, part in PLANTED.values()}
    await ws.driver.press(seed.ADMIN, findings, ids.MATERIAL_ACCEPT_PROPOSAL)
    async with ws.deps.uow() as uow:
        rows = {m.version: m for m in await uow.session.scalars(select(Material))}
        stored = uow.cipher.decrypt(rows[2].content_encrypted)
        assert rows[1].content_encrypted is None and rows[2].findings == []
    with zipfile.ZipFile(io.BytesIO(stored)) as archive:
        members = {name: archive.read(name).decode("utf-8") for name in archive.namelist()
                   if name.endswith((".xml", ".rels"))}
    assert "word/document.xml" in members and "word/comments.xml" not in members
    for key, (_, text, _) in PLANTED.items():
        assert not [name for name, raw in members.items() if text in raw], key
