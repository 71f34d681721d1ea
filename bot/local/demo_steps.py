"""The demo's steps, in order. Each is `async def step(demo)`; see bot/local/demo.py for the helpers."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot import ids
from bot.delivery.kinds import DeliveryKind
from bot.local import seed
from bot.local.seed import JST, OSAKA, START, TOKYO
from bot.core.i18n import t
from bot.kit import escape
from bot.materials.results import is_releasable
from bot.study_groups.service import next_sensible_time
from bot.polls.blocks import answer_value as poll_answer_value, slot_block as poll_slot_block
from bot.surveys.blocks import survey_value
from bot.surveys import service as surveys
from bot.surveys import views as survey_views
from bot.surveys.report import render_text
from bot.people.roster import import_roster, parse_roster
from bot.surveys.definitions import load_survey
from bot.sessions.plan import load_plan, parse_plan
from config.reference import bureau_for_prefecture
from bot.core.bureaus import bureau_label
from bot.local.slack.render import render_view
from bot.materials.views import releasable_material
from bot.requests.blocks import due_text

S1_START = START.replace(month=5, day=15, hour=14)
S2_START = START.replace(month=5, day=22, hour=14)
DEADLINE_1 = START.replace(month=5, day=1, hour=17)
RELEASE_1 = START.replace(month=5, day=7, hour=9)
DEADLINE_2 = START.replace(month=5, day=8, hour=17)

PLANTED = """【事例】外国人患者の受診同行
相談者: グエン・ヴァン・アンさん（ベトナム国籍、30代、技能実習）
在留カード番号 AB12345678CD、電話 090-1234-5678。
住所は東京都新宿区西新宿2-8-1。生年月日 1990年4月3日。
市役所の窓口で医療通訳の手配を相談した。
"""
CLEAN = """【事例】外国人患者の受診同行
相談者: Aさん（ベトナム国籍、30代、技能実習）
B市に住み、勤務先の寮で暮らしている。
市役所の窓口で医療通訳の手配を相談した。病院の受付では言葉が通じず、受診を諦めかけていた。
"""


async def step_help(demo) -> None:
    demo.heading("demo.step.help")
    reply = await demo.command(TOKYO[0], "help")
    demo.expect(reply.status == 200 and bool(reply.answer), t("demo.check.help_acked", demo.lang))
    reply = await demo.command(seed.ADMIN, "help")
    text = str(reply.answer)
    demo.expect("admin session new" in text, t("demo.check.admin_help", demo.lang))
    reply = await demo.command(TOKYO[0], "frobnicate", show=True)
    demo.expect(reply.status == 200 and "frobnicate" in str(reply.answer), t("demo.check.usage", demo.lang))


async def step_profile(demo) -> None:
    demo.heading("demo.step.profile")
    user = TOKYO[-1]
    await demo.command(user, "profile set prefecture=山梨県 affiliation=公的機関 themes=医療・福祉,家庭・DV nudges=on")
    await demo.command(user, "pledge")
    await demo.command(user, "pledge accept")
    await demo.ws.driver.open_home(user)
    home = demo.ws.fake.home_view(user)
    demo.expect(home is not None and "✅" in str(home), t("demo.check.home_pledged", demo.lang))


async def step_plan(demo) -> None:
    demo.heading("demo.step.plan")
    typed = demo.typed
    await demo.command(seed.ADMIN, f'admin case new title="{typed.case_title}" theme=医療・福祉 '
                                   f'lecturer=<@{seed.LECTURER}>')
    await demo.command(seed.ADMIN, "admin session new case=C1 bureau=東京 start=2027-05-15T14:00 minutes=120 "
                                   "capacity=10 min=5 deadline=2027-05-01T17:00 release=2027-05-07T09:00 "
                                   f'facilitator=<@{seed.STAFF_TOKYO}> url={typed.meeting_url} place="{typed.place}"')
    await demo.command(seed.STAFF_OSAKA, "admin session new case=C1 bureau=大阪 start=2027-05-22T14:00 minutes=120 "
                                         "capacity=20 min=5 deadline=2027-05-08T17:00 release=2027-05-14T09:00 "
                                         f"facilitator=<@{seed.STAFF_OSAKA}>")
    await demo.command(seed.STAFF_OSAKA, "admin session new case=C1 bureau=東京 start=2027-05-22T14:00 "
                                                 "minutes=120 capacity=20 min=5 deadline=2027-05-08T17:00 "
                                                 "release=2027-05-14T09:00")
    async with demo.ws.deps.uow() as uow:
        count = len(await uow.sessions.all())
    demo.expect(count == 2, t("demo.check.sessions_created", demo.lang))
    await demo.command(TOKYO[1], "admin announce S1")
    demo.expect("S1" not in str(demo.ws.fake.messages(demo.ws.announce_channel)), t("demo.check.refused", demo.lang))


async def step_announce(demo) -> None:
    demo.heading("demo.step.announce")
    await demo.command(seed.ADMIN, "admin announce S1")
    await demo.command(seed.STAFF_OSAKA, "admin announce S2")
    invited = [u for u in TOKYO if demo.dm_with_action(u, ids.SESSION_JOIN)]
    demo.expect(len(invited) == len(TOKYO), t("demo.check.invited", demo.lang, count=len(invited)))
    demo.expect(not any(demo.dm_with_action(u, ids.SESSION_JOIN) and "S1" in str(demo.dm_with_action(u, ids.SESSION_JOIN))
                        for u in OSAKA), t("demo.check.region_only", demo.lang))
    posted = demo.ws.fake.messages(demo.ws.announce_channel)
    demo.expect(len(posted) == 2, t("demo.check.announce_channel", demo.lang))


async def step_join(demo) -> None:
    demo.heading("demo.step.join")
    for user in TOKYO:
        message = demo.dm_with_action(user, ids.SESSION_JOIN)
        await demo.press(user, message, ids.SESSION_JOIN, show=user in (TOKYO[0], TOKYO[-1]))
    async with demo.ws.deps.uow() as uow:
        confirmed = await uow.registrations.count(1, "confirmed")
        waiting = await uow.registrations.count(1, "waitlisted")
    demo.expect((confirmed, waiting) == (10, 1), t("demo.check.capacity", demo.lang, confirmed=confirmed, waiting=waiting))
    await demo.command(TOKYO[2], "leave S1")
    promoted = demo.last_dm(TOKYO[-1])
    demo.expect(promoted is not None and "S1" in str(promoted), t("demo.check.promoted", demo.lang))
    await demo.command(TOKYO[2], "join S1")
    for user in OSAKA:
        message = demo.dm_with_action(user, ids.SESSION_JOIN)
        await demo.press(user, message, ids.SESSION_JOIN, show=False)
    await demo.command(OSAKA[0], "my")


async def step_change(demo) -> None:
    """The bureau changes S1's place and meeting URL: each registrant hears it once, before → after;
    the announcement in the channel is updated in place and shows the seats left."""
    demo.heading("demo.step.change")
    await demo.command(seed.STAFF_TOKYO, 'admin session edit S1 place="東京出入国在留管理局 5階 会議室A" '
                                         "url=https://meet.example.jp/jirei-s1-room-a")
    await demo.advance(timedelta(minutes=1), t("demo.clock.change", demo.lang))
    async with demo.ws.deps.uow() as uow:
        registered = [r.user_id for r in await uow.registrations.for_session(1, "confirmed", "waitlisted")]
    notices = {u: [m for m in demo.dms(u) if "→" in str(m.get("blocks")) and "S1" in str(m.get("text"))]
               for u in registered}
    if notices.get(TOKYO[0]):
        demo.say(demo.render(notices[TOKYO[0]][-1]))
    demo.expect(bool(registered) and all(len(found) == 1 and "会議室A" in str(found[0].get("blocks"))
                                         and "jirei-s1-room-a>" in str(found[0].get("blocks"))
                                         for found in notices.values()),
                t("demo.check.change_notice", demo.lang, count=len(registered)))
    posts = [m for m in demo.ws.fake.messages(demo.ws.announce_channel) if "S1" in str(m.get("blocks"))]
    if posts:
        demo.say(demo.render(posts[0]))
    demo.expect(len(posts) == 1 and "会議室A" in str(posts[0].get("blocks")) and bool(posts[0].get("edited"))
                and t("sessions.card.full", "ja") in str(posts[0].get("blocks")),
                t("demo.check.announcement_updated", demo.lang))


async def step_material(demo) -> None:
    demo.heading("demo.step.material")
    lecturer = seed.LECTURER
    for version, text in ((1, PLANTED), (2, CLEAN)):
        await demo.command(lecturer, "admin material add C1")
        form = demo.ws.fake.current_view(lecturer)
        file_id = demo.ws.fake.add_user_file(lecturer, demo.typed.material_filename, text.encode())
        demo.activities.clear()
        demo.say(f"\n👤 {demo.name(lecturer)}: 📎 {demo.typed.material_filename} (v{version})")
        await demo.ws.driver.submit_view(lecturer, form, {
            ids.MATERIAL_CASE_BLOCK: {ids.MATERIAL_CASE_INPUT: "C1"},
            ids.MATERIAL_KIND_BLOCK: {ids.MATERIAL_KIND_INPUT: "material"},
            ids.MATERIAL_FILE_BLOCK: {ids.MATERIAL_FILE_INPUT: [file_id]},
        })
        await demo.ws.run_due()
        demo.show_for(lecturer)
        async with demo.ws.deps.uow() as uow:
            material = await uow.materials.latest(1, "material")
        if version == 1:
            kinds = {f["kind"] for f in material.findings}
            demo.expect({"residence_card", "phone", "address", "birth_date", "person_name"} <= kinds,
                        t("demo.check.findings", demo.lang))
            demo.expect(not is_releasable(material), t("demo.check.blocked", demo.lang))
            # the found text is shown to the uploader only, never stored
            demo.expect("AB12345678CD" not in str(material.findings), t("demo.check.findings_not_stored", demo.lang))
        else:
            demo.expect(material.version == 2 and is_releasable(material) and not material.findings,
                        t("demo.check.clean", demo.lang))


async def step_deadline(demo) -> None:
    demo.heading("demo.step.deadline")
    await demo.advance_to(DEADLINE_1 + timedelta(minutes=1), t("demo.clock.deadline1", demo.lang))
    confirmed_dm = demo.last_dm(TOKYO[0])
    demo.say(demo.render(confirmed_dm) if confirmed_dm else "")
    async with demo.ws.deps.uow() as uow:
        s1 = await uow.sessions.get(1)
        regs = await uow.registrations.for_session(1, "confirmed")
    groups = sorted({r.group_no for r in regs})
    demo.expect(s1.status == "confirmed" and groups == [1, 2], t("demo.check.groups", demo.lang))
    await demo.advance_to(DEADLINE_2 + timedelta(minutes=1), t("demo.clock.deadline2", demo.lang))
    cancelled_dm = demo.dm_with_action(OSAKA[0], ids.SESSION_JOIN)
    demo.say(demo.render(cancelled_dm) if cancelled_dm else "")
    async with demo.ws.deps.uow() as uow:
        s2 = await uow.sessions.get(2)
        substitute = await uow.sessions.get(3)
    demo.expect(s2.status == "cancelled" and substitute is not None and substitute.kind == "exchange",
                t("demo.check.cancelled", demo.lang))
    offered = [u for u in OSAKA if "S3" in str(demo.dm_with_action(u, ids.SESSION_JOIN))]
    demo.expect(len(offered) == len(OSAKA), t("demo.check.substitute_offered", demo.lang))
    # The substitute is announced like any session: the region's other coordinators are invited too.
    async with demo.ws.deps.uow() as uow:
        invited = {d.recipient for d in await uow.outbox.of_session(substitute.id) if d.kind == DeliveryKind.SESSION_INVITATION}
    beyond = invited - set(OSAKA)
    demo.expect(bool(beyond) and all("S3" in str(demo.dms(u)) for u in beyond),
                t("demo.check.substitute_region", demo.lang, count=len(beyond)))
    await demo.press(OSAKA[0], demo.dm_with_action(OSAKA[0], ids.SESSION_JOIN), ids.SESSION_JOIN)


async def step_release(demo) -> None:
    demo.heading("demo.step.release")
    # Passing the release time also brings the seven-day reminder (15 May − 7 days = 8 May).
    await demo.advance_to(RELEASE_1 + timedelta(minutes=1), t("demo.clock.release", demo.lang))
    receivers = [u for u in TOKYO if demo.dm_with_action(u, ids.MATERIAL_READ)]
    async with demo.ws.deps.uow() as uow:
        confirmed = {r.user_id for r in await uow.registrations.for_session(1, "confirmed")}
    demo.expect(set(receivers) == confirmed, t("demo.check.material_to_confirmed", demo.lang, count=len(receivers)))
    outsiders = [u for u in OSAKA + [TOKYO[2]] if u not in confirmed and demo.dm_with_action(u, ids.MATERIAL_READ)]
    demo.expect(not outsiders, t("demo.check.material_not_outsiders", demo.lang))
    reader = sorted(confirmed)[0]
    await demo.press(reader, demo.dm_with_action(reader, ids.MATERIAL_READ), ids.MATERIAL_READ)
    reply = await demo.command(seed.STAFF_TOKYO, "admin roster S1")
    demo.expect("📖" in str(reply.calls) or "📖" in str(demo.ws.fake.ephemerals(seed.STAFF_TOKYO)[-1:]),
                t("demo.check.roster_read", demo.lang))


async def step_reminders(demo) -> None:
    demo.heading("demo.step.reminders")
    await demo.advance_to(S1_START - timedelta(hours=1, minutes=-1), t("demo.clock.hour_before", demo.lang))
    user = TOKYO[0]
    reminders = [m for m in demo.dms(user) if t("demo.reminder_marker", demo.lang) in str(m.get("text"))]
    demo.expect(len(reminders) >= 3, t("demo.check.reminders", demo.lang, count=len(reminders)))
    if reminders:
        demo.say(demo.render(reminders[-1]))
    osaka_reminders = [m for m in demo.dms(OSAKA[1])
                       if t("demo.reminder_marker", demo.lang) in str(m.get("text")) and "S2" in str(m.get("text"))]
    demo.expect(not osaka_reminders, t("demo.check.no_reminder_cancelled", demo.lang))


async def step_hold(demo) -> None:
    demo.heading("demo.step.hold")
    await demo.advance_to(S1_START + timedelta(minutes=5), t("demo.clock.start", demo.lang))
    async with demo.ws.deps.uow() as uow:
        confirmed = [r.user_id for r in await uow.registrations.for_session(1, "confirmed")]
    present = confirmed[:-1]
    # The facilitator opens the check-in sheet from the groups message and checks the first one in:
    # the sheet is redrawn in place (✅ and 取消 on that row), no new message.
    facilitator = seed.STAFF_TOKYO
    await demo.press(facilitator, demo.dm_with_action(facilitator, ids.SESSION_ROSTER), ids.SESSION_ROSTER, show=False)
    sheet = demo.last_dm(facilitator)
    count = len(demo.dms(facilitator))
    demo.say(f"\n👤 {demo.name(facilitator)}: [{t('sessions.checkin_button', demo.lang)}] {demo.name(present[0])}")
    await demo.ws.driver.click(facilitator, ids.SESSION_CHECKIN, message=sheet, block_id=f"checkin_{present[0]}")
    await demo.ws.run_due()
    redrawn = demo.ws.fake.message(sheet["channel"], sheet["ts"])
    demo.say(demo.render(redrawn))
    row = next((b for b in redrawn.get("blocks") or [] if b.get("block_id") == f"checkin_{present[0]}"), {})
    demo.expect(len(demo.dms(facilitator)) == count and (row.get("accessory") or {}).get("action_id")
                == ids.SESSION_CHECKIN_UNDO, t("demo.check.checkin_sheet", demo.lang))
    # the rest at once by command; the one already checked in is not recorded twice
    await demo.command(facilitator, "admin attend S1 " + " ".join(f"<@{u}>" for u in present))
    await demo.advance_to(S1_START + timedelta(minutes=125), t("demo.clock.after", demo.lang))
    async with demo.ws.deps.uow() as uow:
        s1 = await uow.sessions.get(1)
        no_show = await uow.registrations.count(1, "no_show")
    demo.expect(s1.status == "held" and no_show == 1, t("demo.check.held", demo.lang))


async def step_publish(demo) -> None:
    demo.heading("demo.step.publish")
    await demo.advance(timedelta(minutes=5), t("demo.clock.publish", demo.lang))
    # Only Tokyo has held C1: the plan publishes after every bureau, so nothing is posted yet.
    demo.expect(demo.ws.fake.messages(demo.ws.portal_channel) == [], t("demo.check.publish_waits", demo.lang))
    # The secretariat sees which bureaus are still to hold it; it is published after all of them
    # (step_rest_of_year), not earlier.
    await demo.command(seed.ADMIN, "admin publish C1")
    demo.expect(demo.ws.fake.messages(demo.ws.portal_channel) == [], t("demo.check.publish_standing", demo.lang))


STEPS = [step_help, step_profile, step_plan, step_announce, step_join, step_material, step_deadline, step_release,
         step_reminders, step_hold, step_publish]


async def step_study_groups(demo) -> None:
    """After S1: its groups introduced; matching nudges in office hours; three accept; a proposal; a stop."""
    demo.heading("groups.demo.step")
    fake = demo.ws.fake
    introduced = [c for c in fake.conversations.values() if c.kind == "mpim" and "S1" in str(fake.messages(c.id))]
    if introduced:
        demo.say(demo.render(fake.messages(introduced[0].id)[0]))
    demo.expect(len(introduced) == 2, t("groups.demo.check.introduced", demo.lang, count=len(introduced)))

    await demo.command(seed.ADMIN, "admin nudge")
    due = next_sensible_time(demo.ws.clock.now(), JST)
    await demo.advance_to(due + timedelta(minutes=1), t("groups.demo.clock_nudges", demo.lang))
    nudged = [u for u in TOKYO + OSAKA if demo.dm_with_action(u, ids.NUDGE_ACCEPT)]
    demo.expect(len(nudged) >= 3, t("groups.demo.check.nudged", demo.lang, count=len(nudged)))
    local = demo.ws.clock.now().astimezone(JST)
    demo.expect(local.weekday() < 5 and 10 <= local.hour < 18, t("groups.demo.check.office_hours", demo.lang))
    if not nudged:
        return
    demo.say(demo.render(demo.dm_with_action(nudged[0], ids.NUDGE_ACCEPT)))

    async with demo.ws.deps.uow() as uow:
        forming = await uow.study_groups.with_status("forming")
        group = next((g for g in forming if g.bureau == "tokyo"), forming[0])
        members = [m.user_id for m in await uow.study_groups.members(group.id)]
    for user in members[:3]:
        await demo.press(user, demo.dm_with_action(user, ids.NUDGE_ACCEPT), ids.NUDGE_ACCEPT, show=user == members[2])
    async with demo.ws.deps.uow() as uow:
        group = await uow.study_groups.get(group.id)
    kit = fake.messages(group.channel_id) if group.channel_id else []
    if kit:
        demo.say(demo.render(kit[0]))
    demo.expect(group.status == "active" and "/jirei check" in str(kit), t("groups.demo.check.space", demo.lang))

    proposer = members[0]
    await demo.command(proposer, "propose", show=False)
    start = (demo.ws.clock.now() + timedelta(days=14)).astimezone(JST).replace(hour=14, minute=0, second=0,
                                                                              microsecond=0)
    values = {
        ids.PROPOSE_TITLE_BLOCK: {ids.PROPOSE_TITLE_INPUT: demo.typed.proposal_title},
        ids.PROPOSE_THEME_BLOCK: {ids.PROPOSE_THEME_INPUT: "immigration"},
        ids.PROPOSE_PLACE_BLOCK: {ids.PROPOSE_PLACE_INPUT: demo.typed.proposal_place},
        ids.PROPOSE_START_BLOCK: {ids.PROPOSE_START_INPUT: int(start.timestamp())},
        ids.PROPOSE_CAPACITY_BLOCK: {ids.PROPOSE_CAPACITY_INPUT: "6"},
    }
    await demo.ws.driver.submit_view(proposer, fake.current_view(proposer), values)
    await demo.ws.run_due()
    async with demo.ws.deps.uow() as uow:
        proposed = [s for s in await uow.sessions.all() if s.kind == "self_run"]
    item = proposed[-1] if proposed else None
    posted = fake.messages(group.channel_id)[-1:] if group.channel_id else []
    if posted:
        demo.say(demo.render(posted[0]))
    demo.expect(item is not None and item.study_group_id == group.id and item.code in str(posted),
                t("groups.demo.check.proposed", demo.lang, code=item.code if item else "S?"))

    quitter = next((u for u in nudged if u not in members[:3]), None)
    if quitter is not None:
        await demo.press(quitter, demo.dm_with_action(quitter, ids.NUDGE_ACCEPT), ids.NUDGE_STOP)
        async with demo.ws.deps.uow() as uow:
            person = await uow.coordinators.get(quitter)
        demo.expect(person is not None and not person.nudges_enabled, t("groups.demo.check.stopped", demo.lang))


async def step_poll(demo) -> None:
    """A member of the new study group finds a date with /jirei poll (日程調整): three slots, answers in
    the group's channel, the table updated in place, then closed into a self-run session."""
    demo.heading("polls.demo.step")
    fake = demo.ws.fake
    async with demo.ws.deps.uow() as uow:
        groups = await uow.study_groups.with_status("active")
        group = groups[0] if groups else None
        members = [m.user_id for m in await uow.study_groups.members(group.id, "accepted")] if group else []
    demo.expect(group is not None and group.channel_id is not None and len(members) >= 3,
                t("polls.demo.check.group", demo.lang))
    if group is None or len(members) < 3:
        return
    organiser = members[1]  # members[0] proposed a session already this month
    demo.say(f"\n👤 {demo.name(organiser)}: /jirei poll")
    await demo.ws.driver.command(organiser, "poll", channel_id=group.channel_id)
    day = demo.ws.clock.now().astimezone(JST).replace(hour=14, minute=0, second=0, microsecond=0)
    slots = [day + timedelta(days=d) for d in (10, 11, 12)]
    values = {ids.POLL_TITLE_BLOCK: {ids.POLL_TITLE_INPUT: t("polls.demo.title", demo.lang)},
              ids.POLL_GROUP_BLOCK: {ids.POLL_GROUP_INPUT: group.code}}
    values.update({poll_slot_block(n): {ids.POLL_SLOT_INPUT: int(start.timestamp())}
                   for n, start in enumerate(slots, start=1)})
    await demo.ws.driver.submit_view(organiser, fake.current_view(organiser), values)
    await demo.ws.run_due()
    tables = [m for m in fake.messages(group.channel_id) if ids.POLL_CLOSE in str(m.get("blocks"))]
    demo.expect(len(tables) == 1, t("polls.demo.check.table", demo.lang))
    if not tables:
        return
    async with demo.ws.deps.uow() as uow:
        poll = await uow.date_polls.get(1)
        slot_ids = [s.id for s in await uow.date_polls.slots(poll.id)]
    updates_before = len(fake.calls_to("chat.update"))
    ballots = {user: next((dict(m, channel=fake.dm_channel_id(user)) for m in fake.dm_messages(user)
                           if ids.POLL_DM_ANSWER in str(m.get("blocks"))), None) for user in members}
    demo.expect(all(ballots.values()), t("polls.demo.check.dms", demo.lang, members=len(members)))
    # two answer in the channel's table, the third in the DM: the same answers, one table
    dm = ballots[members[2]]
    for user, choices, action, message in (
            (members[0], ("yes", "no", "yes"), ids.POLL_ANSWER, tables[0]),
            (members[2], ("maybe", "yes", "yes"), ids.POLL_DM_ANSWER if dm else ids.POLL_ANSWER, dm or tables[0]),
            (organiser, ("no", "yes", "yes"), ids.POLL_ANSWER, tables[0])):
        for slot_id, choice in zip(slot_ids, choices):
            await demo.ws.driver.click(user, action, poll_answer_value(poll.id, slot_id, choice),
                                       message=message, block_id=ids.POLL_ANSWER_BLOCK.format(slot=slot_id))
    await demo.advance(timedelta(seconds=30), t("polls.demo.clock", demo.lang))
    table = fake.message(group.channel_id, tables[0]["ts"])
    demo.say(demo.render(table))
    updates = [c for c in fake.calls_to("chat.update")[updates_before:] if c.params.get("channel") == group.channel_id]
    demo.expect(1 <= len(updates) <= 2 and f"<@{members[2]}>" in str(table["blocks"]),
                t("polls.demo.check.updated", demo.lang, answers=9, updates=len(updates)))
    await demo.press(organiser, table, ids.POLL_CLOSE, show=False)
    await demo.ws.driver.submit_view(organiser, fake.current_view(organiser), {
        ids.POLL_CLOSE_SLOT_BLOCK: {ids.POLL_CLOSE_SLOT_INPUT: str(slot_ids[2])},
        ids.POLL_CLOSE_OUTCOME_BLOCK: {ids.POLL_CLOSE_OUTCOME_INPUT: "session"}})
    await demo.ws.run_due()
    async with demo.ws.deps.uow() as uow:
        poll = await uow.date_polls.get(poll.id)
        item = await uow.sessions.get(poll.session_id) if poll.session_id else None
    told = fake.messages(group.channel_id)[-2:]
    for message in told:
        demo.say(demo.render(message))
    demo.expect(item is not None and item.kind == "self_run" and item.starts_at == slots[2]
                and f"/jirei join {item.code}" in str(told),
                t("polls.demo.check.session", demo.lang, code=item.code if item else "S?"))


