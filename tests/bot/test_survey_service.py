"""bot/surveys/service.py on a real database (SQLite, and PostgreSQL when configured), no Slack:
runs and their deliveries, the dialog's storage, completion exactly once, closing, renderers,
reports and exports."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot import features
from bot.delivery.kinds import DeliveryKind
from bot.delivery.renderers import RenderContext
from bot.surveys import messages as survey_messages
from bot.people import service as people
from bot.surveys import service as surveys
from bot.surveys import views as survey_views
from bot.people.results import Actor
from bot.surveys.service import SurveyError
from bot.surveys.results import DialogStatus, Step
from bot.surveys import dialog
from bot.surveys.dialog import Outcome
from bot.surveys.report import MIN_CELL
from storage.models import CaseSession, Delivery, ProcessedRequest, Registration, SurveyResponse

JST = ZoneInfo("Asia/Tokyo")
ADMIN = Actor(user_id="UADMIN", is_admin=True)
TOKYO_STAFF = Actor(user_id="USTAFFT", staff_bureaus=frozenset({"tokyo"}))
OSAKA_STAFF = Actor(user_id="USTAFFO", staff_bureaus=frozenset({"osaka"}))
NOT_NEEDED = [Step("choose", "need", option_id="not_needed"), Step("skip", "group_size"), Step("skip", "duration"),
              Step("skip", "themes"), Step("skip", "format_opinion")]


async def add_people(uow_factory, now, count: int, prefecture: str = "東京都", prefix: str = "UT") -> list[str]:
    users = []
    async with uow_factory() as uow:
        for i in range(count):
            user = f"{prefix}{i:03d}"
            change = people.validate_profile({"name": f"テスト {i}", "prefecture": prefecture, "affiliation": "public"})
            await people.update_profile(uow, now, user, change)
            users.append(user)
    return users


async def planning_run(uow_factory, now) -> str:
    async with uow_factory() as uow:
        started = await surveys.start_planning_survey(uow, now, ADMIN)
    return started.run.code


async def answer(uow_factory, now, user: str, code: str, steps: list[Step]) -> surveys.DialogState:
    async with uow_factory() as uow:
        await surveys.begin(uow, now, user, code)
    state = None
    for step in steps:
        async with uow_factory() as uow:
            state = await surveys.act(uow, now, user, code, step)
    return state


async def response_count(uow_factory) -> int:
    async with uow_factory() as uow:
        return len(list(await uow.session.scalars(select(SurveyResponse))))


# --- sending -----------------------------------------------------------------------------------------


async def test_planning_invites_every_coordinator_with_a_profile_and_schedules_reminders(uow_factory, clock):
    now = clock.now()
    users = await add_people(uow_factory, now, 3)
    async with uow_factory() as uow:
        await people.update_profile(uow, now, "UNOPROFILE", people.ProfileChange({"name": "名前だけ"}))
    code = await planning_run(uow_factory, now)
    async with uow_factory() as uow:
        run = await uow.surveys.run_by_code(code)
        deliveries = list(await uow.session.scalars(select(Delivery).order_by(Delivery.id)))
        assert await uow.surveys.count_invites(run.id) == 3
    assert run.deadline_at == now + surveys.PLANNING_OPEN_FOR and run.survey_id == "planning"
    invitations = [d for d in deliveries if d.kind == DeliveryKind.SURVEY_INVITATION]
    assert sorted(d.recipient for d in invitations) == users
    assert all(d.due_at == now and d.batch_id is not None and d.payload == {"run_id": run.id} for d in invitations)
    reminders = sorted((d.recipient, d.due_at) for d in deliveries if d.kind == DeliveryKind.SURVEY_REMINDER)
    assert reminders == sorted((u, run.deadline_at - timedelta(minutes=m)) for u in users
                               for m in run.reminder_offsets_minutes)


async def test_planning_is_for_admins_and_one_open_run_at_a_time(uow_factory, clock):
    now = clock.now()
    await add_people(uow_factory, now, 2)
    with pytest.raises(SurveyError) as refused:
        async with uow_factory() as uow:
            await surveys.start_planning_survey(uow, now, TOKYO_STAFF)
    assert refused.value.key == "auth.admin_only"
    code = await planning_run(uow_factory, now)
    with pytest.raises(SurveyError) as twice:
        async with uow_factory() as uow:
            await surveys.start_planning_survey(uow, now, ADMIN)
    assert twice.value.key == "survey_runs.error.planning_open" and twice.value.params["code"] == code


async def held_session(uow_factory, now, attendees: list[str], status: str = "held") -> CaseSession:
    async with uow_factory() as uow:
        item = await uow.sessions.add(CaseSession(
            kind="official", bureau="tokyo", starts_at=now - timedelta(hours=3), minutes=120, capacity=30,
            min_participants=1, deadline_at=now - timedelta(days=10), status=status, created_by="UADMIN",
            created_at=now - timedelta(days=30), held_at=now if status == "held" else None))
        for user in attendees:
            uow.session.add(Registration(session_id=item.id, user_id=user, status="attended", registered_at=now,
                                         updated_at=now))
    return item


async def test_a_held_session_gets_one_post_session_run_for_its_attendees(uow_factory, clock):
    now = clock.now()
    users = await add_people(uow_factory, now, 4)
    item = await held_session(uow_factory, now, users[:3])
    for _ in range(2):  # the follow-up may run again after a restart: still one run
        async with uow_factory() as uow:
            await surveys.start_post_session_survey(uow, now, await uow.sessions.get(item.id))
    async with uow_factory() as uow:
        runs = await uow.surveys.runs_for_session(item.id, "post_session")
        assert len(runs) == 1 and await uow.surveys.count_invites(runs[0].id) == 3
        assert runs[0].deadline_at == now + surveys.POST_SESSION_OPEN_FOR
    with pytest.raises(SurveyError) as again:
        async with uow_factory() as uow:
            await surveys.send_post_session_survey(uow, now, TOKYO_STAFF, item.code)
    assert again.value.key == "survey_runs.error.already_sent"
    assert surveys.start_post_session_survey in features.AFTER_HELD


async def test_send_needs_a_held_session_of_ones_own_bureau(uow_factory, clock):
    now = clock.now()
    users = await add_people(uow_factory, now, 2)
    confirmed = await held_session(uow_factory, now, users, status="confirmed")
    with pytest.raises(SurveyError) as not_held:
        async with uow_factory() as uow:
            await surveys.send_post_session_survey(uow, now, TOKYO_STAFF, confirmed.code)
    assert not_held.value.key == "survey_runs.error.not_held"
    held = await held_session(uow_factory, now, users)
    with pytest.raises(Exception) as other_bureau:
        async with uow_factory() as uow:
            await surveys.send_post_session_survey(uow, now, OSAKA_STAFF, held.code)
    assert other_bureau.value.key == "auth.other_bureau"
    async with uow_factory() as uow:
        started = await surveys.send_post_session_survey(uow, now, TOKYO_STAFF, held.code)
    assert started.invited == 2 and started.batch_id is not None


# --- the dialog's storage --------------------------------------------------------------------------------


async def test_finished_dialogs_wait_for_a_batch_of_five_written_in_one_transaction(uow_factory, clock):
    now = clock.now()
    users = await add_people(uow_factory, now, surveys.BATCH_SIZE)
    code = await planning_run(uow_factory, now)
    for user in users[:-1]:
        state = await answer(uow_factory, now, user, code, NOT_NEEDED)
        assert state.status is DialogStatus.COMPLETED and state.outcome is Outcome.DONE
    async with uow_factory() as uow:
        again = await surveys.act(uow, now, users[0], code, NOT_NEEDED[-1])
        restart = await surveys.begin(uow, now, users[0], code)
        run = await uow.surveys.run_by_code(code)
        # Finished, and still waiting: no response, no completed invite, the dialog kept (encrypted).
        assert await uow.surveys.responses(run.id) == []
        assert not [u for u in users if (await uow.surveys.invite(run.id, u)).completed]
        assert all([await survey_views.answered(uow, run.id, u) for u in users[:-1]])
        assert not await survey_views.answered(uow, run.id, users[-1])
    assert again.outcome is Outcome.IGNORED and restart.status is DialogStatus.COMPLETED

    await answer(uow_factory, now, users[-1], code, NOT_NEEDED)  # the fifth: the batch is written
    async with uow_factory() as uow:
        stored = await uow.surveys.responses(run.id)
        assert await uow.surveys.run_progress(run.id) == []
        assert all([(await uow.surveys.invite(run.id, u)).completed for u in users])
        documents = [uow.cipher.decrypt_json(blob) for _, blob in stored]
    assert len(stored) == surveys.BATCH_SIZE and {bureau for bureau, _ in stored} == {None}
    for document in documents:
        assert document == {"need": "not_needed", "group_size": None, "duration": None, "themes": None,
                            "format_opinion": None, "@bureau": "tokyo"}
    # Padded: like answers give tokens of one length.
    assert len({len(blob) for _, blob in stored}) == 1


async def test_the_same_interaction_twice_changes_nothing(uow_factory, clock):
    now = clock.now()
    user = (await add_people(uow_factory, now, 1))[0]
    code = await planning_run(uow_factory, now)
    async with uow_factory() as uow:
        await surveys.begin(uow, now, user, code)
    results = []
    for _ in range(2):
        async with uow_factory() as uow:
            results.append(await surveys.act(uow, now, user, code, Step("multi", "themes", option_ids=("labor",)),
                                             interaction="1800000000.000200"))
    assert results[1].outcome is Outcome.IGNORED
    async with uow_factory() as uow:
        keys = [k for k in await uow.session.scalars(select(ProcessedRequest.key))]
    assert len(keys) == 1 and user not in keys[0]  # the key does not name the person


async def test_concurrent_completions_store_one_response(uow_factory, clock):
    now = clock.now()
    users = await add_people(uow_factory, now, surveys.BATCH_SIZE)
    code = await planning_run(uow_factory, now)
    for user in users[:-1]:
        await answer(uow_factory, now, user, code, NOT_NEEDED)
    user = users[-1]
    await answer(uow_factory, now, user, code, NOT_NEEDED[:-1])

    async def finish():
        async with uow_factory() as uow:
            return await surveys.act(uow, now, user, code, NOT_NEEDED[-1])

    states = await asyncio.gather(*(finish() for _ in range(4)))
    assert [s.outcome for s in states].count(Outcome.DONE) == 1
    assert await response_count(uow_factory) == surveys.BATCH_SIZE
    async with uow_factory() as uow:
        run = await uow.surveys.run_by_code(code)
        assert await uow.surveys.progress(run.id, user) is None  # no click brought the progress back


async def test_people_finishing_at_once_are_written_in_whole_batches(uow_factory, clock):
    now = clock.now()
    users = await add_people(uow_factory, now, 3 * surveys.BATCH_SIZE - 1)
    code = await planning_run(uow_factory, now)
    for user in users:
        await answer(uow_factory, now, user, code, NOT_NEEDED[:-1])

    async def finish(user):
        async with uow_factory() as uow:
            return await surveys.act(uow, now, user, code, NOT_NEEDED[-1])

    states = await asyncio.gather(*(finish(user) for user in users))
    assert all(s.outcome is Outcome.DONE for s in states)
    async with uow_factory() as uow:
        run = await uow.surveys.run_by_code(code)
        completed = [u for u in users if (await uow.surveys.invite(run.id, u)).completed]
        waiting = [u for u in users if await survey_views.answered(uow, run.id, u) and u not in completed]
    # Two whole batches written (in whatever grouping the race made), the rest waiting.
    assert await response_count(uow_factory) == len(completed) == 2 * surveys.BATCH_SIZE
    assert len(waiting) == surveys.BATCH_SIZE - 1
    async with uow_factory() as uow:
        assert await surveys.close_run(uow, run.deadline_at, run.id)
    assert await response_count(uow_factory) == len(users)


async def test_back_next_and_invalid_answers(uow_factory, clock):
    now = clock.now()
    user = (await add_people(uow_factory, now, 1))[0]
    code = await planning_run(uow_factory, now)
    state = await answer(uow_factory, now, user, code, [Step("choose", "need", option_id="needed"),
                                                        Step("back", "group_size")])
    assert state.outcome is Outcome.WENT_BACK and state.progress.step == 0
    state = await answer(uow_factory, now, user, code, [
        Step("next", "need"), Step("choose", "group_size", option_id="people_5_6"),
        Step("choose", "duration", option_id="min_90"), Step("next", "themes", option_ids=())])
    assert state.outcome is Outcome.INVALID and state.error_key == "surveys.dialog.error.choose_at_least_one"
    # The checkboxes' state sent with Next is taken.
    state = await answer(uow_factory, now, user, code, [Step("next", "themes", option_ids=("education", "other"))])
    assert state.outcome is Outcome.ADVANCED and state.progress.answers["themes"] == ["education", "other"]
    async with uow_factory() as uow:
        too_long = await surveys.act(uow, now, user, code, Step("text", "format_opinion", text="あ" * 2001))
    assert too_long.outcome is Outcome.INVALID


async def reply_by_dm(uow, now, user, text):
    """What the DM handler does with a reply: answer the person's waiting free-text question, if any."""
    waiting = await surveys.waiting_for_text(uow, now, user)
    if waiting is None:
        return None
    run, survey, progress = waiting
    question = dialog.current_question(survey, progress)
    return await surveys.act(uow, now, user, run.code, Step("text", question.id, text=text))


