"""Issue 7's proofs through the real AsyncApp and the fake Slack: introductions after a session,
matching nudges (nobody left out, no repeats, stop), the group's space with its starter kit, and a
self-run session from `/jirei propose` through registration and reminders."""

import asyncio
import re
from datetime import datetime, timedelta
from itertools import combinations
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot import ids
from bot.delivery.kinds import DeliveryKind
from bot.local import seed
from bot.core.i18n import t
from bot.people import service as people
from bot.study_groups.service import proposal_counter, study_group_metrics
from storage.models import CaseSession, Delivery, Nudge, ProposalCount, StudyGroup, SurveyInvite, SurveyRun
from tests.handlers.conftest import JST, add_coordinators, announced, texts

OSAKA_THEMES = ("医療・福祉,教育", "医療・福祉,労働", "医療・福祉", "医療・福祉,教育", "医療・福祉,家庭・DV")


async def add_people(ws, count: int, *, prefix: str, themes=OSAKA_THEMES) -> list[str]:
    """Coordinators in Osaka, sharing some of their themes."""
    return await add_coordinators(ws, count, prefix=prefix, prefecture="大阪府", themes=themes)


async def seeded_nudges_off(ws) -> None:
    """Keeps the seeded coordinators out of the matching, so a test sees only its own people."""
    async with ws.deps.uow() as uow:
        for user_id, *_ in seed.COORDINATORS:
            await people.update_profile(uow, ws.clock.now(), user_id, people.ProfileChange({"nudges_enabled": False}))


def nudge_message(ws, user: str) -> dict | None:
    for message in reversed(ws.fake.dm_messages(user)):
        if ids.NUDGE_ACCEPT in str(message.get("blocks")):
            return message
    return None


async def groups_and_members(ws) -> dict[str, list[str]]:
    async with ws.deps.uow() as uow:
        groups = await uow.study_groups.with_status("forming", "active", "closed")
        return {g.code: sorted(m.user_id for m in await uow.study_groups.members(g.id)) for g in groups}


async def nudge_now(ws) -> None:
    await ws.driver.command(seed.ADMIN, "admin nudge")
    await ws.run_due()


async def accept(ws, users: list[str]) -> None:
    for user in users:
        await ws.driver.press(user, nudge_message(ws, user), ids.NUDGE_ACCEPT)
    await ws.run_due()


async def first_group_nudged(ws) -> list[str]:
    """Ten Osaka coordinators matched and nudged; the members of the first group."""
    await seeded_nudges_off(ws)
    await add_people(ws, 10, prefix="UOSA")
    await nudge_now(ws)
    await ws.advance(timedelta(hours=1))  # 09:00 → 10:00 on a Thursday: nudges go out
    return next(iter((await groups_and_members(ws)).values()))


async def form_group(ws) -> tuple[StudyGroup, list[str]]:
    """The first group's first three accept its nudge."""
    members = await first_group_nudged(ws)
    await accept(ws, members[:3])
    async with ws.deps.uow() as uow:
        group = (await uow.study_groups.with_status("active"))[0]
    return group, members


async def test_ten_osaka_coordinators_sharing_themes_get_two_groups_and_nobody_is_left_out(ws):
    osaka = await add_people(ws, 10, prefix="UOSA")
    await nudge_now(ws)
    report = texts(ws.fake.ephemerals(seed.ADMIN)[-1:])
    assert "マッチング" in report
    groups = await groups_and_members(ws)
    osaka_groups = [members for members in groups.values() if set(members) & set(osaka)]
    assert len(osaka_groups) >= 2
    assert set(osaka) <= {u for members in osaka_groups for u in members}
    assert all(3 <= len(members) <= 6 for members in groups.values())
    # Nudges wait for office hours: 09:00 on a Thursday → 10:00.
    assert not any(nudge_message(ws, u) for u in osaka)
    await ws.advance(timedelta(hours=1))
    assert all(nudge_message(ws, u) for u in osaka)
    # Everyone eligible (the seeded coordinators too) was nudged or told why not.
    async with ws.deps.uow() as uow:
        nudged = {n.user_id for n in await uow.session.scalars(select(Nudge))}
    for user_id, *_ in seed.COORDINATORS:
        dms = texts(ws.fake.dm_messages(user_id))
        assert user_id in nudged or "今回は" in dms, user_id