STEPS.append(step_study_groups)


# --- survey: the planning survey answered in the DMs (issue 6) -------------------------------------

# (need, group size, duration, themes, free text: how and which) for the fourteen coordinators.
SURVEY_ANSWERS = [
    ("needed", "people_5_6", "min_90", ("medical_welfare", "immigration"), ("dm", "opinion_dm")),
    ("needed", "people_3_4", "min_120", ("education", "family_dv"), None),
    ("needed", "people_5_6", "min_120", ("medical_welfare", "education"), ("modal", "opinion_modal")),
    ("needed", "people_5_6", "min_90", ("immigration", "labor"), ("dm", "opinion_venue")),
    ("not_needed", None, None, None, None),
    ("needed", "people_3_4", "min_90", ("medical_welfare", "public_services"), ("modal", "opinion_online")),
    ("needed", "people_5_6", "min_150", ("family_dv",), None),
    ("needed", "people_7_8", "min_120", ("education", "immigration", "labor"), ("dm", "opinion_time")),
    ("needed", "people_5_6", "min_90", ("medical_welfare",), None),
    ("needed", "people_3_4", "min_120", ("public_services", "culture_religion"), None),
    ("not_needed", "people_5_6", "min_90", ("other",), None),
    ("needed", "people_5_6", "min_180", ("immigration", "education"), None),
    ("needed", "people_5_6", "min_120", ("medical_welfare", "family_dv"), None),
    ("needed", "people_3_4", "min_90", ("labor",), None),
]