async def test_a_dm_reply_answers_only_a_waiting_text_question(uow_factory, clock):
    now = clock.now()
    user = (await add_people(uow_factory, now, 1))[0]
    code = await planning_run(uow_factory, now)
    async with uow_factory() as uow:
        assert await reply_by_dm(uow, now, user, "こんにちは") is None  # not started
    await answer(uow_factory, now, user, code, NOT_NEEDED[:1])
    async with uow_factory() as uow:
        assert await reply_by_dm(uow, now, user, "こんにちは") is None  # on a choice question
    await answer(uow_factory, now, user, code, NOT_NEEDED[1:4])
    async with uow_factory() as uow:
        state = await reply_by_dm(uow, now, user, "  対面も年に一度は  ")
    assert state.outcome is Outcome.DONE
    async with uow_factory() as uow:
        run = await uow.surveys.run_by_code(code)
        assert await surveys.close_run(uow, run.deadline_at, run.id)  # the close writes what waits
    async with uow_factory() as uow:
        document, _, _ = await surveys.export_run(uow, code)
    assert document["questions"][-1]["responses"] == 1


async def test_strangers_and_unknown_runs_are_refused(uow_factory, clock):
    now = clock.now()
    await add_people(uow_factory, now, 1)
    code = await planning_run(uow_factory, now)
    for user, run_code, key in (("USTRANGER", code, "survey_runs.error.not_invited"),
                                ("UT000", "R99", "survey_runs.error.unknown_run")):
        with pytest.raises(SurveyError) as refused:
            async with uow_factory() as uow:
                await surveys.begin(uow, now, user, run_code)
        assert refused.value.key == key
    with pytest.raises(SurveyError):
        async with uow_factory() as uow:
            await surveys.export_run(uow, "R99")


