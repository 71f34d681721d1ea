"""Issue 5's proofs through the real AsyncApp: the material reaches exactly the confirmed,
pledged participants, once; nobody else can obtain it; publication waits for every bureau."""

import asyncio
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import ids
from bot.core import anonymisation
from bot.local import seed
from bot.core.i18n import t
from bot.materials import service as materials
from storage.models import Delivery
from tests.handlers.conftest import add_coordinators, announced, texts

CLEAN = "【事例】Aさん（30代）は市役所で医療通訳の手配を相談した。\n".encode()
SESSION = ("admin session new case=C1 bureau={bureau} start={start} minutes=120 capacity={capacity} min=2 "
           "deadline={deadline} release={release}")
# S1 in Tokyo on 15 May 2027 at 14:00, ten seats, its material released on 7 May at 9:00.
TOKYO_SESSION = SESSION.format(bureau="tokyo", start="2027-05-15T14:00", capacity=10, deadline="2027-05-01T17:00",
                               release="2027-05-07T09:00")


async def case_and_tokyo_session(ws) -> None:
    """C1, and S1 on it (TOKYO_SESSION)."""
    await ws.driver.command(seed.ADMIN, 'admin case new title="受診同行" theme=医療・福祉')
    await ws.driver.command(seed.ADMIN, TOKYO_SESSION)


async def upload(ws, data: bytes = CLEAN, filename: str = "case.txt", *, check_seconds: float | None = None) -> None:
    await ws.driver.command(seed.ADMIN, "admin material add C1")
    form = ws.fake.current_view(seed.ADMIN)
    file_id = ws.fake.add_user_file(seed.ADMIN, filename, data)
    await ws.driver.submit_view(seed.ADMIN, form, {
        ids.MATERIAL_CASE_BLOCK: {ids.MATERIAL_CASE_INPUT: "C1"},
        ids.MATERIAL_KIND_BLOCK: {ids.MATERIAL_KIND_INPUT: "material"},
        ids.MATERIAL_FILE_BLOCK: {ids.MATERIAL_FILE_INPUT: [file_id]},
    }, settle=False)
    await ws.driver.settle(check_seconds)  # a large file's check takes a while on a loaded machine


def received_material(ws, user: str) -> list[dict]:
    return [m for m in ws.fake.dm_messages(user) if ids.MATERIAL_READ in str(m.get("blocks"))]


async def test_ten_confirmed_receive_it_once_and_nobody_else(ws):
    await case_and_tokyo_session(ws)
    await upload(ws)
    await announced(ws)
    confirmed = await add_coordinators(ws, 10, prefix="UCF")
    waitlisted = await add_coordinators(ws, 2, prefix="UWL")
    outsider = (await add_coordinators(ws, 1, prefix="UOUT"))[0]
    for user in confirmed + waitlisted:
        await ws.driver.command(user, "join S1")
    # an outsider cannot get the material: not by the read button, not by a forged button value
    await ws.driver.command(outsider, "join S99")
    await ws.advance(timedelta(days=36, hours=1))  # past the release (7 May 9:00)
    await ws.advance(timedelta(hours=2))  # and some more ticks: nothing is sent twice
    for user in confirmed:
        messages = received_material(ws, user)
        assert len(messages) == 1, user
        files = [f for m in ws.fake.dm_messages(user) for f in m.get("files") or []]
        assert [f["name"] for f in files if f["name"] == "case.txt"] == ["case.txt"]
    for user in waitlisted + [outsider]:
        assert received_material(ws, user) == []
        assert not [f for m in ws.fake.dm_messages(user) for f in m.get("files") or [] if f["name"] == "case.txt"]
    async with ws.deps.uow() as uow:
        rows = list(await uow.session.scalars(select(Delivery).where(Delivery.kind == "material")))
    assert sorted(r.recipient for r in rows) == sorted(confirmed) and {r.status for r in rows} == {"sent"}
    # the read button of someone else's DM does nothing for an outsider
    message = received_material(ws, confirmed[0])[0]
    await ws.driver.click(outsider, ids.MATERIAL_READ, "S1", message=message, block_id="material_S1")
    async with ws.deps.uow() as uow:
        assert await uow.material_reads.readers(1) == set()
    # a waitlisted person promoted after the release gets it at once
    await ws.driver.command(confirmed[0], "leave S1")
    await ws.run_due()
    assert len(received_material(ws, waitlisted[0])) == 1


