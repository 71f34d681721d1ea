"""`/jirei forget-me` and material retention, through the real AsyncApp on every backend."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import String, func, or_, select
from sqlalchemy.engine import make_url

from bot import ids
from bot.core import lottery
from bot.delivery.kinds import DeliveryKind
from bot.local import seed
from bot.core.clock import ManualClock
from bot.local.demo import Demo
from bot.local.seed import TOKYO
from bot.local.demo_steps import STEPS, step_survey
from bot.local.workspace import LocalWorkspace
from bot.materials import service as materials
from bot.materials.results import is_releasable
from bot.privacy import service as privacy
from bot.people.results import Actor
from storage.crypto import Cipher, generate_key
from storage.models import UtcDateTime
from storage.models import (
    AuditEntry,
    Coordinator,
    Delivery,
    MaterialRead,
    Nudge,
    Registration,
    RoleGrant,
    StudyGroup,
    StudyGroupMember,
    SurveyInvite,
    SurveyProgress,
    SurveyRun,
)
from storage.privacy_repos import PrivacyRepository
from tests.handlers.conftest import announced

JST = ZoneInfo("Asia/Tokyo")
START = datetime(2027, 4, 1, 9, 0, tzinfo=JST)
ADMIN = Actor(user_id=seed.ADMIN, is_admin=True)
FIRST, SECOND, THIRD = (c[0] for c in seed.COORDINATORS[:3])
FIRST_NAME = seed.COORDINATORS[0][1]
SESSION = ("admin session new case=C1 bureau=tokyo start=2027-05-15T14:00 minutes=120 capacity={capacity} "
           "min=1 deadline=2027-05-01T17:00 release=2027-05-07T09:00")


@pytest.fixture
async def ws(db_url):
    async with LocalWorkspace.open(database_url=db_url, cipher=Cipher(generate_key()),
                                   clock=ManualClock(START)) as workspace:
        yield workspace


def texts(messages: list[dict]) -> str:
    return "\n".join(str(m.get("text", "")) + str(m.get("blocks", "")) for m in messages)


async def plan(ws, capacity: int) -> None:
    await ws.driver.command(seed.ADMIN, 'admin case new title="受診同行の事例" theme=医療・福祉')
    await ws.driver.command(seed.ADMIN, SESSION.format(capacity=capacity))
    await announced(ws)


async def count(ws, model, *where) -> int:
    async with ws.deps.uow() as uow:
        return await uow.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


async def test_forget_me_first_explains_and_changes_nothing(ws):
    before = await count(ws, Coordinator)
    reply = await ws.driver.command(FIRST, "forget-me")
    prompt = ws.fake.ephemerals(FIRST)[-1]
    assert reply.status == 200
    assert ids.FORGET_ME_CONFIRM in str(prompt["blocks"]) and "削除" in texts([prompt])
    assert await count(ws, Coordinator) == before
    async with ws.deps.uow() as uow:
        assert (await uow.coordinators.get(FIRST)).name == FIRST_NAME
    assert ws.fake.violations == []


async def test_the_button_forgets_a_waiting_seat_moves_up_and_pending_messages_are_cancelled(ws):
    await plan(ws, capacity=2)
    for user in (FIRST, SECOND, THIRD):
        await ws.driver.command(user, "join S1")
    await ws.run_due()
    owed = await count(ws, Delivery, Delivery.recipient == FIRST, Delivery.status == "pending")
    assert owed > 0

    await ws.driver.command(FIRST, "forget-me")
    await ws.driver.press(FIRST, ws.fake.ephemerals(FIRST)[-1], ids.FORGET_ME_CONFIRM)
    await ws.run_due()

    # The answer counts what was called off: the seat left and every message that was still owed
    # (the session's reminders included, which leaving it cancels).
    assert f"取り消した申込み: 1 件、取りやめた送信予定: {owed} 件" in texts(ws.fake.ephemerals(FIRST)[-1:])
    async with ws.deps.uow() as uow:
        regs = await uow.registrations.for_session(1)
        assert await uow.coordinators.get(FIRST) is None
        assert await uow.roles.of(FIRST) == []
        assert await PrivacyRepository(uow.session).count_rows(FIRST) == 0
        audit = await uow.audit.entries(action="privacy.forget_me")
    by_user = {r.user_id: r.status for r in regs}
    assert by_user[SECOND] == "confirmed" and by_user[THIRD] == "confirmed"  # promoted from the waitlist
    tombstones = [u for u in by_user if u.startswith(privacy.TOMBSTONE_PREFIX)]
    assert len(regs) == 3 and len(tombstones) == 1 and by_user[tombstones[0]] == "cancelled"
    assert await count(ws, Delivery, Delivery.recipient == FIRST) == 0
    assert await count(ws, Delivery, Delivery.recipient == tombstones[0], Delivery.status == "pending") == 0
    assert await count(ws, Delivery, Delivery.dedupe_key.contains(FIRST)) == 0
    # Audited under their id (they asked), with counts only: no name, no tombstone.
    assert [(e.actor, e.outcome) for e in audit] == [(FIRST, "ok")]
    assert FIRST_NAME not in str(audit[0].detail) and tombstones[0] not in str(audit[0].detail)
    assert "繰り上がり" in texts(ws.fake.dm_messages(THIRD))


async def test_forgetting_after_a_session_keeps_anonymous_counts_and_deletes_the_rest(ws):
    await plan(ws, capacity=30)
    for user in (FIRST, SECOND):
        await ws.driver.command(user, "join S1")
    await ws.advance(timedelta(days=45))  # past 15 May: decided, released, held
    now = ws.clock.now()
    async with ws.deps.uow() as uow:
        assert (await uow.sessions.get(1)).status == "held"
        await uow.material_reads.mark(1, FIRST, now)
        run = SurveyRun(survey_id="post_session", session_id=1, opens_at=now, deadline_at=now + timedelta(days=7),
                        created_by=seed.ADMIN, created_at=now)
        uow.session.add(run)
        group = StudyGroup(bureau="tokyo", themes=["education"], created_at=now)
        uow.session.add(group)
        await uow.flush()
        uow.session.add_all([
            SurveyInvite(run_id=run.id, user_id=FIRST), SurveyInvite(run_id=run.id, user_id=SECOND),
            SurveyProgress(run_id=run.id, user_id=FIRST, state_encrypted=uow.cipher.encrypt(b"{}"), updated_at=now),
            StudyGroupMember(group_id=group.id, user_id=FIRST, status="accepted"),
            Nudge(group_id=group.id, user_id=FIRST, sent_at=now),
        ])
    registrations_before = await count(ws, Registration, Registration.session_id == 1)
    invites_before = await count(ws, SurveyInvite)

    reply = await ws.driver.command(FIRST, "forget-me confirm")

    assert reply.status == 200 and "削除しました" in texts(ws.fake.ephemerals(FIRST)[-1:])
    assert await count(ws, Registration, Registration.session_id == 1) == registrations_before
    assert await count(ws, Registration, Registration.user_id.startswith(privacy.TOMBSTONE_PREFIX),
                       Registration.status.in_(("attended", "confirmed"))) == 1
    assert await count(ws, SurveyInvite) == invites_before  # invited counts stay right
    assert await count(ws, SurveyInvite, SurveyInvite.user_id == FIRST) == 0
    for model, column in ((MaterialRead, MaterialRead.user_id), (SurveyProgress, SurveyProgress.user_id),
                          (StudyGroupMember, StudyGroupMember.user_id), (Nudge, Nudge.user_id),
                          (RoleGrant, RoleGrant.slack_user_id), (Coordinator, Coordinator.slack_user_id)):
        assert await count(ws, model, column == FIRST) == 0, model.__tablename__
    # Everyone else is untouched.
    async with ws.deps.uow() as uow:
        assert (await uow.coordinators.get(SECOND)).name == seed.COORDINATORS[1][1]
        assert (await uow.registrations.get(1, SECOND)) is not None
    assert await count(ws, AuditEntry, AuditEntry.actor == FIRST) == 1  # only the forget-me entry


async def rows_carrying(ws, user_id: str) -> list[tuple[str, str, datetime]]:
    """(table, column, time) for every time column of every row in which a text column is `user_id`."""
    from storage.models import Base

    found = []
    async with ws.deps.uow() as uow:
        for mapper in Base.registry.mappers:
            table = mapper.local_table
            texts_ = [c for c in table.columns if isinstance(c.type, String)]
            times = [c for c in table.columns if isinstance(c.type, UtcDateTime)]
            if not texts_ or not times:
                continue
            rows = await uow.session.execute(select(*times).where(or_(*(c == user_id for c in texts_))))
            found += [(table.name, column.name, value) for row in rows
                      for column, value in zip(times, row) if value is not None]
    return found


async def test_no_time_kept_with_the_tombstone_is_near_the_moment_of_forget_me(ws):
    """A person attends S1 and holds a seat in S2 ahead; at an odd moment they forget themselves.
    The audit entry naming them keeps that moment; no time in any row carrying their tombstone is
    within a second of it (the seat given up in S2, and its audit entry, were written then)."""
    await plan(ws, capacity=30)
    await ws.driver.command(FIRST, "join S1")
    await ws.advance(timedelta(days=45))  # held
    await ws.driver.command(seed.ADMIN, f"admin attend S1 <@{FIRST}>")
    await ws.driver.command(seed.ADMIN, "admin session new case=C1 bureau=tokyo start=2027-06-20T14:00 minutes=120 "
                                        "capacity=1 min=1 deadline=2027-06-10T17:00 release=2027-06-15T09:00")
    await announced(ws)
    for user in (FIRST, SECOND):  # SECOND waits, and moves up when FIRST leaves
        await ws.driver.command(user, "join S2")
    await ws.advance(timedelta(hours=5, minutes=23, seconds=17, microseconds=400_000))
    await ws.driver.command(FIRST, "forget-me confirm")

    async with ws.deps.uow() as uow:
        (request,) = await uow.audit.entries(action="privacy.forget_me")
        tombstone = next(r.user_id for r in await uow.registrations.for_session(2) if r.status == "cancelled")
        assert (await uow.registrations.get(2, SECOND)).status == "confirmed"
    assert request.actor == FIRST and request.at == ws.clock.now()
    kept = await rows_carrying(ws, tombstone)
    tables = {table for table, _column, _time in kept}
    assert {"registrations", "audit_log", "deliveries"} <= tables, tables
    near = [(table, column, time) for table, column, time in kept if abs(time - request.at) < timedelta(seconds=1)]
    assert near == []
    # The seat given up is still dated, to the day (Japan time).
    given_up = [time for table, column, time in kept if (table, column) == ("registrations", "updated_at")]
    assert datetime(2027, 5, 16, tzinfo=JST) in given_up, given_up
    exact = {(table, column) for table, column, time in kept
             if time != time.astimezone(JST).replace(hour=0, minute=0, second=0, microsecond=0)}
    assert exact <= {("deliveries", "due_at")}, exact  # a reminder's schedule is the session's, not theirs
    # Nor does the request's entry hold a count that the tombstone's rows would match.
    assert set(request.detail) <= {"deleted"}


async def test_forgetting_twice_or_as_a_stranger_is_harmless(ws):
    ws.fake.add_user("USTRANGER1", "知らない人")
    for user in ("USTRANGER1", FIRST, FIRST):
        reply = await ws.driver.command(user, "forget-me confirm")
        assert reply.status == 200
        assert "削除しました" in texts(ws.fake.ephemerals(user)[-1:])
    assert await count(ws, AuditEntry, AuditEntry.action == "privacy.forget_me") == 3


async def test_a_forgotten_person_can_start_again(ws):
    await ws.driver.command(FIRST, "forget-me confirm")
    await ws.driver.command(FIRST, 'profile set name="新しい 名前" prefecture=東京都 affiliation=public')
    async with ws.deps.uow() as uow:
        person = await uow.coordinators.get(FIRST)
    assert person.name == "新しい 名前" and person.pledge_accepted_at is None


# --- retention -----------------------------------------------------------------------------


async def add_published_case(ws) -> None:
    await ws.driver.command(seed.ADMIN, 'admin case new title="保存期間の事例" theme=教育')
    checked = await materials.check_file("事例の本文です。".encode(), "case.txt")
    async with ws.deps.uow() as uow:
        await materials.add_material_file(uow, ws.clock.now(), ADMIN, "C1", checked)
        case = await uow.cases.by_code("C1")
        case.published_at = ws.clock.now()


async def material_state(ws) -> tuple[bool, datetime | None]:
    async with ws.deps.uow() as uow:
        material = (await uow.materials.for_case(1))[0]
    return material.content_encrypted is not None, material.deleted_at


async def test_material_is_deleted_the_configured_days_after_publication(ws):
    assert ws.deps.settings.material_retention_days == 90  # the default
    await add_published_case(ws)
    ws.clock.advance(timedelta(days=89))
    await ws.run_due()
    assert await material_state(ws) == (True, None)
    ws.clock.advance(timedelta(days=2))
    await ws.run_due()
    has_content, deleted_at = await material_state(ws)
    assert not has_content and deleted_at == ws.clock.now()
    async with ws.deps.uow() as uow:
        audit = await uow.audit.entries(action="material.retention_delete")
        assert not is_releasable((await uow.materials.for_case(1))[0])
    assert [(e.target, e.detail["retention_days"]) for e in audit] == [("C1", 90)]


async def test_retention_days_come_from_the_settings(ws):
    ws.deps.settings.material_retention_days = 10
    await add_published_case(ws)
    ws.clock.advance(timedelta(days=9))
    await ws.run_due()
    assert (await material_state(ws))[0]
    ws.clock.advance(timedelta(days=1))
    await ws.run_due()
    assert not (await material_state(ws))[0]


async def test_unpublished_cases_keep_their_material(ws):
    ws.deps.settings.material_retention_days = 0
    await ws.driver.command(seed.ADMIN, 'admin case new title="未公開" theme=教育')
    checked = await materials.check_file(b"plain text", "case.txt")
    async with ws.deps.uow() as uow:
        await materials.add_material_file(uow, ws.clock.now(), ADMIN, "C1", checked)
    ws.clock.advance(timedelta(days=400))
    await ws.run_due()
    assert await material_state(ws) == (True, None)


@pytest.mark.parametrize("raw, days", [(None, 90), ("30", 30), ("0", 0), (" 7 ", 7)])
def test_material_retention_days(raw, days):
    from config.settings import Settings

    settings = Settings() if raw is None else Settings(JIREI_MATERIAL_RETENTION_DAYS=raw)
    assert privacy.material_retention_days(settings) == days


@pytest.mark.parametrize("raw", ["-1", "ninety", "1.5"])
def test_a_bad_retention_setting_stops_the_bot_with_one_line(raw):
    from bot.startup import CliError, load_settings

    with pytest.raises(CliError) as caught:
        load_settings(JIREI_MATERIAL_RETENTION_DAYS=raw)
    assert "JIREI_MATERIAL_RETENTION_DAYS" in str(caught.value)


def test_tombstones_look_like_user_ids_and_do_not_repeat():
    stones = {privacy.new_tombstone() for _ in range(200)}
    assert len(stones) == 200
    assert all(s.startswith("UFORGOT") and s.isalnum() and s.isupper() and len(s) <= 32 for s in stones)


# --- nothing left in the file ----------------------------------------------------------------------


async def test_forgetting_someone_who_took_part_in_everything_leaves_no_trace_in_the_database_file(sqlite_url):
    """The whole demo (a session held with groups and introductions, the planning survey, nudges, a
    study group and its proposal), then a lottery; one person who was in all of it forgets
    themselves; the raw file and its write-ahead log hold neither their id nor their name, except
    the forget-me audit entry."""
    database = Path(make_url(sqlite_url).database)
    async with LocalWorkspace.open(database_url=sqlite_url, cipher=Cipher(generate_key()),
                                   clock=ManualClock(START)) as ws:
        demo = Demo(out=io.StringIO())
        demo.ws, demo.activities = ws, []
        ws.fake.on_record = demo.activities.append
        for step in STEPS[:STEPS.index(step_survey) + 1]:  # up to the planning survey
            await step(demo)
        assert demo.failures == []
        person = await _in_everything(ws)
        async with ws.deps.uow() as uow:
            name = (await uow.coordinators.get(person)).name
        dm_channel = ws.fake.dm_channel_id(person)

        # A lottery they apply to, drawn at its deadline.
        deadline = ws.clock.now() + timedelta(days=3)
        await ws.driver.command(seed.ADMIN, "admin session new case=C1 bureau=tokyo "
                                f"start={(deadline + timedelta(days=10)).astimezone(JST):%Y-%m-%dT%H:%M} minutes=90 "
                                f"capacity=2 min=1 deadline={deadline.astimezone(JST):%Y-%m-%dT%H:%M} "
                                f"release={(deadline + timedelta(days=5)).astimezone(JST):%Y-%m-%dT%H:%M} lottery=yes")
        await announced(ws)
        async with ws.deps.uow() as uow:
            drawn = max(await uow.sessions.all(), key=lambda s: s.id)
        assert drawn.lottery, texts(ws.fake.ephemerals(seed.ADMIN)[-1:])
        for user in [person, *[u for u in TOKYO if u != person][:3]]:
            await ws.driver.command(user, f"join {drawn.code}")
            assert "抽選" in texts(ws.fake.ephemerals(user)[-1:]), texts(ws.fake.ephemerals(user)[-1:])
        await ws.advance(timedelta(days=3, minutes=1))
        async with ws.deps.uow() as uow:
            trace = (await uow.audit.entries(action="session.lottery"))[-1].detail["trace"]
        ticket = lottery.ticket(f"{drawn.code}:{drawn.deadline_at.isoformat()}", person)
        assert person in str(trace) and ticket in str(trace)  # the test can see what it looks for

        await ws.driver.command(person, "forget-me confirm")
        raw = _raw_bytes(database)
        async with ws.deps.uow() as uow:
            assert await PrivacyRepository(uow.session).count_rows(person) == 0

    at = [m.start() for m in re.finditer(re.escape(person.encode()), raw)]
    # Where the id is left, it is the forget-me entry's actor (followed by its action, as SQLite
    # writes the columns of a row one after another).
    assert at and all(raw[i + len(person):].startswith(b"privacy.forget_me") for i in at)
    for trace_of_them in (name, dm_channel, ticket):
        assert trace_of_them.encode() not in raw, trace_of_them


async def _in_everything(ws) -> str:
    """A coordinator who attended S1 (its groups, their introduction), answered the planning survey,
    was nudged and joined the study group."""
    async with ws.deps.uow() as uow:
        attended = {r.user_id for r in await uow.registrations.for_session(1, "attended")}
        members = {m.user_id for g in await uow.study_groups.with_status("active")
                   for m in await uow.study_groups.members(g.id) if m.status == "accepted"}
        nudged = set(await uow.session.scalars(select(Nudge.user_id)))
        completed = set(await uow.session.scalars(select(SurveyInvite.user_id).where(SurveyInvite.completed.is_(True))))
        introduced = {u for d in await uow.session.scalars(select(Delivery).where(Delivery.kind == DeliveryKind.GROUP_INTRODUCTION))
                      for u in d.payload.get("members", [])}
    everywhere = sorted(attended & members & nudged & completed & introduced)
    assert everywhere, (attended, members, nudged, completed, introduced)
    return everywhere[0]


def _raw_bytes(database: Path) -> bytes:
    wal = database.with_name(database.name + "-wal")
    return database.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_a_person_is_taken_out_of_json_details_and_payloads():
    from storage.privacy_repos import without_person

    trace = {"seed": "S4:x", "trace": [
        {"position": 1, "user_id": "UA1", "ticket": "ab", "applied_at": "2027-06-01T00:00:00", "outcome": "won"},
        {"position": 2, "user_id": "UB2", "ticket": "cd", "applied_at": "2027-06-01T00:01:00", "outcome": "lost"}]}
    assert without_person(trace, "UA1", "UFORGOT1") == {"seed": "S4:x", "trace": [
        {"position": 1, "user_id": "UFORGOT1", "outcome": "won"}, trace["trace"][1]]}
    assert without_person({"members": ["UA1", "UB2"], "note": "<@UA1>"}, "UA1", "UFORGOT1") == {
        "members": ["UB2"], "note": "<@UFORGOT1>"}