# --- anonymity of the bureau ------------------------------------------------------------------------------


async def test_the_bureau_is_inside_the_ciphertext_and_the_breakdown_counts_every_response(uow_factory, clock):
    now = clock.now()
    tokyo = await add_people(uow_factory, now, MIN_CELL + 1)
    osaka = await add_people(uow_factory, now, 2, prefecture="大阪府", prefix="UO")
    code = await planning_run(uow_factory, now)
    for user in tokyo + osaka:
        await answer(uow_factory, now, user, code, NOT_NEEDED)
    async with uow_factory() as uow:
        run = await uow.surveys.run_by_code(code)
        assert len(await uow.surveys.responses(run.id)) == surveys.BATCH_SIZE
        assert await surveys.close_run(uow, run.deadline_at, run.id)
    async with uow_factory() as uow:
        stored = await uow.surveys.responses(run.id)
        inside = sorted(uow.cipher.decrypt_json(blob)["@bureau"] for _, blob in stored)
        result = await survey_views.tally_run(uow, run)
    # Nothing in clear beside a response: the same (no bureau) whoever finished when.
    assert {bureau for bureau, _ in stored} == {None}
    assert inside == ["osaka"] * 2 + ["tokyo"] * len(tokyo)
    assert result.report.respondents == len(tokyo) + len(osaka)
    assert set(result.by_bureau) == {"tokyo", "osaka"}
    assert result.by_bureau["tokyo"].respondents == len(tokyo) and not result.by_bureau["tokyo"].suppressed
    assert result.by_bureau["osaka"].suppressed  # 2 < MIN_CELL