async def test_accepting_opens_a_private_channel_with_the_starter_kit(ws):
    group, members = await form_group(ws)
    channel = ws.fake.conversations[group.channel_id]
    assert channel.kind == "private"
    assert set(channel.members) == {ws.fake.bot_user_id, *members[:3]}
    kit = texts(ws.fake.messages(group.channel_id))
    for part in ("/jirei check", "/jirei pledge accept", "5〜6人", "90〜120分", "進行役", "記録係",
                 "/jirei propose"):
        assert part in kit, part
    # the answered nudge lost its buttons; the third acceptor was told the group is complete
    assert ids.NUDGE_ACCEPT not in str(nudge_message(ws, members[2]) or "")
    assert "3 人がそろいました" in texts(ws.fake.dm_messages(members[2]))
    # a fourth member who accepts later is invited and welcomed
    await accept(ws, [members[3]])
    assert members[3] in channel.members
    assert f"<@{members[3]}>" in texts(ws.fake.messages(group.channel_id)[-1:])


async def test_a_space_another_process_is_opening_is_not_opened_twice(ws):
    members = await first_group_nudged(ws)
    async with ws.deps.uow() as uow:  # another process claimed the space and is talking to Slack
        group = (await uow.study_groups.with_status("forming"))[0]
        group.space_claimed_until = ws.clock.now() + timedelta(minutes=10)
    await accept(ws, members[:3])
    assert not [c for c in ws.fake.conversations.values() if c.kind == "private"]
    await ws.advance(timedelta(minutes=11))  # that process died: its claim ran out
    async with ws.deps.uow() as uow:
        group = await uow.study_groups.get(group.id)
    assert group.status == "active" and group.space_claimed_until is None
    assert set(ws.fake.conversations[group.channel_id].members) == {ws.fake.bot_user_id, *members[:3]}


async def test_only_the_person_nudged_can_answer_and_not_now_does_not_count(ws):
    members = await first_group_nudged(ws)
    someone_elses = nudge_message(ws, members[0])
    await ws.driver.press(members[1], someone_elses, ids.NUDGE_ACCEPT)
    assert "あなた宛てではありません" in texts(ws.fake.ephemerals(members[1])[-1:])
    await accept(ws, members[:2])
    await ws.driver.press(members[2], nudge_message(ws, members[2]), ids.NUDGE_LATER)
    await ws.run_due()
    async with ws.deps.uow() as uow:
        assert await uow.study_groups.with_status("active") == []
        statuses = {n.user_id: n.status for n in await uow.session.scalars(select(Nudge))}
    assert (statuses[members[0]], statuses[members[1]], statuses[members[2]]) == ("accepted", "accepted", "later")


async def test_stop_ends_further_nudges(ws):
    await seeded_nudges_off(ws)
    osaka = await add_people(ws, 10, prefix="UOSA")
    await nudge_now(ws)
    await ws.advance(timedelta(hours=1))
    quitter = osaka[0]
    await ws.driver.press(quitter, nudge_message(ws, quitter), ids.NUDGE_STOP)
    async with ws.deps.uow() as uow:
        assert (await uow.coordinators.get(quitter)).nudges_enabled is False
    assert "お送りしません" in texts(ws.fake.dm_messages(quitter)[-1:])
    before = len(ws.fake.dm_messages(quitter))
    # a month later (past the frequency cap) the next matching passes them by entirely
    await ws.advance(timedelta(days=31))
    await nudge_now(ws)
    await ws.advance(timedelta(days=4))  # whatever the weekday, office hours come
    assert len(ws.fake.dm_messages(quitter)) == before
    async with ws.deps.uow() as uow:
        nudges = [n for n in await uow.session.scalars(select(Nudge)) if n.user_id == quitter]
    assert len(nudges) == 1