async def test_without_the_pledge_nothing_arrives_even_when_confirmed(ws):
    await case_and_tokyo_session(ws)
    await upload(ws)
    await announced(ws)
    user, other = await add_coordinators(ws, 2, prefix="UPL")
    for joiner in (user, other):
        await ws.driver.command(joiner, "join S1")
    async with ws.deps.uow() as uow:  # the pledge withdrawn (e.g. a new pledge version not yet accepted)
        (await uow.coordinators.get(user)).pledge_accepted_at = None
    await ws.advance(timedelta(days=36, hours=1))
    assert received_material(ws, user) == [] and len(received_material(ws, other)) == 1


async def test_a_material_with_findings_is_not_released_until_confirmed(ws):
    await case_and_tokyo_session(ws)
    await upload(ws, "相談者の電話番号は090-1234-5678です。".encode())
    findings = ws.fake.dm_messages(seed.ADMIN)[-1]
    assert "090-1234-5678" in texts([findings])  # shown to the uploader only
    await announced(ws)
    user = seed.COORDINATORS[0][0]
    for joiner in (user, seed.COORDINATORS[1][0]):  # the minimum is two
        await ws.driver.command(joiner, "join S1")
    await ws.advance(timedelta(days=36, hours=1))
    assert received_material(ws, user) == []
    await ws.driver.press(seed.ADMIN, findings, ids.MATERIAL_CONFIRM)
    async with ws.deps.uow() as uow:
        assert [e.action for e in await uow.audit.entries(action="material.confirm_findings")] == [
            "material.confirm_findings"]
    await ws.advance(timedelta(minutes=5))
    assert len(received_material(ws, user)) == 1


async def test_publication_waits_for_every_bureau_not_just_the_sessions_created(ws):
    await case_and_tokyo_session(ws)
    await ws.driver.command(seed.ADMIN, SESSION.format(bureau="osaka", start="2027-06-12T14:00", capacity=10,
                                                       deadline="2027-05-29T17:00", release="2027-06-05T09:00"))
    for code in ("S1", "S2"):
        await ws.driver.command(seed.ADMIN, f"admin announce {code}")
    await upload(ws)
    for user in [c[0] for c in seed.COORDINATORS[:2]]:
        await ws.driver.command(user, "join S1")
    for user in [c[0] for c in seed.COORDINATORS[-2:]]:
        await ws.driver.command(user, "join S2")
    await ws.advance(timedelta(days=45))  # S1 held (15 May); S2 not yet
    assert ws.fake.messages(ws.portal_channel) == []
    await ws.advance(timedelta(days=28))  # S2 held (12 June): every session created so far, two bureaus of eight
    assert ws.fake.messages(ws.portal_channel) == []
    await ws.driver.command(seed.ADMIN, "admin publish C1")
    shown = texts(ws.fake.ephemerals(seed.ADMIN)[-1:])
    assert "（2局）" in shown and "（6局）" in shown and "札幌" in shown


async def test_read_cannot_be_recorded_before_the_material_is_released(ws):
    await case_and_tokyo_session(ws)
    await upload(ws)
    people = await add_coordinators(ws, 2, prefix="URD")
    await announced(ws)
    for user in people:
        await ws.driver.command(user, "join S1")
    await ws.advance(timedelta(days=31))  # confirmed at the deadline, before the release
    # A button built by hand (signed by Slack all the same) on one of their DMs.
    button = {"type": "button", "action_id": ids.MATERIAL_READ, "value": "S1", "text": {"type": "plain_text", "text": "x"}}
    earlier = {**ws.fake.dm_messages(people[0])[-1],
               "blocks": [{"type": "actions", "block_id": "material_S1", "elements": [button]}]}
    reply = await ws.driver.click(people[0], ids.MATERIAL_READ, "S1", message=earlier, block_id="material_S1")
    assert "まだお届けしていません" in texts(reply.answer)
    async with ws.deps.uow() as uow:
        assert (await uow.sessions.get(1)).status == "confirmed"
        assert await uow.material_reads.readers(1) == set()

    await ws.advance(timedelta(days=6, hours=1))  # past the release
    message = received_material(ws, people[0])[0]
    reply = await ws.driver.press(people[0], message, ids.MATERIAL_READ)
    assert "まだ" not in texts(reply.answer)
    async with ws.deps.uow() as uow:
        assert await uow.material_reads.readers(1) == {people[0]}


# --- what an upload reads, checks and keeps (issue 14, items 5, 6 and 10) -----------------------------


async def stored_materials(ws) -> list[tuple[bytes, str, list]]:
    """Every stored version: its decrypted content, the name it is sent under, its findings."""
    async with ws.deps.uow() as uow:
        rows = await uow.materials.for_case(1)
        return [(uow.cipher.decrypt(m.content_encrypted), materials.sent_filename(uow.cipher, m), m.findings)
                for m in rows]


def downloads(ws) -> list:
    return [call for call in ws.fake.calls if call.method in ("download", "files.info")]


