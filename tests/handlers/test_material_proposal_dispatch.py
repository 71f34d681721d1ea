"""A flagged upload gets the anonymisation proposal as before → after; accepting it stores the
anonymised text as the new version, which is what participants receive, and the original's bytes
are gone from the database file."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from datetime import timedelta
from pathlib import Path

from cryptography.fernet import InvalidToken
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot import ids
from bot.local import seed
from bot.materials import service as materials
from storage.models import Material
from tests.handlers.conftest import add_coordinators, announced, texts
from tests.handlers.test_materials_dispatch import TOKYO_SESSION, received_material, upload

FLAGGED = "【事例】相談者の山田花子さん（電話 090-1234-5678）は、夫の暴力から避難している。\n"
ANONYMISED = "【事例】相談者のAさん（電話 ***-****-****）は、夫の暴力から避難している。\n"


async def flagged_upload(ws) -> dict:
    await ws.driver.command(seed.ADMIN, 'admin case new title="避難" theme=家庭・DV')
    await ws.driver.command(seed.ADMIN, TOKYO_SESSION)
    await upload(ws, FLAGGED.encode())
    return ws.fake.dm_messages(seed.ADMIN)[-1]


async def test_accepting_the_proposal_stores_and_sends_the_anonymised_text_only(ws, db_url):
    findings = await flagged_upload(ws)
    shown = texts([findings])
    assert "山田花子" in shown and "090-1234-5678" in shown and ANONYMISED.strip() in shown  # before → after
    async with ws.deps.uow() as uow:
        original = (await uow.session.scalars(select(Material))).one()
        original_token = bytes(original.content_encrypted)
    await ws.driver.press(seed.ADMIN, findings, ids.MATERIAL_ACCEPT_PROPOSAL)
    assert "第2版" in texts(ws.fake.dm_messages(seed.ADMIN)[-1:]) or "第2版" in str(ws.fake.ephemerals(seed.ADMIN))
    async with ws.deps.uow() as uow:
        rows = {m.version: m for m in await uow.session.scalars(select(Material))}
        assert rows[1].content_encrypted is None and rows[1].deleted_at is not None
        assert uow.cipher.decrypt(rows[2].content_encrypted).decode() == ANONYMISED
        assert rows[2].findings == [] and materials.sent_filename(uow.cipher, rows[2]) == "case.txt"
    users = await add_coordinators(ws, 2, prefix="UPR")
    await announced(ws)
    for user in users:
        await ws.driver.command(user, "join S1")
    await ws.advance(timedelta(days=36, hours=1))  # past the release
    for user in users:
        assert len(received_material(ws, user)) == 1
        files = [f for m in ws.fake.dm_messages(user) for f in m.get("files") or [] if f["name"] == "case.txt"]
        assert [ws.fake.file_content(f["id"]).decode() for f in files] == [ANONYMISED]
    if db_url.startswith("sqlite"):
        path = Path(db_url.split("///", 1)[1])
        with sqlite3.connect(path) as raw:
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        stored = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert original_token not in stored and original_token[:60] not in stored


# A Fernet token as stored (base64url text).
FERNET_TOKEN = re.compile(rb"gAAAAA[A-Za-z0-9_\-]{40,}={0,2}")


def _plaintexts(raw: bytes, cipher) -> list[bytes]:
    """Everything encrypted in `raw` that the key still opens (a torn token is skipped)."""
    found = []
    for token in set(FERNET_TOKEN.findall(raw)):
        try:
            found.append(cipher._fernet.decrypt(token))
        except InvalidToken:
            continue
    return found


async def test_after_accepting_nothing_of_the_original_is_left_in_the_database_file_or_its_log(ws, db_url):
    """The operator who copies the database file and its write-ahead log right after the accept
    finds neither the original's text nor its own file name nor its SHA-256."""
    await ws.driver.command(seed.ADMIN, 'admin case new title="避難" theme=家庭・DV')
    await ws.driver.command(seed.ADMIN, TOKYO_SESSION)
    original_name = "避難の事例メモ.txt"
    await upload(ws, FLAGGED.encode(), filename=original_name)
    findings = ws.fake.dm_messages(seed.ADMIN)[-1]
    digest = hashlib.sha256(FLAGGED.encode()).hexdigest()
    async with ws.deps.uow() as uow:
        original = (await uow.session.scalars(select(Material))).one()
        assert original.sha256 == digest and materials.sent_filename(uow.cipher, original) == original_name
        name_token = bytes(original.filename_encrypted)
    await ws.driver.press(seed.ADMIN, findings, ids.MATERIAL_ACCEPT_PROPOSAL)
    async with ws.deps.uow() as uow:
        rows = {m.version: m for m in await uow.session.scalars(select(Material))}
        new_name_token = bytes(rows[2].filename_encrypted)
        cipher = uow.cipher
    assert rows[1].content_encrypted is None and rows[1].filename_encrypted is None and rows[1].sha256 is None
    assert rows[2].sha256 == hashlib.sha256(ANONYMISED.encode()).hexdigest()
    if not db_url.startswith("sqlite"):
        return  # PostgreSQL keeps the old row version until VACUUM: docs/operations.md
    database = Path(make_url(db_url).database)
    wal = database.with_name(database.name + "-wal")
    raw = database.read_bytes() + (wal.read_bytes() if wal.exists() else b"")  # as copied, no checkpoint
    assert digest.encode() not in raw and name_token not in raw and name_token[:60] not in raw
    opened = _plaintexts(raw, cipher)
    assert opened, "the live rows' tokens are found"
    assert not [p for p in opened if "山田花子".encode() in p or b"090-1234-5678" in p]
    # The new version is sent under the name the uploader gave (it passed the check): its own token
    # is the only one left that opens to that name; the original row's token is gone.
    named = [t for t in set(FERNET_TOKEN.findall(raw)) if t in (name_token, new_name_token)
             or _plaintexts(t, cipher) == [original_name.encode()]]
    assert named == [new_name_token]


