"""Dispatch-test fixtures: a LocalWorkspace (fake Slack + real AsyncApp + driver) per test."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core.clock import ManualClock
from bot.local.slack.server import FakeSlack
from bot.local.workspace import LocalWorkspace
from bot.people import service as people
from storage.crypto import Cipher, generate_key
from tests.test_codes_in_messages import leaks_in_sent

JST = ZoneInfo("Asia/Tokyo")
START = datetime(2027, 4, 1, 9, 0, tzinfo=JST)


@pytest.fixture(autouse=True)
def sent_text_is_escaped(monkeypatch):
    """After every dispatch test, whatever the bot sent to any fake Slack the test started (Web API
    calls, response_url posts, acks) is checked for escaping faults (bot/local/slack/escaping.py):
    no raw <!…> or <@…> of no user, no cut or raw &, no unbalanced code fence."""
    started: list[FakeSlack] = []
    original = FakeSlack.start

    async def start(self, *args, **kwargs):
        started.append(self)
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(FakeSlack, "start", start)
    yield started
    faults = [str(fault) for fake in started for fault in fake.escaping_faults()]
    ESCAPING_CHECKED["tests"] += 1
    ESCAPING_CHECKED["payloads"] += sum(len(fake.sent_payloads()) for fake in started)
    ESCAPING_CHECKED["faults"] += len(faults)
    assert not faults, "escaping faults in what the bot sent:\n" + "\n".join(faults[:20])
    # …and that no code, catalog key or id reached a person instead of words (tests/test_codes_in_messages.py).
    leaks = [leak for fake in started for leak in leaks_in_sent(fake.sent_payloads())]
    ESCAPING_CHECKED["leaks"] += len(leaks)
    assert not leaks, "codes or keys in what the bot sent:\n" + "\n".join(leaks[:20])


ESCAPING_CHECKED = {"tests": 0, "payloads": 0, "faults": 0, "leaks": 0}


def pytest_terminal_summary(terminalreporter):
    if ESCAPING_CHECKED["tests"]:
        terminalreporter.write_line("escaping check: {payloads} payloads sent in {tests} dispatch tests, "
                                    "{faults} faults, {leaks} codes or keys shown".format(**ESCAPING_CHECKED))


@pytest.fixture
async def ws(db_url):
    async with LocalWorkspace.open(database_url=db_url, cipher=Cipher(generate_key()),
                                   clock=ManualClock(START)) as workspace:
        yield workspace


async def add_coordinators(ws: LocalWorkspace, count: int, *, prefecture: str = "東京都", prefix: str = "UX",
                           pledged: bool = True, affiliation_cycle=("public", "private"),
                           themes=("医療・福祉",)) -> list[str]:
    """More coordinators than the seed has, with profiles (and the pledge); affiliations and themes
    (each a comma-separated choice) go round their cycles."""
    users = []
    now = ws.clock.now()
    async with ws.deps.uow() as uow:
        for i in range(count):
            user_id = f"{prefix}{i:04d}"
            ws.fake.add_user(user_id, f"テスト {i}")
            change = people.validate_profile({"name": f"テスト {i}", "prefecture": prefecture,
                                              "affiliation": affiliation_cycle[i % len(affiliation_cycle)],
                                              "themes": themes[i % len(themes)]})
            await people.update_profile(uow, now, user_id, change)
            if pledged:
                await people.accept_pledge(uow, now, user_id)
            users.append(user_id)
    return users


def texts(messages: list[dict]) -> str:
    return "\n".join(str(m.get("text", "")) + str(m.get("blocks", "")) for m in messages)


async def reply_to(ws: LocalWorkspace, user: str, command: str) -> str:
    """What `user` was answered (the last message only they see) when they typed `/jirei command`."""
    await ws.driver.command(user, command)
    return texts(ws.fake.ephemerals(user)[-1:])


async def announced(ws: LocalWorkspace) -> None:
    """Every session planned so far is announced (sessions are invisible and unjoinable until then);
    for tests whose subject is not the announcement itself, so no invitations are sent."""
    async with ws.deps.uow() as uow:
        for item in await uow.sessions.all():
            item.announced_at = item.announced_at or ws.clock.now()