def _survey_dialog(demo, user: str, code: str) -> dict | None:
    """The newest dialog message of run `code` in the person's DM (it is updated in place)."""
    for message in reversed(demo.dms(user)):
        text = str(message.get("blocks"))
        if f"'{ids.SURVEY_ANSWER_BLOCK}:" in text and f"'{code}|" in text:
            return message
    return None


def _button_label(message: dict, action_id: str) -> str:
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("action_id") == action_id:
                return (element.get("text") or {}).get("text", action_id)
    return action_id


async def _answer_planning(demo, user: str, code: str, answer: tuple, show: bool) -> None:
    """One person through the whole dialog; with `show`, the transcript shows each question."""
    driver, fake = demo.ws.driver, demo.ws.fake

    async def press(message: dict, action_id: str) -> None:
        await driver.press(user, message, action_id)
        if show:
            demo.say(f"\n👤 {demo.name(user)}: [{_button_label(message, action_id)}]")
            current = fake.message(message["channel"], message["ts"])
            demo.say(demo.render(current if current.get("edited") else demo.last_dm(user)))

    invitation = next(m for m in reversed(demo.dms(user)) if ids.SURVEY_START in str(m.get("blocks"))
                      and f"'{code}|" in str(m.get("blocks")))
    if show:
        demo.say(f"\n📩 {demo.name(user)}")
        demo.say(demo.render(invitation))
    await press(invitation, ids.SURVEY_START)
    need, size, minutes, themes, opinion = answer
    for choice in (need, size, minutes):
        message = _survey_dialog(demo, user, code)
        await press(message, f"{ids.SURVEY_CHOOSE}:{choice}" if choice else ids.SURVEY_SKIP)
    message = _survey_dialog(demo, user, code)
    if themes:
        await driver.click(user, ids.SURVEY_MULTI, [survey_value(code, "themes", theme) for theme in themes],
                           message=message)
        if show:
            labels = [o["text"]["text"] for b in message["blocks"] for e in b.get("elements") or []
                      if e.get("action_id") == ids.SURVEY_MULTI for o in e["options"]
                      if o["value"].rsplit("|", 1)[-1] in themes]
            demo.say(f"\n👤 {demo.name(user)}: ☑ {', '.join(labels)}")
        await press(fake.message(message["channel"], message["ts"]), ids.SURVEY_NEXT)
    else:
        await press(message, ids.SURVEY_SKIP)
    message = _survey_dialog(demo, user, code)
    if opinion is None:
        await press(message, ids.SURVEY_SKIP)
        return
    how, key = opinion
    text = demo.typed.free_text or t(f"survey_runs.demo.{key}", demo.lang)
    if how == "dm":
        await driver.send_dm(user, text)
    else:
        await driver.press(user, message, ids.SURVEY_TEXT_OPEN)
        await driver.submit_view(user, fake.current_view(user), {ids.SURVEY_TEXT_BLOCK: {ids.SURVEY_TEXT_INPUT: text}})
    await _take_proposal(demo, user)
    if show:
        demo.say(f"\n👤 {demo.name(user)}: {text}")
        demo.say(demo.render(demo.last_dm(user)))


