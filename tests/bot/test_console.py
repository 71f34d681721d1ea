"""The console: what someone who has never seen it types, and what they get back."""

import builtins
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core.clock import ManualClock
from bot.local.console import Console
from bot.local.workspace import LocalWorkspace
from storage.crypto import Cipher, generate_key

JST = ZoneInfo("Asia/Tokyo")


@pytest.fixture
async def console(sqlite_url):
    async with LocalWorkspace.open(database_url=sqlite_url, cipher=Cipher(generate_key()),
                                   clock=ManualClock(datetime(2027, 4, 1, 9, tzinfo=JST))) as ws:
        out = io.StringIO()
        yield Console(ws, out=out), out


def _typed(monkeypatch, answers):
    answers = iter(answers)
    monkeypatch.setattr(builtins, "input", lambda prompt="": next(answers))


async def test_help_users_and_switching(console):
    shell, out = console
    await shell.handle(":help")
    await shell.handle("/jirei help")
    await shell.handle(":users")
    await shell.handle(":user uadmin01")
    await shell.handle("/jirei help")
    text = out.getvalue()
    assert ":time +2d" in text and "Jirei の使い方" in text
    assert "UCOORD02" in text and "事務局 管理者 UADMIN01" in text
    assert "地方局担当者（東京）" in text and "（bureau_staff:tokyo）" not in text  # roles by name, not code
    assert "admin session new" in text  # the admin's help
    assert "Traceback" not in text


async def test_buttons_are_pressed_by_number_and_the_clock_moves_work(console):
    shell, out = console
    await shell.handle(":user UADMIN01")
    await shell.handle('/jirei admin case new title="受診同行" theme=医療・福祉')
    await shell.handle("/jirei admin session new case=C1 bureau=tokyo start=2027-05-15T14:00 minutes=120 "
                       "capacity=10 min=1 deadline=2027-05-01T17:00 release=2027-05-07T09:00")
    await shell.handle("/jirei admin announce S1")
    await shell.handle(":user UCOORD01")
    await shell.handle(":dm 1")
    assert "[1]" in out.getvalue()
    await shell.handle("1")  # the Join button of the invitation
    assert "申込みを受け付けました" in out.getvalue()
    await shell.handle(":time +31d")
    assert "開催が決まりました" in out.getvalue()
    await shell.handle(":time backwards")
    await shell.handle("99")
    assert "99 番のボタンはありません" in out.getvalue()


async def test_a_modal_is_filled_field_by_field(console, monkeypatch):
    shell, out = console
    await shell.handle(":user UCOORD03")
    _typed(monkeypatch, ["高橋 美咲", "13", "1", "1,3", "2", "1", "y"])
    await shell.handle("/jirei profile")
    async with shell.ws.deps.uow() as uow:
        person = await uow.coordinators.get("UCOORD03")
    assert person.prefecture == "東京都" and person.lang == "en"
    assert person.themes == ["medical_welfare", "education"]
    assert "Your profile is saved" in out.getvalue()


async def test_plain_text_is_a_dm_to_the_bot(console):
    shell, out = console
    await shell.handle("こんにちは")
    assert "/jirei help" in out.getvalue()


async def test_a_form_error_keeps_what_was_typed_and_names_the_field(console, monkeypatch):
    shell, out = console
    await shell.handle(":user UADMIN01")
    await shell.handle('/jirei admin case new title="受診同行" theme=医療・福祉')
    # case 1, bureau 1, start kept, minutes 90, capacity "many", min kept, deadline and release kept,
    # format 2 (online), facilitator, url and lottery left empty, submit; then the form comes back
    # with the capacity's error: capacity 12, everything else kept, submit.
    _typed(monkeypatch, ["1", "1", "", "90", "many", "", "", "", "2", "", "", "", "y",
                         "", "", "", "", "12", "", "", "", "", "", "", "", "y"])
    await shell.handle("/jirei admin session new")
    text = out.getvalue()
    assert "session_new_capacity" not in text and "⚠️ 定員" in text
    async with shell.ws.deps.uow() as uow:
        created = await uow.sessions.all()
    assert [(s.minutes, s.capacity, s.format) for s in created] == [(90, 12, "online")]
