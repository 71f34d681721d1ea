"""Lecturers are reminded before their material is due (a week and a day before the release, if it
has not arrived), the secretariat sees a missing material a week before the release and once the
release time has passed, and a new version says which version it replaces. Through the real
AsyncApp and the fake Slack."""

from datetime import timedelta

from bot import ids
from bot.local import seed
from tests.handlers.conftest import add_coordinators, texts
from tests.handlers.test_materials_dispatch import received_material, upload

SESSION = ("admin session new case=C1 bureau=tokyo start=2027-05-15T14:00 minutes=120 capacity=10 min=2 "
           "deadline=2027-05-01T17:00 release=2027-05-07T09:00")


async def plan(ws) -> list[str]:
    await ws.driver.command(seed.ADMIN, f'admin case new title="受診同行" theme=医療・福祉 lecturer=<@{seed.LECTURER}>')
    await ws.driver.command(seed.ADMIN, SESSION)
    await ws.driver.command(seed.ADMIN, "admin announce S1")
    joined = await add_coordinators(ws, 2)
    for user in joined:
        await ws.driver.command(user, "join S1")
    return joined


def due_notes(ws, user: str, word: str) -> list[dict]:
    return [m for m in ws.fake.dm_messages(user) if word in texts([m]) and "C1" in texts([m])]


async def test_the_lecturer_is_reminded_a_week_and_a_day_before_and_the_secretariat_a_week_before(ws):
    await plan(ws)
    await ws.advance(timedelta(days=29))  # 30 April 9:00: a week before the release
    week = due_notes(ws, seed.LECTURER, "あと1週間")
    assert len(week) == 1 and ids.MATERIAL_UPLOAD_OPEN in texts(week)
    missing = due_notes(ws, seed.ADMIN, "資料がまだありません")
    assert len(missing) == 1 and f"<@{seed.LECTURER}>" in texts(missing)
    await ws.advance(timedelta(days=6, hours=1))  # 6 May 10:00: the day before
    assert len(due_notes(ws, seed.LECTURER, "配布は明日")) == 1
    assert len(due_notes(ws, seed.LECTURER, "あと1週間")) == 1  # each stage once
    assert len(due_notes(ws, seed.ADMIN, "資料がまだありません")) == 1  # the secretariat: a week before only

    # the lecturer's button opens the upload form for the case
    await ws.driver.press(seed.LECTURER, due_notes(ws, seed.LECTURER, "配布は明日")[-1], ids.MATERIAL_UPLOAD_OPEN)
    assert ws.fake.current_view(seed.LECTURER)["callback_id"] == ids.MATERIAL_UPLOAD_VIEW
    await upload(ws)
    await ws.advance(timedelta(days=1))  # past the release: the material went out, no warning
    assert due_notes(ws, seed.LECTURER, "過ぎました") == [] and due_notes(ws, seed.ADMIN, "過ぎました") == []


async def test_a_material_missing_at_the_release_time_is_reported_and_sent_when_it_comes(ws):
    joined = await plan(ws)
    await upload(ws)  # the lecturer uploaded early: no reminder at all …
    await ws.advance(timedelta(days=29, hours=1))
    assert due_notes(ws, seed.LECTURER, "あと1週間") == []
    async with ws.deps.uow() as uow:  # … until that version is withdrawn (nothing releasable left)
        material = await uow.materials.latest(1, "material")
        material.deleted_at = ws.clock.now()
    await ws.advance(timedelta(days=7))  # 7 May 10:00: past the release, nothing to send
    assert len(due_notes(ws, seed.LECTURER, "過ぎました")) == 1
    assert len(due_notes(ws, seed.ADMIN, "過ぎましたが、資料がありません")) == 1
    assert all(received_material(ws, user) == [] for user in joined)
    await upload(ws)
    await ws.run_due()
    assert all(len(received_material(ws, user)) == 1 for user in joined)


async def test_a_second_version_says_it_replaces_the_first(ws):
    joined = await plan(ws)
    await upload(ws)
    await ws.advance(timedelta(days=36, hours=1))  # past the release: version 1 went out
    first = received_material(ws, joined[0])
    assert len(first) == 1 and "差し替え" not in texts(first)
    await upload(ws, "【事例】Aさん（30代）は市役所で医療通訳の手配を相談した（改訂）。\n".encode())
    await ws.run_due()
    second = received_material(ws, joined[0])
    assert len(second) == 2
    shown = texts(second[-1:])
    assert "差し替え（第2版）" in shown and "第1版に代わる第2版" in shown