async def _take_proposal(demo, user: str) -> None:
    """A free-text answer in which the personal-data check found something waits for the person's
    choice (nothing is stored before it): the demo takes the proposed text."""
    last = demo.last_dm(user)
    if last is not None and ids.SURVEY_TEXT_USE_PROPOSAL in str(last.get("blocks")):
        await demo.ws.driver.press(user, last, ids.SURVEY_TEXT_USE_PROPOSAL)


async def step_survey(demo) -> None:
    """The demo coordinators answer the planning survey in their DMs; the report is printed."""
    demo.heading("survey_runs.demo.step")
    await demo.command(seed.ADMIN, "admin survey planning")
    async with demo.ws.deps.uow() as uow:
        run = (await uow.surveys.open_runs("planning"))[-1]
    people = TOKYO + OSAKA
    for index, (user, answer) in enumerate(zip(people, SURVEY_ANSWERS)):
        await _answer_planning(demo, user, run.code, answer, show=index == 0)
    await demo.ws.run_due()
    # Responses are written in batches of five (or at the close): 14 people, two batches written.
    written = len(people) - len(people) % surveys.BATCH_SIZE
    async with demo.ws.deps.uow() as uow:
        invites = {user: await uow.surveys.invite(run.id, user) for user in people}
        answered = [user for user in people if await survey_views.answered(uow, run.id, user)]
        completed = [user for user, invite in invites.items() if invite is not None and invite.completed]
        linked = [user for user in completed if await uow.surveys.progress(run.id, user) is not None]
        _, survey, report = await surveys.export_run(uow, run.code)
    demo.expect(len(answered) == len(people) and len(completed) == written,
                t("survey_runs.demo.check_answered", demo.lang, count=len(people), written=written,
                  waiting=len(people) - written))
    demo.expect(not linked, t("survey_runs.demo.check_progress_gone", demo.lang))
    await demo.command(seed.ADMIN, f"admin report {run.code}")
    demo.say("")
    demo.say(t("survey_runs.demo.report_heading", demo.lang))
    for line in render_text(report, survey, demo.lang).splitlines():
        demo.say("    " + line)
    demo.expect(report.respondents == written, t("survey_runs.demo.check_totals", demo.lang, count=written))
    charts = [f for m in demo.dms(seed.ADMIN) for f in m.get("files") or [] if f.get("name") == f"{run.code}.png"]
    demo.expect(len(charts) == 1, t("survey_runs.demo.check_chart", demo.lang))