async def test_no_repeat_grouping_within_the_cool_down(ws):
    await seeded_nudges_off(ws)
    osaka = await add_people(ws, 15, prefix="UOSA", themes=("医療・福祉",))
    await nudge_now(ws)
    first = await groups_and_members(ws)
    assert sorted(len(m) for m in first.values()) == [5, 5, 5]
    await ws.advance(timedelta(hours=1))
    for user in osaka:  # nobody forms a group this time
        await ws.driver.press(user, nudge_message(ws, user), ids.NUDGE_LATER)
    await ws.advance(timedelta(days=31))  # past the frequency cap, well within the six-month cool-down
    await nudge_now(ws)
    second = {code: members for code, members in (await groups_and_members(ws)).items() if code not in first}
    assert second, "new groups mixing the earlier ones are possible"
    earlier_pairs = {pair for members in first.values() for pair in combinations(members, 2)}
    later_pairs = {pair for members in second.values() for pair in combinations(members, 2)}
    assert not earlier_pairs & later_pairs
    # anyone who could not be placed without a repeat is told so (once)
    placed = {u for members in second.values() for u in members}
    await ws.advance(timedelta(days=4))
    for user in set(osaka) - placed:
        assert "半年" in texts(ws.fake.dm_messages(user)[-1:]), user


async def test_discussion_groups_are_introduced_in_a_group_dm_after_the_session(ws):
    await ws.driver.command(seed.ADMIN, 'admin case new title="受診同行の事例" theme=医療・福祉')
    await ws.driver.command(seed.ADMIN, "admin session new case=C1 bureau=tokyo start=2027-05-15T14:00 minutes=120 "
                                        "capacity=30 min=5 deadline=2027-05-01T17:00 release=2027-05-07T09:00")
    await announced(ws)
    tokyo = [u for u, _n, pref, *_ in seed.COORDINATORS if pref not in ("大阪府", "京都府", "兵庫県")]
    for user in tokyo:
        await ws.driver.command(user, "join S1")
    start = datetime(2027, 5, 15, 14, 0, tzinfo=JST)
    await ws.advance(start + timedelta(minutes=130) - ws.clock.now())
    async with ws.deps.uow() as uow:
        assert (await uow.sessions.get(1)).status == "held"
        regs = await uow.registrations.for_session(1)
    groups: dict[int, set[str]] = {}
    for reg in regs:
        groups.setdefault(reg.group_no, set()).add(reg.user_id)
    group_dms = [c for c in ws.fake.conversations.values() if c.kind == "mpim"]
    assert {frozenset(c.members) - {ws.fake.bot_user_id} for c in group_dms} == {frozenset(g) for g in groups.values()}
    assert len(group_dms) == len(groups) == 2
    for conversation in group_dms:
        text = texts(ws.fake.messages(conversation.id))
        assert "受診同行の事例" in text and "/jirei propose" in text
        assert all(f"<@{u}>" in text for u in conversation.members if u != ws.fake.bot_user_id)


async def test_admin_nudge_is_for_admins(ws):
    await ws.driver.command(seed.STAFF_OSAKA, "admin nudge")
    assert "管理者" in texts(ws.fake.ephemerals(seed.STAFF_OSAKA)[-1:])
    await ws.driver.command(seed.COORDINATORS[0][0], "admin nudge")
    async with ws.deps.uow() as uow:
        assert await uow.study_groups.with_status("forming") == []


async def propose(ws, user: str, values: dict) -> None:
    await ws.driver.command(user, "propose")
    view = ws.fake.current_view(user)
    assert view["callback_id"] == ids.PROPOSE_VIEW
    await ws.driver.submit_view(user, view, values)
    await ws.run_due()


def proposal_values(start: datetime, *, title="在留資格変更の相談事例", place="", capacity="6") -> dict:
    return {
        ids.PROPOSE_TITLE_BLOCK: {ids.PROPOSE_TITLE_INPUT: title},
        ids.PROPOSE_THEME_BLOCK: {ids.PROPOSE_THEME_INPUT: "immigration"},
        ids.PROPOSE_PLACE_BLOCK: {ids.PROPOSE_PLACE_INPUT: place},
        ids.PROPOSE_START_BLOCK: {ids.PROPOSE_START_INPUT: int(start.timestamp())},
        ids.PROPOSE_CAPACITY_BLOCK: {ids.PROPOSE_CAPACITY_INPUT: capacity},
    }


