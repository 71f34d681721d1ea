"""Issue 5's proofs through the real AsyncApp: the material reaches exactly the confirmed,
pledged participants, once; nobody else can obtain it; publication waits for every bureau."""

from datetime import timedelta

from sqlalchemy import select

from bot import ids
from bot import local_seed as seed
from storage.models import Delivery
from tests.handlers.conftest import add_coordinators, texts

CLEAN = "【事例】Aさん（30代）は市役所で医療通訳の手配を相談した。\n".encode()
SESSION = ("admin session new case=C1 bureau={bureau} start={start} minutes=120 capacity={capacity} min=2 "
           "deadline={deadline} release={release}")


async def upload(ws, data: bytes = CLEAN) -> None:
    await ws.driver.command(seed.ADMIN, "admin material add C1")
    form = ws.fake.current_view(seed.ADMIN)
    file_id = ws.fake.add_user_file(seed.ADMIN, "case.txt", data)
    await ws.driver.submit_view(seed.ADMIN, form, {
        ids.MATERIAL_CASE_BLOCK: {ids.MATERIAL_CASE_INPUT: "C1"},
        ids.MATERIAL_KIND_BLOCK: {ids.MATERIAL_KIND_INPUT: "material"},
        ids.MATERIAL_FILE_BLOCK: {ids.MATERIAL_FILE_INPUT: [file_id]},
    })


def received_material(ws, user: str) -> list[dict]:
    return [m for m in ws.fake.dm_messages(user) if ids.MATERIAL_READ in str(m.get("blocks"))]


async def test_ten_confirmed_receive_it_once_and_nobody_else(ws):
    await ws.driver.command(seed.ADMIN, 'admin case new title="受診同行" theme=医療・福祉')
    await ws.driver.command(seed.ADMIN, SESSION.format(bureau="tokyo", start="2027-05-15T14:00", capacity=10,
                                                       deadline="2027-05-01T17:00", release="2027-05-07T09:00"))
    await upload(ws)
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
    await ws.driver.command(seed.ADMIN, 'admin case new title="受診同行" theme=医療・福祉')
    await ws.driver.command(seed.ADMIN, SESSION.format(bureau="tokyo", start="2027-05-15T14:00", capacity=10,
                                                       deadline="2027-05-01T17:00", release="2027-05-07T09:00"))
    await upload(ws)
    user, other = await add_coordinators(ws, 2, prefix="UPL")
    for joiner in (user, other):
        await ws.driver.command(joiner, "join S1")
    async with ws.deps.uow() as uow:  # the pledge withdrawn (e.g. a new pledge version not yet accepted)
        (await uow.coordinators.get(user)).pledge_accepted_at = None
    await ws.advance(timedelta(days=36, hours=1))
    assert received_material(ws, user) == [] and len(received_material(ws, other)) == 1


async def test_a_material_with_findings_is_not_released_until_confirmed(ws):
    await ws.driver.command(seed.ADMIN, 'admin case new title="受診同行" theme=医療・福祉')
    await ws.driver.command(seed.ADMIN, SESSION.format(bureau="tokyo", start="2027-05-15T14:00", capacity=10,
                                                       deadline="2027-05-01T17:00", release="2027-05-07T09:00"))
    await upload(ws, "相談者の電話番号は090-1234-5678です。".encode())
    findings = ws.fake.dm_messages(seed.ADMIN)[-1]
    assert "090-1234-5678" in texts([findings])  # shown to the uploader only
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
    await ws.driver.command(seed.ADMIN, 'admin case new title="受診同行" theme=医療・福祉')
    await ws.driver.command(seed.ADMIN, SESSION.format(bureau="tokyo", start="2027-05-15T14:00", capacity=10,
                                                       deadline="2027-05-01T17:00", release="2027-05-07T09:00"))
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
    await ws.driver.command(seed.ADMIN, 'admin case new title="受診同行" theme=医療・福祉')
    await ws.driver.command(seed.ADMIN, SESSION.format(bureau="tokyo", start="2027-05-15T14:00", capacity=10,
                                                       deadline="2027-05-01T17:00", release="2027-05-07T09:00"))
    await upload(ws)
    people = await add_coordinators(ws, 2, prefix="URD")
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