STEPS.append(step_survey)


# --- the rest of the year (issue 16): roster, pledge, plan, lottery, publication, reviews ---------------------

# Coordinators the secretariat imports from its roster: one for each bureau the seed does not cover, two
# for Nagoya (where a session draws lots). Nobody has taken the pledge yet.
ROSTER = [
    ("URNAGOYA1", "中村 由美", "愛知県", "public", "教育"),
    ("URNAGOYA2", "林 美玲", "岐阜県", "private", "医療・福祉"),
    ("URSAPPORO", "佐々木 健", "北海道", "public", "医療・福祉"),
    ("URSENDAI1", "高田 恵", "宮城県", "private", "労働"),
    ("URHIROSHI", "松本 翔", "広島県", "public", "入管手続"),
    ("URTAKAMAT", "岡田 咲", "香川県", "private", "教育"),
    ("URFUKUOKA", "Nguyen Thi Lan", "福岡県", "private", "医療・福祉"),
]
NEWCOMER = ROSTER[0][0]

# The rest of C1's year: the six bureaus not yet planned, in June (Nagoya by lottery, one seat).
PLAN = """sessions:
  - {case: C1, bureau: sapporo, start: "2027-06-05 14:00", minutes: 120, capacity: 5, min: 1, deadline: "2027-05-28 17:00"}
  - {case: C1, bureau: sendai, start: "2027-06-06 14:00", minutes: 120, capacity: 5, min: 1, deadline: "2027-05-28 17:00"}
  - {case: C1, bureau: 名古屋, start: "2027-06-12 14:00", minutes: 120, capacity: 1, min: 1, deadline: "2027-05-28 17:00", lottery: true}
  - {case: C1, bureau: hiroshima, start: "2027-06-13 14:00", minutes: 120, capacity: 5, min: 1, deadline: "2027-05-28 17:00"}
  - {case: C1, bureau: takamatsu, start: "2027-06-19 14:00", minutes: 120, capacity: 5, min: 1, deadline: "2027-05-28 17:00"}
  - {case: C1, bureau: fukuoka, start: "2027-06-20 14:00", minutes: 90, capacity: 5, min: 1, deadline: "2027-05-28 17:00"}
"""
PLAN_DEADLINE = START.replace(month=5, day=28, hour=17)
LAST_SESSION_END = START.replace(month=6, day=20, hour=16)