async def test_propose_modal_shows_field_errors(ws):
    user = seed.COORDINATORS[0][0]
    await ws.driver.command(user, "propose")
    view = ws.fake.current_view(user)
    reply = await ws.driver.submit_view(user, view, proposal_values(ws.clock.now() + timedelta(hours=5)))
    assert reply.ack["response_action"] == "errors" and ids.PROPOSE_START_BLOCK in reply.ack["errors"]
    reply = await ws.driver.submit_view(user, view, proposal_values(ws.clock.now() + timedelta(days=9), capacity="2"))
    assert ids.PROPOSE_CAPACITY_BLOCK in reply.ack["errors"]
    async with ws.deps.uow() as uow:
        assert await uow.sessions.all() == []


async def test_a_self_run_session_goes_through_registration_and_reminders(ws):
    group, members = await form_group(ws)
    proposer, second, third = members[:3]
    start = datetime(2027, 4, 20, 14, 0, tzinfo=JST)
    await propose(ws, proposer, proposal_values(start, place="大阪市国際交流センター"))
    async with ws.deps.uow() as uow:
        item = await uow.sessions.get(1)
        assert await uow.registrations.count(1, "confirmed") == 1  # the proposer takes part
    assert (item.kind, item.facilitator_user_id, item.study_group_id, item.bureau) == \
        ("self_run", proposer, group.id, "osaka")
    assert item.min_participants == 3 and item.deadline_at == start - timedelta(days=1)
    assert "S1" in texts(ws.fake.messages(group.channel_id)[-1:])  # announced in the group's space
    assert "S1" in texts(ws.fake.dm_messages(proposer)[-1:])
    # nearby coordinators outside the group are invited by DM, with a Join button
    outsider = next(f"UOSA{i:04d}" for i in range(10) if f"UOSA{i:04d}" not in members)
    invitation = next(m for m in reversed(ws.fake.dm_messages(outsider)) if ids.SESSION_JOIN in str(m.get("blocks")))
    await ws.driver.press(outsider, invitation, ids.SESSION_JOIN)
    await ws.driver.command(second, "join S1")
    async with ws.deps.uow() as uow:
        assert await uow.registrations.count(1, "confirmed") == 3
    # the deadline confirms it (three is the minimum), then the reminders come
    await ws.advance(start - timedelta(minutes=30) - ws.clock.now())
    async with ws.deps.uow() as uow:
        assert (await uow.sessions.get(1)).status == "confirmed"
    for user in (proposer, second, outsider):
        reminders = [m for m in ws.fake.dm_messages(user) if "リマインダー" in texts([m]) and "S1" in texts([m])]
        assert len(reminders) >= 2, user
    assert not [m for m in ws.fake.dm_messages(third) if "リマインダー" in texts([m])]
    await ws.driver.command(proposer, "groups")
    overview = texts(ws.fake.ephemerals(proposer)[-1:])
    assert group.code in overview and "S1" in overview
    # held: the secretariat's numbers
    await ws.driver.command(seed.ADMIN, f"admin attend S1 <@{proposer}> <@{second}> <@{outsider}>")
    await ws.advance(timedelta(hours=3))
    async with ws.deps.uow() as uow:
        assert (await uow.sessions.get(1)).status == "held"
        metrics = await study_group_metrics(uow, ws.clock.now() - timedelta(days=365))
    assert metrics["groups_formed"] == 1 and metrics["nudges_accepted"] == 3
    assert metrics["self_run_held"] == 1 and metrics["self_run_attendance"] == 3


async def test_self_run_session_gets_the_post_session_survey(ws):
    group, members = await form_group(ws)
    start = datetime(2027, 4, 20, 14, 0, tzinfo=JST)
    await propose(ws, members[0], proposal_values(start))
    for user in members[1:3]:
        await ws.driver.command(user, "join S1")
    await ws.advance(start + timedelta(hours=3) - ws.clock.now())
    async with ws.deps.uow() as uow:
        assert (await uow.sessions.get(1)).status == "held"
        runs = list(await uow.session.scalars(select(SurveyRun).where(SurveyRun.session_id == 1)))
        invited = set(await uow.session.scalars(select(SurveyInvite.user_id).where(SurveyInvite.run_id == runs[0].id)))
    assert len(runs) == 1 and invited == set(members[:3])
    for user in members[:3]:
        assert ids.SURVEY_START in str(ws.fake.dm_messages(user)), user
    # a self-run group already has its space: no extra introduction group DM
    assert not [c for c in ws.fake.conversations.values() if c.kind == "mpim"]