async def test_withdrawing_deletes_the_file_and_nothing_is_released(ws):
    findings = await flagged_upload(ws)
    await ws.driver.press(seed.ADMIN, findings, ids.MATERIAL_WITHDRAW)
    async with ws.deps.uow() as uow:
        (material,) = list(await uow.session.scalars(select(Material)))
        assert material.content_encrypted is None and material.deleted_at is not None
    user = (await add_coordinators(ws, 1, prefix="UWD"))[0]
    await announced(ws)
    await ws.driver.command(user, "join S1")
    await ws.driver.command(seed.COORDINATORS[0][0], "join S1")
    await ws.advance(timedelta(days=36, hours=1))
    assert received_material(ws, user) == []


async def test_only_the_uploader_side_may_accept(ws):
    findings = await flagged_upload(ws)
    outsider = seed.COORDINATORS[0][0]
    await ws.driver.click(outsider, ids.MATERIAL_ACCEPT_PROPOSAL, "M1", message=findings)
    async with ws.deps.uow() as uow:
        assert len(list(await uow.session.scalars(select(Material)))) == 1


async def test_a_link_is_released_only_once_its_uploader_confirms_it_was_checked(ws):
    lecturer = seed.LECTURER
    await ws.driver.command(seed.ADMIN, f'admin case new title="避難" theme=家庭・DV lecturer=<@{lecturer}>')
    await ws.driver.command(seed.ADMIN, TOKYO_SESSION)
    await ws.driver.command(lecturer, "admin material add C1 url=https://files.example.jp/c1.pdf")
    (answer,) = [m for m in ws.fake.ephemerals(lecturer) if ids.MATERIAL_LINK_CHECK_OPEN in str(m)]
    await ws.driver.open_home(lecturer)
    home = str(ws.fake.home_view(lecturer))
    assert "未確認のリンク" in home and "指摘なし" not in home
    users = await add_coordinators(ws, 2, prefix="ULK")
    await announced(ws)
    for user in users:
        await ws.driver.command(user, "join S1")
    await ws.advance(timedelta(days=36, hours=1))  # past the release: an unchecked link is not sent
    assert received_material(ws, users[0]) == []
    await ws.driver.press(lecturer, answer, ids.MATERIAL_LINK_CHECK_OPEN)
    await ws.driver.submit_view(lecturer, ws.fake.current_view(lecturer),
                                {ids.MATERIAL_LINK_CHECK_BLOCK: {ids.MATERIAL_LINK_CHECK_INPUT: ["checked"]}})
    await ws.driver.open_home(lecturer)
    assert "リンク先を確認済み" in str(ws.fake.home_view(lecturer))
    await ws.advance(timedelta(minutes=10))
    assert all(len(received_material(ws, user)) == 1 for user in users)