async def step_roster(demo) -> None:
    """The secretariat imports its roster; a newcomer reads the pledge and gives it."""
    demo.heading("demo.step.roster")
    for user, name, *_ in ROSTER:
        demo.ws.fake.add_user(user, demo.typed.name(name))
    lines = ["slack_user_id,name,prefecture,affiliation,themes,lang"]
    lines += [f"{user},{demo.typed.name(name)},{prefecture},{affiliation},{theme},{demo.lang}"
              for user, name, prefecture, affiliation, theme in ROSTER]
    demo.say("\n$ python run_bot.py import-roster roster.csv")
    async with demo.ws.deps.uow() as uow:
        result = await import_roster(uow, demo.ws.clock.now(), parse_roster("\n".join(lines).encode(), "roster.csv"))
    demo.say(f"  {result.summary()}")
    async with demo.ws.deps.uow() as uow:
        people = await uow.coordinators.many([user for user, *_ in ROSTER])
    demo.expect(result.created == len(ROSTER) and {p.bureau for p in people.values()} == {
        "nagoya", "sapporo", "sendai", "hiroshima", "takamatsu", "fukuoka"}, t("demo.check.roster", demo.lang,
                                                                                  count=result.created))
    demo.expect(not any(p.pledge_accepted_at for p in people.values()), t("demo.check.roster_unpledged", demo.lang))
    await demo.ws.driver.open_home(NEWCOMER)
    demo.expect(ids.ACCEPT_PLEDGE in str(demo.ws.fake.home_view(NEWCOMER)), t("demo.check.pledge_asked", demo.lang))
    await demo.command(NEWCOMER, "pledge")
    await demo.press(NEWCOMER, demo.ws.fake.home_view(NEWCOMER), ids.ACCEPT_PLEDGE)
    for user, *_ in ROSTER[1:]:
        await demo.command(user, "pledge accept", show=False)
    async with demo.ws.deps.uow() as uow:
        people = await uow.coordinators.many([user for user, *_ in ROSTER])
    home = demo.ws.fake.home_view(NEWCOMER)
    demo.expect(all(p.pledge_accepted_at for p in people.values()) and ids.ACCEPT_PLEDGE not in str(home),
                t("demo.check.pledge_given", demo.lang))


async def step_session_survey(demo) -> None:
    """S1's attendees answer the post-session survey; the secretariat reads its report by the session's code."""
    demo.heading("demo.step.session_survey")
    async with demo.ws.deps.uow() as uow:
        run = (await uow.surveys.runs_for_session(1, "post_session"))[0]
        attended = [r.user_id for r in await uow.registrations.for_session(1, "attended")]
    survey = load_survey("post_session")
    answering = attended[:5]  # one batch: their responses are written together
    for index, user in enumerate(answering):
        invitation = next(m for m in reversed(demo.dms(user)) if f"'{run.code}|" in str(m.get("blocks"))
                          and ids.SURVEY_START in str(m.get("blocks")))
        if index == 0:
            demo.say(demo.render(invitation))
        await demo.ws.driver.press(user, invitation, ids.SURVEY_START)
        for question in survey.questions:
            message = _survey_dialog(demo, user, run.code)
            if question.kind == "text":
                await demo.ws.driver.send_dm(user, demo.typed.free_text or t("demo.survey_text", demo.lang))
                await _take_proposal(demo, user)
            elif question.kind == "multi":
                await demo.ws.driver.click(user, ids.SURVEY_MULTI,
                                           [survey_value(run.code, question.id, question.options[0].id)],
                                           message=message)
                await demo.ws.driver.press(user, demo.ws.fake.message(message["channel"], message["ts"]),
                                           ids.SURVEY_NEXT)
            elif len(question.options) <= 5:
                await demo.ws.driver.press(user, message, f"{ids.SURVEY_CHOOSE}:{question.options[index % 2].id}")
            else:
                await demo.ws.driver.click(user, ids.SURVEY_CHOOSE,
                                           survey_value(run.code, question.id, question.options[0].id),
                                           message=message)
        await demo.ws.run_due()
    async with demo.ws.deps.uow() as uow:
        completed = [await uow.surveys.invite(run.id, user) for user in answering]
    demo.expect(all(invite is not None and invite.completed for invite in completed),
                t("demo.check.session_survey_answered", demo.lang, count=len(answering)))
    await demo.command(seed.ADMIN, "admin report S1")
    report = str(demo.ws.fake.ephemerals(seed.ADMIN)[-1:])
    demo.expect(t("surveys.report.respondents_line", demo.lang, respondents=len(answering), invited=len(attended))
                in report, t("demo.check.session_report", demo.lang, count=len(answering)))