async def test_groups_lists_open_proposals_near_me_first(ws):
    group, members = await form_group(ws)
    await propose(ws, members[0], proposal_values(datetime(2027, 4, 20, 14, 0, tzinfo=JST), title="対面の会",
                                                  place="大阪"))
    await propose(ws, members[1], proposal_values(datetime(2027, 4, 21, 14, 0, tzinfo=JST), title="オンラインの会"))
    await ws.driver.command(members[2], "groups")
    text = texts(ws.fake.ephemerals(members[2])[-1:])
    assert group.code in text and text.index("対面の会") < text.index("オンラインの会")
    await ws.driver.command(seed.COORDINATORS[0][0], "groups")
    text = texts(ws.fake.ephemerals(seed.COORDINATORS[0][0])[-1:])
    assert "まだ自主勉強会に参加していません" in text and "オンラインの会" in text


async def test_proposals_are_capped_per_person_per_month(ws):
    """Each proposal invites the region by DM: the third in a month is refused, in the person's
    language, both when the form is asked for and when a form opened earlier is sent."""
    assert ws.deps.settings.proposals_per_month == 2
    group, members = await form_group(ws)
    proposer = members[0]
    start = datetime(2027, 4, 20, 14, 0, tzinfo=JST)
    forms = []
    for _ in range(3):  # forms opened while proposals were still allowed
        await ws.driver.command(proposer, "propose")
        forms.append(ws.fake.current_view(proposer))
    for day, form in enumerate(forms[:2]):
        await ws.driver.submit_view(proposer, form, proposal_values(start + timedelta(days=day)))
        await ws.run_due()
    invitations = sum(len(ws.fake.dm_messages(u)) for u in (f"UOSA{i:04d}" for i in range(10)) if u != proposer)

    await ws.driver.command(proposer, "propose")
    refusal = texts(ws.fake.ephemerals(proposer)[-1:])
    assert "月2件まで" in refusal and "2027年5月1日" in refusal, refusal
    await ws.driver.submit_view(proposer, forms[2], proposal_values(start + timedelta(days=2)))
    await ws.run_due()
    assert "月2件まで" in texts(ws.fake.dm_messages(proposer)[-1:])
    async with ws.deps.uow() as uow:
        assert len([s for s in await uow.sessions.all() if s.kind == "self_run"]) == 2
    assert sum(len(ws.fake.dm_messages(u)) for u in (f"UOSA{i:04d}" for i in range(10)) if u != proposer) == invitations

    await ws.driver.command(proposer, "profile set lang=en")
    await ws.driver.command(proposer, "propose")
    assert "up to 2 study sessions a month" in texts(ws.fake.ephemerals(proposer)[-1:])
    # Someone else in the group still may; and so may the proposer next month.
    await ws.driver.command(members[1], "propose")
    assert ws.fake.current_view(members[1])["callback_id"] == ids.PROPOSE_VIEW
    await ws.advance(datetime(2027, 5, 1, 0, 5, tzinfo=JST) - ws.clock.now())
    await ws.driver.command(proposer, "propose")
    assert ws.fake.current_view(proposer)["callback_id"] == ids.PROPOSE_VIEW


