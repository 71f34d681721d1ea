"""A file Slack starts sending and then stalls on (url_private) is given up after
JIREI_DOWNLOAD_TIMEOUT_SECONDS: the person is told it could not be downloaded, nothing is stored,
and the bot goes on answering."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot import ids
from bot.core.clock import ManualClock
from bot.core.i18n import t
from bot.local import seed
from bot.local.workspace import LocalWorkspace
from storage.crypto import Cipher, generate_key

START = datetime(2027, 4, 1, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


@pytest.fixture
async def ws(db_url):
    async with LocalWorkspace.open(database_url=db_url, cipher=Cipher(generate_key()), clock=ManualClock(START),
                                   extra_settings={"JIREI_DOWNLOAD_TIMEOUT_SECONDS": 0.5}) as workspace:
        yield workspace


async def test_a_stalled_download_is_given_up_and_said_so(ws):
    user = seed.COORDINATORS[0][0]
    await ws.driver.command(user, "check")
    file_id = ws.fake.add_user_file(user, "case.txt", "相談者は東京都に住んでいる。".encode() * 100)
    ws.fake.stall_downloads()
    try:
        reply = await ws.driver.submit_view(user, ws.fake.current_view(user),
                                            {ids.CHECK_FILE_BLOCK: {ids.CHECK_FILE_INPUT: [file_id]}}, settle=False)
    finally:
        ws.fake.clear_faults()  # the fake's stalled sender ends; the bot gave up on it already
    await ws.driver.settle()
    assert reply.status == 200
    assert [call.method for call in ws.fake.calls if call.method == "download"] == ["download"]
    assert t("materials.error.download_failed", "ja") in str(ws.fake.current_view(user))
    reply = await ws.driver.command(user, "help")
    assert reply.status == 200 and reply.answer


async def test_a_stalled_upload_is_given_up_told_to_the_uploader_and_nothing_is_stored(ws):
    import asyncio

    await ws.driver.command(seed.ADMIN, 'admin case new title="事例" theme=教育')
    await ws.driver.command(seed.ADMIN, "admin material add C1")
    form = ws.fake.current_view(seed.ADMIN)
    file_id = ws.fake.add_user_file(seed.ADMIN, "case.txt", "【事例】Aさんは市役所に相談した。\n".encode() * 50)
    failed = t("materials.error.download_failed", "ja")
    ws.fake.stall_downloads()
    try:
        reply = await ws.driver.submit_view(seed.ADMIN, form, {
            ids.MATERIAL_CASE_BLOCK: {ids.MATERIAL_CASE_INPUT: "C1"},
            ids.MATERIAL_KIND_BLOCK: {ids.MATERIAL_KIND_INPUT: "material"},
            ids.MATERIAL_FILE_BLOCK: {ids.MATERIAL_FILE_INPUT: [file_id]},
        }, settle=False)
        assert reply.status == 200
        for _ in range(600):  # the bot gives up after half a second; this only bounds a hung test
            if failed in str(ws.fake.dm_messages(seed.ADMIN)):
                break
            await asyncio.sleep(0.05)
    finally:
        ws.fake.clear_faults()
    await ws.driver.settle()
    assert failed in str(ws.fake.dm_messages(seed.ADMIN))
    async with ws.deps.uow() as uow:
        case = await uow.cases.by_code("C1")
        assert case is not None and not await uow.materials.for_case(case.id)