async def step_rest_of_year(demo) -> None:
    """The plan for the other six bureaus is loaded; a draw in Nagoya; Osaka's substitute held;
    once all eight bureaus have held C1 it is published, the commentary in the announcement's thread."""
    demo.heading("demo.step.rest_of_year")
    await demo.command(seed.LECTURER, f"admin material add C1 url={demo.typed.commentary_url} "
                                      "kind=commentary")
    # A linked file cannot be checked by Jirei: the lecturer says it was checked before it can go out.
    added = next(m for m in reversed(demo.ws.fake.ephemerals(seed.LECTURER)) if ids.MATERIAL_LINK_CHECK_OPEN in str(m))
    await demo.press(seed.LECTURER, added, ids.MATERIAL_LINK_CHECK_OPEN, show=False)
    await demo.ws.driver.submit_view(seed.LECTURER, demo.ws.fake.current_view(seed.LECTURER),
                                     {ids.MATERIAL_LINK_CHECK_BLOCK: {ids.MATERIAL_LINK_CHECK_INPUT: ["checked"]}})
    await demo.ws.run_due()
    demo.show_for(seed.LECTURER)
    demo.say("\n$ python run_bot.py load-plan plan.yaml")
    async with demo.ws.deps.uow() as uow:
        result = await load_plan(uow, demo.ws.clock.now(), parse_plan(PLAN.encode(), "plan.yaml", JST))
    demo.say(f"  {result.summary()}")
    demo.expect(result.sessions_new == 6, t("demo.check.plan_loaded", demo.lang, count=result.sessions_new))
    async with demo.ws.deps.uow() as uow:
        planned = {s.bureau: s.code for s in await uow.sessions.all() if s.code in result.created}
    for index, code in enumerate(planned.values()):
        await demo.command(seed.ADMIN, f"admin announce {code}", show=index == 0)
    for user, _, prefecture, *_ in ROSTER:
        code = planned[bureau_for_prefecture(prefecture).code]
        message = demo.dm_with_action(user, ids.SESSION_JOIN)
        if message is not None and code in str(message):
            await demo.press(user, message, ids.SESSION_JOIN, show=user == NEWCOMER)
        else:
            await demo.command(user, f"join {code}", show=False)
    # A second Osaka participant joins the substitute exchange meeting, so that it can go ahead.
    await demo.command(OSAKA[1], "join S3")

    await demo.advance_to(PLAN_DEADLINE + timedelta(minutes=1), t("demo.clock.plan_deadline", demo.lang))
    async with demo.ws.deps.uow() as uow:
        nagoya = await uow.sessions.by_code(planned["nagoya"])
        drawn = {r.user_id: r.status for r in await uow.registrations.for_session(nagoya.id)}
        substitute = await uow.sessions.get(3)
        decided = [await uow.sessions.by_code(code) for code in planned.values()]
    demo.expect(sorted(drawn.values()) == ["confirmed", "waitlisted"], t("demo.check.lottery", demo.lang))
    loser = next((user for user, status in drawn.items() if status == "waitlisted"), None)
    if loser is not None:
        demo.say(demo.render(demo.last_dm(loser)))
    demo.expect(substitute.status == "confirmed" and all(s.status == "confirmed" for s in decided),
                t("demo.check.rest_confirmed", demo.lang))

    await demo.advance_to(LAST_SESSION_END + timedelta(minutes=30), t("demo.clock.year_end", demo.lang))
    async with demo.ws.deps.uow() as uow:
        substitute = await uow.sessions.get(3)
        held = [await uow.sessions.by_code(code) for code in planned.values()]
        case = await uow.cases.by_code("C1")
    demo.expect(substitute.status in ("held", "closed") and all(s.status in ("held", "closed") for s in held),
                t("demo.check.all_held", demo.lang))
    posts = demo.ws.fake.messages(demo.ws.portal_channel)
    announcement = posts[0] if posts else {}
    in_thread = [p for p in posts[1:] if p.get("thread_ts") == announcement.get("ts")]
    for post in [announcement, *in_thread[:1]] if posts else []:
        demo.say(demo.render(post))
    demo.expect(case.published_at is not None and "C1" in str(announcement),
                t("demo.check.published_after_all", demo.lang))
    demo.expect(bool(in_thread), t("demo.check.commentary_follows", demo.lang))


async def step_library(demo) -> None:
    """A coordinator finds the published case in the library by its theme and year, and opens it."""
    demo.heading("demo.step.library")
    await demo.advance(timedelta(minutes=2), t("demo.clock.library", demo.lang))  # the library job indexes it
    user = TOKYO[0]
    await demo.command(user, "cases theme=医療・福祉 year=令和9")
    answer = demo.ws.fake.ephemerals(user)[-1]
    found = [block["accessory"]["value"] for block in answer.get("blocks", [])
             if (block.get("accessory") or {}).get("action_id") == ids.LIBRARY_OPEN]
    demo.expect(found[:1] == ["C1"] and t("library.year", demo.lang, year=2027, reiwa=9) in str(answer),
                t("demo.check.library_found", demo.lang))
    await demo.press(user, answer, ids.LIBRARY_OPEN)
    await demo.ws.run_due()
    opened = [m for m in demo.dms(user) if "C1" in str(m.get("text"))
              and t("library.dm.text_material", demo.lang, code="C1") in str(m.get("text"))]
    for message in opened[-1:]:
        demo.say(demo.render(message))
    demo.expect(bool(opened), t("demo.check.library_opened", demo.lang))


async def step_home_tabs(demo) -> None:
    """The Home tab as each role sees it."""
    demo.heading("demo.step.home_tabs")
    lang = demo.lang
    expected = [
        (seed.ADMIN, t("home_tab.admin.bureaus_heading", lang)),
        (seed.STAFF_TOKYO, t("home_tab.staff.heading", lang, bureaus=bureau_label("tokyo", lang))),
        (seed.LECTURER, t("home_tab.lecturer.heading", lang)),
        (TOKYO[0], t("home_tab.coordinator.heading", lang)),
    ]
    for user, heading in expected:
        demo.activities.clear()
        demo.say(f"\n👤 {demo.name(user)}: 🏠")
        await demo.ws.driver.open_home(user)
        await demo.ws.run_due()
        home = demo.ws.fake.home_view(user)
        if user in (seed.ADMIN, TOKYO[0]):
            demo.say(render_view_text(demo, home))
        demo.expect(home is not None and heading in str(home),
                    t("demo.check.home_tab", lang, name=demo.name(user), heading=heading.strip("*")))
    staff_home = str(demo.ws.fake.home_view(seed.STAFF_TOKYO))
    demo.expect(ids.ACCEPT_PLEDGE not in staff_home, t("demo.check.staff_no_pledge", lang))


def render_view_text(demo, view: dict | None) -> str:
    text = render_view(view, lang=demo.lang).text if view else ""
    return "\n".join("    │ " + line for line in text.splitlines()[:40])


async def step_year_review(demo) -> None:
    """The secretariat's yearly review: the tables, and the workbook and chart in its DM."""
    demo.heading("demo.step.year_review")
    await demo.command(seed.ADMIN, "admin report year")
    review = str(demo.ws.fake.ephemerals(seed.ADMIN)[-1:])
    demo.expect(t("home_tab.review.title", demo.lang, year=2027) in review, t("demo.check.review", demo.lang))
    files = [f.get("name") for m in demo.dms(seed.ADMIN) for f in m.get("files") or []]
    demo.expect("jirei-review-FY2027.xlsx" in files and "jirei-review-FY2027.png" in files,
                t("demo.check.review_files", demo.lang))


async def step_cancel(demo) -> None:
    """A session planned for July is cancelled with a reason: its registrants, the secretariat, the
    bureau's staff and the lecturer are told."""
    demo.heading("demo.step.cancel")
    typed = demo.typed
    await demo.command(seed.ADMIN, f'admin case new title="{typed.case_title}" theme=教育 lecturer=<@{seed.LECTURER}>')
    async with demo.ws.deps.uow() as uow:
        case = (await uow.cases.all())[-1]
    await demo.command(seed.ADMIN, f"admin session new case={case.code} bureau=東京 start=2027-07-10T14:00 "
                                   "minutes=90 capacity=10 min=2 deadline=2027-07-01T17:00 release=2027-07-05T09:00 "
                                   f'facilitator=<@{seed.STAFF_TOKYO}> url={typed.meeting_url} place="{typed.place}"',
                       show=False)
    async with demo.ws.deps.uow() as uow:
        item = (await uow.sessions.all())[-1]
    await demo.command(seed.ADMIN, f"admin announce {item.code}", show=False)
    await demo.command(TOKYO[0], f"join {item.code}", show=False)
    reason = typed.cancel_reason or t("demo.cancel_reason", demo.lang)
    await demo.command(seed.ADMIN, f"admin session cancel {item.code} {reason}")
    told = demo.last_dm(TOKYO[0])  # the registrant's notice, which carries the reason
    if told:
        demo.say(demo.render(told))
    async with demo.ws.deps.uow() as uow:
        item = await uow.sessions.get(item.id)
    staff_told = any(item.code in str(m) for m in demo.dms(seed.STAFF_TOKYO)[-3:])
    shown = "\n".join((block.get("text") or {}).get("text", "") for block in (told or {}).get("blocks") or [])
    demo.expect(item.status == "cancelled" and item.code in shown and escape(reason) in shown and staff_told,
                t("demo.check.cancel_told", demo.lang, code=item.code))
    # With its only session called off, that case can no longer be held at every bureau: the
    # secretariat hears it within the hour, with what they can do.
    await demo.advance(timedelta(hours=2), t("demo.clock.incomplete", demo.lang))
    report = next((m for m in reversed(demo.dms(seed.ADMIN)) if case.code in str(m) and ids.PUBLISH_EARLY in str(m)),
                  None)
    if report:
        demo.say(demo.render(report))
    demo.expect(report is not None,
                t("demo.check.case_incomplete", demo.lang, code=case.code))