async def test_a_self_run_session_gets_material_through_the_same_check_and_pledge(ws):
    """The proposer attaches a case: the same anonymisation check, then only confirmed participants
    who accepted the pledge receive it; the meeting URL and the proposer are in the reminders."""
    group, members = await form_group(ws)
    proposer, second, third = members[:3]
    start = datetime(2027, 4, 20, 14, 0, tzinfo=JST)
    values = proposal_values(start)
    values[ids.PROPOSE_URL_BLOCK] = {ids.PROPOSE_URL_INPUT: "https://meet.example.jp/g1"}
    await propose(ws, proposer, values)
    confirmation = next(m for m in reversed(ws.fake.dm_messages(proposer)) if ids.MATERIAL_UPLOAD_OPEN in str(m))
    shown = texts([confirmation])
    assert "C1" in shown and "誓約" in shown and "4月17日" in shown  # released 3 days before, not yet past
    async with ws.deps.uow() as uow:
        item = await uow.sessions.get(1)
        case = await uow.cases.get(item.case_id)
    assert (case.code, case.created_by, item.online_url) == ("C1", proposer, "https://meet.example.jp/g1")

    # the proposer's upload goes through the same check: a phone number is found and blocks release
    async def submit_upload(text: str) -> None:
        form = ws.fake.current_view(proposer)
        file_id = ws.fake.add_user_file(proposer, "case.txt", text.encode())
        await ws.driver.submit_view(proposer, form, {
            ids.MATERIAL_CASE_BLOCK: {ids.MATERIAL_CASE_INPUT: "C1"},
            ids.MATERIAL_KIND_BLOCK: {ids.MATERIAL_KIND_INPUT: "material"},
            ids.MATERIAL_FILE_BLOCK: {ids.MATERIAL_FILE_INPUT: [file_id]},
        })
        await ws.run_due()

    await ws.driver.press(proposer, confirmation, ids.MATERIAL_UPLOAD_OPEN)
    await submit_upload("相談者の電話は090-1234-5678。")
    assert "090-1234-5678" in texts(ws.fake.dm_messages(proposer)[-3:])  # the findings, to the uploader only
    await ws.driver.command(proposer, "admin material add C1")  # a clean version, by the command
    await submit_upload("【事例】Aさん（30代）は在留資格の変更を相談した。")
    # nobody else may add material to it
    await ws.driver.command(second, "admin material add C1 url=https://example.org/x.pdf")
    assert "企画者" in texts(ws.fake.ephemerals(second)[-1:])

    await ws.driver.command(second, "join S1")
    await ws.driver.command(third, "join S1")
    async with ws.deps.uow() as uow:  # the third has not (or no longer) accepted the pledge
        (await uow.coordinators.get(third)).pledge_accepted_at = None
    await ws.advance(start - timedelta(hours=2) - ws.clock.now())  # past the release and the deadline

    def material(user):
        return [m for m in ws.fake.dm_messages(user) if ids.MATERIAL_READ in str(m.get("blocks"))]

    assert len(material(proposer)) == 1 and len(material(second)) == 1 and material(third) == []
    reminder = next(m for m in reversed(ws.fake.dm_messages(second)) if "リマインダー" in texts([m]))
    assert f"<@{proposer}>" in texts([reminder]) and "事務局" not in texts([reminder])
    assert "https://meet.example.jp/g1" in texts([reminder])  # an online session: its meeting URL
    own = next(m for m in reversed(ws.fake.dm_messages(proposer)) if "リマインダー" in texts([m]))
    assert "admin session edit S1" in texts([own]) and "事務局" not in texts([own])
    intro = t("sessions.confirmed_intro", "ja", code="S1")
    confirmed = next(m for m in ws.fake.dm_messages(second) if intro in texts([m]))
    assert "お送りします" not in texts([confirmed])  # no promise of material at a time already past
    # the group's case never goes to the portal
    await ws.driver.command(seed.ADMIN, "admin publish C1 confirm")
    assert "掲載しません" in texts(ws.fake.ephemerals(seed.ADMIN)[-1:])


async def self_run_sessions(ws) -> list[CaseSession]:
    async with ws.deps.uow() as uow:
        return [s for s in await uow.sessions.all() if s.kind == "self_run"]


async def test_six_simultaneous_proposals_make_exactly_the_cap_and_the_rest_are_told(ws):
    """Six forms sent at the same moment by one person: exactly JIREI_PROPOSALS_PER_MONTH sessions
    and only their invitations; each of the others gets the limit message."""
    cap = ws.deps.settings.proposals_per_month
    group, members = await form_group(ws)
    proposer = members[0]
    forms = []
    for _ in range(6):
        await ws.driver.command(proposer, "propose")
        forms.append(ws.fake.current_view(proposer))
    assert all(form["callback_id"] == ids.PROPOSE_VIEW for form in forms)
    dms_before = len(ws.fake.dm_messages(proposer))
    start = datetime(2027, 4, 20, 14, 0, tzinfo=JST)
    await asyncio.gather(*(ws.driver.submit_view(proposer, form, proposal_values(start + timedelta(days=day)))
                           for day, form in enumerate(forms)))
    await ws.run_due()

    made = await self_run_sessions(ws)
    assert len(made) == cap
    async with ws.deps.uow() as uow:
        invitations = list(await uow.session.scalars(select(Delivery).where(Delivery.kind == DeliveryKind.SELF_RUN_INVITATION)))
    neighbours = [f"UOSA{i:04d}" for i in range(10) if f"UOSA{i:04d}" not in members[:3]]
    assert sorted((d.session_id, d.recipient) for d in invitations) == sorted(
        (item.id, user) for item in made for user in neighbours)
    answers = texts(ws.fake.dm_messages(proposer)[dms_before:])
    assert answers.count(f"月{cap}件まで") == 6 - cap, answers