# --- closing and reminders ------------------------------------------------------------------------------------


@dataclass
class FakeClock:
    moment: object

    def now(self):
        return self.moment


@dataclass
class FakeDeps:
    """What a renderer reads from Deps: the clock and the time zone."""

    clock: FakeClock
    tz: ZoneInfo = JST


async def render(uow_factory, now, delivery_id: int):
    async with uow_factory() as uow:
        delivery = await uow.session.get(Delivery, delivery_id)
        ctx = RenderContext(FakeDeps(FakeClock(now)), uow, delivery)
        if delivery.kind == DeliveryKind.SURVEY_REMINDER:
            return await survey_messages.render_reminder(ctx)
        return await survey_messages.render_invitation(ctx)


async def test_reminders_render_only_for_those_not_finished_and_the_run_closes_at_its_deadline(uow_factory, clock):
    now = clock.now()
    done, halfway, silent = await add_people(uow_factory, now, 3)
    code = await planning_run(uow_factory, now)
    await answer(uow_factory, now, done, code, NOT_NEEDED)
    await answer(uow_factory, now, halfway, code, NOT_NEEDED[:2])
    async with uow_factory() as uow:
        reminders = {d.recipient: d.id for d in await uow.session.scalars(
            select(Delivery).where(Delivery.kind == DeliveryKind.SURVEY_REMINDER).order_by(Delivery.id.desc()))}
        run = await uow.surveys.run_by_code(code)
    later = run.deadline_at - timedelta(days=1)
    assert await render(uow_factory, later, reminders[done]) is None
    for user in (halfway, silent):
        message = await render(uow_factory, later, reminders[user])
        assert code in message.text and "回答を続ける" in str(message.blocks)

    async with uow_factory() as uow:
        assert not await surveys.close_run(uow, run.deadline_at - timedelta(seconds=1), run.id)
    async with uow_factory() as uow:
        assert await surveys.next_survey_deadline(uow, now) == run.deadline_at
        assert await surveys.close_run(uow, run.deadline_at, run.id)
    async with uow_factory() as uow:
        closed = await uow.surveys.run(run.id)
        assert closed.status == "closed" and await uow.surveys.progress(run.id, halfway) is None
        pending = list(await uow.session.scalars(select(Delivery).where(Delivery.status == "pending")))
        late = await surveys.act(uow, run.deadline_at, halfway, code, NOT_NEEDED[2])
    assert pending == [] and late.status is DialogStatus.CLOSED
    assert await render(uow_factory, run.deadline_at, reminders[silent]) is None


# --- reports ------------------------------------------------------------------------------------------------------


async def test_reports_are_for_admins_and_the_sessions_own_bureau(uow_factory, clock):
    now = clock.now()
    users = await add_people(uow_factory, now, MIN_CELL)
    item = await held_session(uow_factory, now, users)
    async with uow_factory() as uow:
        await surveys.start_post_session_survey(uow, now, await uow.sessions.get(item.id))
        run = (await uow.surveys.runs_for_session(item.id, "post_session"))[0]
    planning = await planning_run(uow_factory, now)
    for actor, code, allowed in ((ADMIN, run.code, True), (TOKYO_STAFF, run.code, True),
                                 (OSAKA_STAFF, run.code, False), (TOKYO_STAFF, planning, False)):
        async with uow_factory() as uow:
            if allowed:
                result = await surveys.run_report(uow, now, actor, code)
                assert result.report.invited == MIN_CELL
            else:
                with pytest.raises(SurveyError) as refused:
                    await surveys.run_report(uow, now, actor, code)
                assert refused.value.key == "survey_runs.error.not_yours"