async def step_case_request(demo) -> None:
    """The secretariat asks the lecturer for a case in a field (事例作成の依頼); the lecturer accepts and
    the case exists; a week before the due date they are reminded; the material they send waits for
    the secretariat's approval (four eyes) before it can be released."""
    demo.heading("demo.step.case_request")
    lang, typed = demo.lang, demo.typed
    due = (demo.ws.clock.now().astimezone(JST) + timedelta(days=14)).date()
    await demo.command(seed.ADMIN, "admin request", show=False)
    form = demo.ws.fake.current_view(seed.ADMIN)
    typed_values = {"theme": "education", "title": typed.case_title, "lecturer": seed.LECTURER,
                    "due": due.isoformat(), "note": typed.request_note or t("demo.request_note", lang)}
    demo.say(f"\n👤 {demo.name(seed.ADMIN)}: [{t('requests.modal.submit', lang)}]")
    await demo.ws.driver.submit_view(seed.ADMIN, form, {
        ids.REQUEST_FIELD_BLOCKS[name][0]: {ids.REQUEST_FIELD_BLOCKS[name][1]: value}
        for name, value in typed_values.items()})
    await demo.ws.run_due()
    asked = demo.dm_with_action(seed.LECTURER, ids.REQUEST_ACCEPT)
    if asked:
        demo.say(demo.render(asked))
    demo.expect(asked is not None and due_text(due, lang, JST) in str(asked),
                t("demo.check.request_asked", lang))
    await demo.press(seed.LECTURER, asked or {}, ids.REQUEST_ACCEPT)
    async with demo.ws.deps.uow() as uow:
        request = (await uow.case_requests.all())[-1]
        case = await uow.cases.get(request.case_id) if request.case_id else None
    told = [m for m in demo.dms(seed.ADMIN) if request.code in str(m) and (case and case.code in str(m))]
    demo.expect(case is not None and case.lecturer_user_id == seed.LECTURER and bool(told),
                t("demo.check.request_accepted", lang, code=case.code if case else "—"))

    await demo.advance(timedelta(days=7, hours=3), t("demo.clock.request_week", lang))
    reminders = [m for m in demo.dms(seed.LECTURER)
                 if request.code in str(m) and ids.MATERIAL_UPLOAD_OPEN in str(m)]
    if reminders:
        demo.say(demo.render(reminders[-1]))
    sent_at = datetime.fromtimestamp(float(reminders[-1]["ts"]), JST) if reminders else None
    demo.expect(len(reminders) == 1 and sent_at is not None and sent_at.weekday() < 5 and 10 <= sent_at.hour < 18,
                t("demo.check.request_reminded", lang))

    await demo.command(seed.LECTURER, f"admin material add {case.code if case else 'C1'}", show=False)
    upload = demo.ws.fake.current_view(seed.LECTURER)
    file_id = demo.ws.fake.add_user_file(seed.LECTURER, "case.txt", CLEAN.encode())
    await demo.ws.driver.submit_view(seed.LECTURER, upload, {
        ids.MATERIAL_CASE_BLOCK: {ids.MATERIAL_CASE_INPUT: case.code if case else "C1"},
        ids.MATERIAL_KIND_BLOCK: {ids.MATERIAL_KIND_INPUT: "material"},
        ids.MATERIAL_FILE_BLOCK: {ids.MATERIAL_FILE_INPUT: [file_id]}})
    await demo.ws.run_due()
    review = demo.dm_with_action(seed.ADMIN, ids.REQUEST_APPROVE)
    if review:
        demo.say(demo.render(review))
    async with demo.ws.deps.uow() as uow:
        held_back = case is not None and await releasable_material(uow, case.id) is None
    demo.expect(review is not None and held_back, t("demo.check.request_gate", lang))
    await demo.press(seed.ADMIN, review or {}, ids.REQUEST_APPROVE)
    async with demo.ws.deps.uow() as uow:
        request = await uow.case_requests.by_code(request.code)
        released = case is not None and await releasable_material(uow, case.id) is not None
    demo.expect(request.status == "approved" and released, t("demo.check.request_approved", lang))
    await demo.ws.driver.open_home(seed.ADMIN)
    home = str(demo.ws.fake.home_view(seed.ADMIN))
    demo.expect(t("requests.state.approved", lang) in home and request.code in home,
                t("demo.check.request_home", lang))


async def step_forget_me(demo) -> None:
    """A coordinator asks Jirei to forget them."""
    demo.heading("demo.step.forget_me")
    user = ROSTER[-1][0]
    async with demo.ws.deps.uow() as uow:
        held = [await uow.sessions.get(r.session_id) for r in await uow.registrations.of_user(user)]
    await demo.command(user, "forget-me")
    await demo.command(user, "forget-me confirm")
    async with demo.ws.deps.uow() as uow:
        person = await uow.coordinators.get(user)
        registrations = await uow.registrations.of_user(user)
    demo.expect(person is None and all(r.user_id != user or r.status in ("attended", "no_show")
                                       for r in registrations), t("demo.check.forgotten", demo.lang))
    # The secretariat records them as attending from an old list: nothing is made under their id again.
    held = [s for s in held if s is not None and s.status == "held"]
    if held:
        await demo.command(seed.ADMIN, f"admin attend {held[0].code} <@{user}>")
        async with demo.ws.deps.uow() as uow:
            again = await uow.registrations.of_user(user)
        demo.expect(not again, t("demo.check.forgotten_not_recorded", demo.lang))


STEPS[:] = [step_help, step_roster, step_profile, step_plan, step_announce, step_join, step_change, step_material,
            step_deadline,
            step_release, step_reminders, step_hold, step_publish, step_study_groups, step_poll, step_survey,
            step_session_survey, step_rest_of_year, step_library, step_home_tabs, step_year_review, step_cancel, step_case_request,
            step_forget_me]