async def re_register(ws, user: str) -> None:
    await ws.driver.command(user, "profile set name=大阪再登録 prefecture=大阪府 affiliation=public themes=入管手続")
    await ws.driver.command(user, "pledge accept")


async def test_the_cap_outlives_forget_me_for_the_month_under_a_keyed_hash_deleted_when_the_month_ends(ws):
    group, members = await form_group(ws)
    proposer = members[0]
    start = datetime(2027, 4, 20, 14, 0, tzinfo=JST)
    await ws.driver.command(proposer, "propose")
    late_form = ws.fake.current_view(proposer)  # opened while a proposal was still allowed
    await propose(ws, proposer, proposal_values(start))
    await propose(ws, proposer, proposal_values(start + timedelta(days=1)))
    await propose(ws, members[1], proposal_values(start + timedelta(days=2)))
    async with ws.deps.uow() as uow:
        holder = proposal_counter(uow, proposer)
    assert proposer not in holder

    await ws.driver.command(proposer, "forget-me confirm")
    raw = raw_database(ws)
    if raw is not None:  # SQLite: on disk, their id is left only in the forget-me audit entry
        at = [m.start() for m in re.finditer(re.escape(proposer.encode()), raw)]
        assert at and all(raw[i + len(proposer):].startswith(b"privacy.forget_me") for i in at)
        assert holder.encode() in raw  # the count is there, under the keyed hash
    await re_register(ws, proposer)
    await ws.driver.command(proposer, "propose")
    assert "月2件まで" in texts(ws.fake.ephemerals(proposer)[-1:])
    await ws.driver.submit_view(proposer, late_form, proposal_values(start + timedelta(days=3)))
    await ws.run_due()
    assert "月2件まで" in texts(ws.fake.dm_messages(proposer)[-1:])
    assert len(await self_run_sessions(ws)) == 3
    async with ws.deps.uow() as uow:
        counts = {(row.holder, row.month): row.proposed for row in await uow.session.scalars(select(ProposalCount))}
    assert counts == {(holder, "2027-04"): 2, (proposal_counter(uow, members[1]), "2027-04"): 1}
    assert not any(proposer in key for key, _month in counts)

    # The next month: allowed again, and April's counts go at this first use.
    await ws.advance(datetime(2027, 5, 1, 0, 5, tzinfo=JST) - ws.clock.now())
    await propose(ws, proposer, proposal_values(datetime(2027, 5, 20, 14, 0, tzinfo=JST)))
    assert len(await self_run_sessions(ws)) == 4
    async with ws.deps.uow() as uow:
        counts = {(row.holder, row.month): row.proposed for row in await uow.session.scalars(select(ProposalCount))}
    assert counts == {(holder, "2027-05"): 1}

    # When May ends, the daily retention job deletes May's count too: not a row, not a byte on disk.
    await ws.advance(datetime(2027, 6, 1, 4, 0, tzinfo=JST) - ws.clock.now())
    async with ws.deps.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(ProposalCount)) == 0
    raw = raw_database(ws)
    assert raw is None or holder.encode() not in raw


def raw_database(ws) -> bytes | None:
    """SQLite: the database file and its write-ahead log, as bytes; None on PostgreSQL."""
    url = make_url(ws.deps.settings.database_url)
    if url.get_backend_name() != "sqlite":
        return None
    database = Path(url.database)
    wal = database.with_name(database.name + "-wal")
    return database.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