def text_of_size(size: int) -> bytes:
    """A clean case padded to `size` bytes, with a phone number on its very last line."""
    last = "\n最後の行: 連絡先 090-1234-5678\n".encode()
    filler = CLEAN * ((size - len(last)) // len(CLEAN))
    return filler + b" " * (size - len(filler) - len(last)) + last


@pytest.mark.slow
async def test_uploads_are_read_to_their_end_and_over_the_limit_refused_naming_it(ws):
    await ws.driver.command(seed.ADMIN, 'admin case new title="受診同行" theme=医療・福祉')
    sizes = (1_500_000, 10_000_000)
    for size in sizes:
        await upload(ws, text_of_size(size), check_seconds=600)
    stored = await stored_materials(ws)
    assert [len(content) for content, _, _ in stored] == list(sizes)
    for (content, _, findings), size in zip(stored, sizes):
        assert content == text_of_size(size)  # whole, byte for byte
        last_line = content.decode().count("\n")
        assert findings == [{"kind": "phone", "line": last_line}]  # checked to its last line

    await upload(ws, b"x" * 21_000_000)
    refusal = ws.fake.dm_messages(seed.ADMIN)[-1]["text"]
    assert refusal == t("materials.error.too_large", "ja", mb=20) and "20MB" in refusal
    assert len(await stored_materials(ws)) == 2


async def test_a_file_larger_than_slack_said_is_cut_off_at_the_limit(ws, monkeypatch):
    async def never_checked(*args, **kwargs):
        raise AssertionError("the download must stop at the limit, before anything is checked")

    monkeypatch.setattr(materials, "MAX_FILE_BYTES", 1_000_000)
    monkeypatch.setattr(materials, "check_file", never_checked)
    await ws.driver.command(seed.ADMIN, 'admin case new title="受診同行" theme=医療・福祉')
    await ws.driver.command(seed.ADMIN, "admin material add C1")
    form = ws.fake.current_view(seed.ADMIN)
    file_id = ws.fake.add_user_file(seed.ADMIN, "case.txt", CLEAN * 30_000)
    ws.fake._files[file_id]["size"] = 1_000  # files.info understates it: only the stream tells
    await ws.driver.submit_view(seed.ADMIN, form, {
        ids.MATERIAL_CASE_BLOCK: {ids.MATERIAL_CASE_INPUT: "C1"},
        ids.MATERIAL_FILE_BLOCK: {ids.MATERIAL_FILE_INPUT: [file_id]},
    })
    assert ws.fake.dm_messages(seed.ADMIN)[-1]["text"] == t("materials.error.too_large", "ja", mb=0)
    assert await stored_materials(ws) == []


async def test_the_right_to_upload_is_checked_before_the_file_is_fetched(ws):
    await ws.driver.command(seed.ADMIN, 'admin case new title="受診同行" theme=医療・福祉')
    await ws.driver.command(seed.ADMIN, "admin material add C1")
    form = ws.fake.current_view(seed.ADMIN)  # a form the coordinator could never open
    coordinator = seed.COORDINATORS[0][0]
    file_id = ws.fake.add_user_file(coordinator, "case.txt", CLEAN)
    await ws.driver.submit_view(coordinator, form, {
        ids.MATERIAL_CASE_BLOCK: {ids.MATERIAL_CASE_INPUT: "C1"},
        ids.MATERIAL_FILE_BLOCK: {ids.MATERIAL_FILE_INPUT: [file_id]},
    })
    assert "C1" in ws.fake.dm_messages(coordinator)[-1]["text"]
    assert downloads(ws) == [] and await stored_materials(ws) == []


async def test_the_upload_form_for_a_case_that_does_not_exist_says_so_and_opens_nothing(ws):
    """`admin material add C9` told even the secretariat that only the secretariat and the lecturer may
    add to C9; a case of someone else's is still refused as not theirs, with its audit row kept."""
    await ws.driver.command(seed.ADMIN, f'admin case new title="受診同行" theme=医療・福祉 lecturer=<@{seed.LECTURER}>')
    await ws.driver.command(seed.ADMIN, 'admin case new title="就学相談" theme=教育')
    for user in (seed.ADMIN, seed.LECTURER):
        reply = await ws.driver.command(user, "admin material add C9")
        assert "事例 C9 が見つかりません。" in texts(reply.answer) and "追加できるのは" not in texts(reply.answer)
        assert ws.fake.current_view(user) is None
    reply = await ws.driver.command(seed.LECTURER, "admin material add C2")
    assert "C2 の資料を追加できるのは事務局と担当講師" in texts(reply.answer)
    assert ws.fake.current_view(seed.LECTURER) is None
    async with ws.deps.uow() as uow:
        refused = await uow.audit.entries(actor=seed.LECTURER, action="material.add")
    assert [(e.target, e.outcome) for e in refused] == [("C2", "refused")]
    await ws.driver.command(seed.LECTURER, "admin material add C1")  # theirs: the form, their case offered
    form = ws.fake.current_view(seed.LECTURER)
    case_select = next(b for b in form["blocks"] if b.get("block_id") == ids.MATERIAL_CASE_BLOCK)["element"]
    assert [o["value"] for o in case_select["options"]] == ["C1"]


NAMED = "相談者_山田太郎_在留カードAB12345678CD.txt"


async def test_a_file_name_with_personal_data_is_never_stored_or_sent(ws):
    await case_and_tokyo_session(ws)
    await upload(ws, CLEAN, NAMED)
    findings = ws.fake.dm_messages(seed.ADMIN)[-1]
    shown = texts([findings])
    assert "山田太郎" in shown and "AB12345678CD" in shown and "case-C1-material.txt" in shown  # to the uploader only
    assert await stored_materials(ws) == [(CLEAN, "case-C1-material.txt", [
        {"kind": "person_name", "line": 0, "in": "filename"}, {"kind": "residence_card", "line": 0, "in": "filename"}])]
    async with ws.deps.uow() as uow:
        row = (await uow.materials.for_case(1))[0]
        assert (row.filename, row.filename_encrypted) == ("case-C1-material.txt", None)

    user = seed.COORDINATORS[0][0]
    await announced(ws)
    for joiner in (user, seed.COORDINATORS[1][0]):
        await ws.driver.command(joiner, "join S1")
    await ws.advance(timedelta(days=36, hours=1))
    assert received_material(ws, user) == []  # not released until the uploader confirms the name
    await ws.driver.press(seed.ADMIN, findings, ids.MATERIAL_CONFIRM)
    await ws.advance(timedelta(minutes=5))
    assert len(received_material(ws, user)) == 1
    sent = [f["name"] for m in ws.fake.dm_messages(user) for f in m.get("files") or []]
    assert "case-C1-material.txt" in sent and not [name for name in sent if "山田" in name]
    # Only Slack's answer about the upload and the findings DM to the uploader ever carried the name.
    carried = [(c.method, c.params.get("channel")) for c in ws.fake.calls if "山田" in str(c.params) + str(c.response)]
    assert carried == [("files.info", None), ("chat.postMessage", seed.ADMIN)]


async def test_a_clean_file_name_is_kept_encrypted_and_sent_as_it_was(ws):
    await ws.driver.command(seed.ADMIN, 'admin case new title="受診同行" theme=医療・福祉')
    await upload(ws, CLEAN, "受診同行の事例\u202e.txt")
    assert await stored_materials(ws) == [(CLEAN, "受診同行の事例.txt", [])]
    async with ws.deps.uow() as uow:
        row = (await uow.materials.for_case(1))[0]
        assert row.filename == "case-C1-material.txt" and "受診".encode() not in row.filename_encrypted


async def test_the_check_runs_in_a_worker_thread_while_no_transaction_is_open(ws, monkeypatch):
    checking, finish = threading.Event(), threading.Event()
    threads = []
    check_text = anonymisation.check_text

    def held_check(text, lang="ja"):
        threads.append(threading.get_ident())
        checking.set()
        finish.wait(60)
        return check_text(text, lang=lang)

    monkeypatch.setattr(anonymisation, "check_text", held_check)
    await ws.driver.command(seed.ADMIN, 'admin case new title="受診同行" theme=医療・福祉')
    await ws.driver.command(seed.ADMIN, "admin material add C1")
    form = ws.fake.current_view(seed.ADMIN)
    file_id = ws.fake.add_user_file(seed.ADMIN, "case.txt", CLEAN)
    await ws.driver.submit_view(seed.ADMIN, form, {
        ids.MATERIAL_CASE_BLOCK: {ids.MATERIAL_CASE_INPUT: "C1"},
        ids.MATERIAL_FILE_BLOCK: {ids.MATERIAL_FILE_INPUT: [file_id]},
    }, settle=False)
    assert await asyncio.to_thread(checking.wait, 60)
    # While the check runs the event loop is free, and the database takes a write at once.
    async with ws.deps.uow() as uow:
        await uow.audit.record(ws.clock.now(), seed.ADMIN, "test.write", "ok")
    finish.set()
    await ws.driver.settle(60)
    assert threading.get_ident() not in threads and len(threads) == 2  # the content, then the name
    assert [content for content, _, _ in await stored_materials(ws)] == [CLEAN]
