"""Date polls (日程調整, issue 25) through the real AsyncApp and the fake Slack: the form (valid and
invalid), ○ △ × answers and changes in the group's channel and in each member's DM (one answer
wherever given), the table updated in place (coalesced), old selects after the close,
the organiser's decision into a self-run session or a plain reminder, nobody else deciding, one
nudge in office hours, in Japanese and English."""

from datetime import datetime, timedelta

from bot import ids
from bot.people import service as people
from bot.polls.blocks import answer_value, slot_block
from storage.models import DatePoll, StudyGroup
from tests.handlers.conftest import JST, texts
from tests.handlers.test_study_groups_dispatch import form_group


def poll_values(group_code: str, slots: list[datetime], *, title="5月の勉強会", note="") -> dict:
    values = {ids.POLL_TITLE_BLOCK: {ids.POLL_TITLE_INPUT: title},
              ids.POLL_GROUP_BLOCK: {ids.POLL_GROUP_INPUT: group_code},
              ids.POLL_NOTE_BLOCK: {ids.POLL_NOTE_INPUT: note}}
    for n, start in enumerate(slots, start=1):
        values[slot_block(n)] = {ids.POLL_SLOT_INPUT: int(start.timestamp())}
    return values


SLOTS = [datetime(2027, 4, 20, 14, 0, tzinfo=JST), datetime(2027, 4, 22, 19, 0, tzinfo=JST),
         datetime(2027, 4, 24, 10, 0, tzinfo=JST)]


async def open_form(ws, user: str, channel_id: str | None = None) -> dict:
    await ws.driver.command(user, "poll", channel_id=channel_id)
    view = ws.fake.current_view(user)
    assert view is not None and view["callback_id"] == ids.POLL_VIEW
    return view


def table_message(ws, channel_id: str) -> dict:
    return next(m for m in reversed(ws.fake.messages(channel_id)) if ids.POLL_ANSWER in str(m.get("blocks"))
                or "poll_answer_" in str(m.get("blocks")))


async def start_poll(ws, group, organiser: str, slots=SLOTS) -> DatePoll:
    view = await open_form(ws, organiser, group.channel_id)
    reply = await ws.driver.submit_view(organiser, view, poll_values(group.code, slots))
    assert not (reply.ack or {}).get("response_action")
    await ws.run_due()
    async with ws.deps.uow() as uow:
        return await uow.date_polls.get(1)


async def choose(ws, user: str, channel_id: str, poll: DatePoll, slot_id: int, choice: str):
    message = table_message(ws, channel_id)
    return await ws.driver.click(user, ids.POLL_ANSWER, answer_value(poll.id, slot_id, choice), message=message,
                                 block_id=ids.POLL_ANSWER_BLOCK.format(slot=slot_id))


def ballot(ws, user: str) -> dict:
    """The member's DM with the poll's selects (as Slack shows it now), ready to be pressed on."""
    found = [m for m in ws.fake.dm_messages(user) if "poll_answer_" in str(m.get("blocks"))]
    assert len(found) == 1, f"{user} has {len(found)} date-poll DMs"
    return dict(found[0], channel=ws.fake.dm_channel_id(user))


async def choose_in_dm(ws, user: str, poll: DatePoll, slot_id: int, choice: str, message: dict | None = None):
    return await ws.driver.click(user, ids.POLL_DM_ANSWER, answer_value(poll.id, slot_id, choice),
                                 message=message or ballot(ws, user), block_id=ids.POLL_ANSWER_BLOCK.format(slot=slot_id))


def dm_select(message: dict, slot_id: int) -> dict:
    block = next(b for b in message["blocks"] if b.get("block_id") == ids.POLL_ANSWER_BLOCK.format(slot=slot_id))
    return block.get("accessory") or {}


async def choose_english(ws, *users: str) -> None:
    async with ws.deps.uow() as uow:
        for user in users:
            await people.update_profile(uow, ws.clock.now(), user, people.ProfileChange({"lang": "en"}))


async def slot_ids(ws, poll: DatePoll) -> list[int]:
    async with ws.deps.uow() as uow:
        return [s.id for s in await uow.date_polls.slots(poll.id)]


async def test_the_form_refuses_too_few_past_and_duplicate_slots_on_the_field(ws):
    group, members = await form_group(ws)
    organiser = members[0]
    view = await open_form(ws, organiser, group.channel_id)
    # the group whose channel the command was typed in is preselected
    group_select = next(b for b in view["blocks"] if b.get("block_id") == ids.POLL_GROUP_BLOCK)["element"]
    assert group_select["initial_option"]["value"] == group.code
    reply = await ws.driver.submit_view(organiser, view, poll_values(group.code, SLOTS[:1]))
    assert reply.ack["response_action"] == "errors" and slot_block(2) in reply.ack["errors"]
    assert "2 件以上" in reply.ack["errors"][slot_block(2)]
    reply = await ws.driver.submit_view(organiser, view, poll_values(group.code, [ws.clock.now() - timedelta(hours=1),
                                                                                 SLOTS[1]]))
    assert slot_block(1) in reply.ack["errors"] and "過ぎて" in reply.ack["errors"][slot_block(1)]
    reply = await ws.driver.submit_view(organiser, view, poll_values(group.code, [SLOTS[0], SLOTS[1], SLOTS[0]]))
    assert slot_block(3) in reply.ack["errors"] and "同じ日時" in reply.ack["errors"][slot_block(3)]
    reply = await ws.driver.submit_view(organiser, view, poll_values(group.code, SLOTS, title="x" * 25))
    assert ids.POLL_TITLE_BLOCK in reply.ack["errors"]
    # the modal stays open with what was typed; nothing was created
    assert ws.fake.current_view(organiser)["id"] == view["id"]
    async with ws.deps.uow() as uow:
        assert await uow.date_polls.get(1) is None


async def test_someone_outside_any_group_is_told_how_to_get_one(ws):
    from bot.local import seed
    user = seed.COORDINATORS[0][0]
    await ws.driver.command(user, "poll")
    assert ws.fake.current_view(user) is None
    assert "グループ" in texts(ws.fake.ephemerals(user)[-1:])


async def test_answers_and_changes_update_the_table_in_place_coalesced(ws):
    group, members = await form_group(ws)
    organiser, second, third = members[:3]
    poll = await start_poll(ws, group, organiser)
    table = table_message(ws, group.channel_id)
    assert "5月の勉強会" in texts([table]) and "未回答 3 人" in texts([table])
    first, later, last = await slot_ids(ws, poll)
    ws.fake.reset_calls()
    await choose(ws, organiser, group.channel_id, poll, first, "yes")
    await choose(ws, second, group.channel_id, poll, first, "no")
    await choose(ws, second, group.channel_id, poll, later, "yes")
    await choose(ws, third, group.channel_id, poll, later, "maybe")
    await choose(ws, second, group.channel_id, poll, first, "yes")  # a change: × → ○
    await ws.advance(timedelta(seconds=30))
    updates = [c for c in ws.fake.calls_to("chat.update") if c.params.get("channel") == group.channel_id]
    # five answers within one window: one update (plus at most one for a window boundary crossed)
    assert 1 <= len(updates) <= 2
    assert not ws.fake.calls_to("chat.postMessage") or all(
        c.params.get("channel") != group.channel_id for c in ws.fake.calls_to("chat.postMessage"))
    table = table_message(ws, group.channel_id)
    assert table["ts"] == updates[-1].params["ts"]
    first_slot = next(b for b in table["blocks"] if b.get("block_id") == ids.POLL_ANSWER_BLOCK.format(slot=first))
    text = first_slot["text"]["text"]
    assert "○ 2" in text and "× 0" in text and f"<@{organiser}>" in text and f"<@{second}>" in text
    assert "⭐" in text  # the best slot: two ○
    later_slot = next(b for b in table["blocks"] if b.get("block_id") == ids.POLL_ANSWER_BLOCK.format(slot=later))
    assert "○ 1" in later_slot["text"]["text"] and "△ 1" in later_slot["text"]["text"]
    assert "未回答 0 人" in texts([table])
    async with ws.deps.uow() as uow:
        answers = await uow.date_polls.answers(poll.id)
    assert len(answers) == 4  # the change replaced the answer


async def test_only_members_answer_and_only_the_organiser_decides(ws):
    group, members = await form_group(ws)
    organiser, second = members[:2]
    outsider = next(f"UOSA{i:03d}" for i in range(10) if f"UOSA{i:03d}" not in members[:3])  # not a member
    poll = await start_poll(ws, group, organiser)
    first = (await slot_ids(ws, poll))[0]
    await choose(ws, outsider, group.channel_id, poll, first, "yes")
    assert "メンバーだけ" in texts(ws.fake.ephemerals(outsider)[-1:])
    table = table_message(ws, group.channel_id)
    await ws.driver.press(second, table, ids.POLL_CLOSE)
    assert ws.fake.current_view(second) is None
    assert "呼びかけた人だけ" in texts(ws.fake.ephemerals(second)[-1:])
    async with ws.deps.uow() as uow:
        assert (await uow.date_polls.get(poll.id)).status == "open"


async def close(ws, organiser: str, group, outcome: str, slot_id: int):
    table = table_message(ws, group.channel_id)
    await ws.driver.press(organiser, table, ids.POLL_CLOSE)
    view = ws.fake.current_view(organiser)
    assert view["callback_id"] == ids.POLL_CLOSE_VIEW
    await ws.driver.submit_view(organiser, view, {
        ids.POLL_CLOSE_SLOT_BLOCK: {ids.POLL_CLOSE_SLOT_INPUT: str(slot_id)},
        ids.POLL_CLOSE_OUTCOME_BLOCK: {ids.POLL_CLOSE_OUTCOME_INPUT: outcome}})
    await ws.run_due()


async def test_closing_turns_the_chosen_slot_into_a_self_run_session(ws):
    group, members = await form_group(ws)
    organiser, second, third = members[:3]
    poll = await start_poll(ws, group, organiser)
    first, later, _ = await slot_ids(ws, poll)
    await choose(ws, second, group.channel_id, poll, later, "yes")
    await choose(ws, third, group.channel_id, poll, later, "maybe")
    await ws.advance(timedelta(seconds=30))
    stale = table_message(ws, group.channel_id)  # as a client that has not refreshed still shows it
    await close(ws, organiser, group, "session", later)
    async with ws.deps.uow() as uow:
        closed = await uow.date_polls.get(poll.id)
        item = await uow.sessions.get(closed.session_id)
    assert (closed.status, closed.outcome, closed.chosen_slot_id) == ("closed", "session", later)
    assert (item.kind, item.facilitator_user_id, item.study_group_id) == ("self_run", organiser, group.id)
    assert item.starts_at == SLOTS[1] and item.title == "5月の勉強会"
    channel = texts(ws.fake.messages(group.channel_id))
    assert "決まりました" in channel or "に決まりました" in channel
    assert f"/jirei join {item.code}" in channel and f"<@{second}>" in channel
    table = table_message(ws, group.channel_id)
    assert "締め切られました" in texts([table]) and ids.POLL_CLOSE not in str(table["blocks"])
    # answering after the close (from the table as it was) is refused
    await ws.driver.click(second, ids.POLL_ANSWER, answer_value(poll.id, first, "yes"), message=stale,
                          block_id=ids.POLL_ANSWER_BLOCK.format(slot=first))
    assert "締め切られて" in texts(ws.fake.ephemerals(second)[-1:])
    # the self-run machinery: members join, the reminders come before the start
    await ws.driver.command(second, f"join {item.code}")
    await ws.driver.command(third, f"join {item.code}")
    await ws.advance(SLOTS[1] - timedelta(minutes=30) - ws.clock.now())
    reminders = [m for m in ws.fake.dm_messages(second) if "リマインダー" in texts([m]) and item.code in texts([m])]
    assert reminders


async def test_closing_into_a_plain_reminder_posts_it_before_the_slot(ws):
    group, members = await form_group(ws)
    organiser = members[0]
    poll = await start_poll(ws, group, organiser)
    first = (await slot_ids(ws, poll))[0]
    await close(ws, organiser, group, "reminder", first)
    async with ws.deps.uow() as uow:
        closed = await uow.date_polls.get(poll.id)
        assert await uow.sessions.all() == []
    assert (closed.status, closed.outcome) == ("closed", "reminder")
    assert "前日と1時間前" in texts(ws.fake.messages(group.channel_id))
    await ws.advance(SLOTS[0] - timedelta(minutes=30) - ws.clock.now())
    reminders = [m for m in ws.fake.messages(group.channel_id) if "⏰" in texts([m])]
    assert len(reminders) == 2


async def test_members_who_have_not_answered_get_one_nudge_in_office_hours(ws):
    group, members = await form_group(ws)
    organiser, second, third = members[:3]
    poll = await start_poll(ws, group, organiser)
    first = (await slot_ids(ws, poll))[0]
    await choose(ws, second, group.channel_id, poll, first, "yes")
    # a day later is Friday 10:xx: within office hours
    await ws.advance(timedelta(days=1, hours=1))
    nudges = [m for m in ws.fake.dm_messages(third) if "回答を待っています" in texts([m])]
    assert len(nudges) == 1 and group.channel_id in texts(nudges)
    assert not [m for m in ws.fake.dm_messages(second) if "回答を待っています" in texts([m])]
    assert not [m for m in ws.fake.dm_messages(organiser) if "回答を待っています" in texts([m])]
    await ws.advance(timedelta(days=3))
    assert len([m for m in ws.fake.dm_messages(third) if "回答を待っています" in texts([m])]) == 1


async def test_a_nudge_waits_for_office_hours(ws):
    group, members = await form_group(ws)
    organiser, second = members[:2]
    # created on Friday at 20:00: the nudge waits past the weekend to Monday 10:00
    await ws.advance(datetime(2027, 4, 2, 20, 0, tzinfo=JST) - ws.clock.now())
    await start_poll(ws, group, organiser)
    await ws.advance(datetime(2027, 4, 5, 9, 59, tzinfo=JST) - ws.clock.now())
    assert not [m for m in ws.fake.dm_messages(second) if "回答を待っています" in texts([m])]
    await ws.advance(timedelta(minutes=2))
    assert len([m for m in ws.fake.dm_messages(second) if "回答を待っています" in texts([m])]) == 1


async def test_in_english_for_a_group_that_chose_english(ws):
    group, members = await form_group(ws)
    await choose_english(ws, *members)
    organiser, second = members[:2]
    view = await open_form(ws, organiser, group.channel_id)
    assert view["title"]["text"] == "Date poll"
    reply = await ws.driver.submit_view(organiser, view, poll_values(group.code, SLOTS[:1]))
    assert "at least 2" in reply.ack["errors"][slot_block(2)]
    poll = await start_poll(ws, group, organiser)
    table = table_message(ws, group.channel_id)
    assert "Date poll" in texts([table]) and "I can come" in str(table["blocks"])
    first = (await slot_ids(ws, poll))[0]
    await choose(ws, second, group.channel_id, poll, first, "yes")
    await close(ws, organiser, group, "reminder", first)
    assert "will be on" in texts(ws.fake.messages(group.channel_id))
    assert "posted in" in texts(ws.fake.dm_messages(organiser))


async def test_each_member_answers_in_a_dm_and_it_is_the_same_answer_as_in_the_channel(ws):
    group, members = await form_group(ws)
    organiser, second, third = members[:3]
    poll = await start_poll(ws, group, organiser)
    first, later, last = await slot_ids(ws, poll)
    for user in (organiser, second, third):  # every member, the organiser too, gets the selects by DM
        dm = ballot(ws, user)
        assert "5月の勉強会" in texts([dm]) and group.channel_id in texts([dm])
        assert [dm_select(dm, s)["action_id"] for s in (first, later, last)] == [ids.POLL_DM_ANSWER] * 3
        assert "initial_option" not in dm_select(dm, first)
    sent = ballot(ws, second)
    await choose_in_dm(ws, second, poll, first, "yes")
    await choose_in_dm(ws, third, poll, later, "maybe")
    await ws.advance(timedelta(seconds=30))
    table = table_message(ws, group.channel_id)
    first_slot = next(b for b in table["blocks"] if b.get("block_id") == ids.POLL_ANSWER_BLOCK.format(slot=first))
    assert "○ 1" in first_slot["text"]["text"] and f"<@{second}>" in first_slot["text"]["text"]
    later_slot = next(b for b in table["blocks"] if b.get("block_id") == ids.POLL_ANSWER_BLOCK.format(slot=later))
    assert "△ 1" in later_slot["text"]["text"] and f"<@{third}>" in later_slot["text"]["text"]
    # the same person changes that answer in the channel: one answer, the latest, in the table and the DM
    ws.fake.reset_calls()
    await choose(ws, second, group.channel_id, poll, first, "no")
    await ws.advance(timedelta(seconds=30))
    async with ws.deps.uow() as uow:
        answers = [(a.user_id, a.slot_id, a.answer) for a in await uow.date_polls.answers(poll.id)]
    assert sorted(answers) == sorted([(second, first, "no"), (third, later, "maybe")])
    table = table_message(ws, group.channel_id)
    first_slot = next(b for b in table["blocks"] if b.get("block_id") == ids.POLL_ANSWER_BLOCK.format(slot=first))
    assert "○ 0" in first_slot["text"]["text"] and "× 1" in first_slot["text"]["text"]
    dm = ballot(ws, second)
    assert dm["ts"] == sent["ts"]  # updated in place, not posted again
    assert dm_select(dm, first)["initial_option"]["value"] == answer_value(poll.id, first, "no")
    assert "initial_option" not in dm_select(dm, later)
    # one update of the table and one of the DM of the person who answered in the channel; nobody else's DM
    updates = ws.fake.calls_to("chat.update")
    assert {c.params["channel"] for c in updates} == {group.channel_id, ws.fake.dm_channel_id(second)}
    assert not ws.fake.calls_to("chat.postMessage")
    # and back in the DM: × → △, the table follows
    await choose_in_dm(ws, second, poll, first, "maybe", message=dm)
    await ws.advance(timedelta(seconds=30))
    table = table_message(ws, group.channel_id)
    first_slot = next(b for b in table["blocks"] if b.get("block_id") == ids.POLL_ANSWER_BLOCK.format(slot=first))
    assert "△ 1" in first_slot["text"]["text"] and "× 0" in first_slot["text"]["text"]
    assert ws.fake.violations == []


async def test_after_the_close_a_select_in_the_dm_or_the_channel_says_the_poll_is_closed(ws):
    group, members = await form_group(ws)
    organiser, second = members[:2]
    poll = await start_poll(ws, group, organiser)
    first, later, _ = await slot_ids(ws, poll)
    stale_dm, stale_table = ballot(ws, second), table_message(ws, group.channel_id)
    await choose_in_dm(ws, second, poll, later, "yes")
    await close(ws, organiser, group, "reminder", later)
    # each DM now shows the poll closed, the chosen slot marked and no select left
    dm = ballot(ws, second)
    assert dm["ts"] == stale_dm["ts"] and ids.POLL_DM_ANSWER not in str(dm["blocks"])
    assert "締め切られました" in texts([dm]) and "✅" in texts([dm])
    # the selects as a client that has not refreshed still shows them, in the DM and in the channel
    for action, message in ((ids.POLL_DM_ANSWER, stale_dm), (ids.POLL_ANSWER, stale_table)):
        told = len(ws.fake.ephemerals(second))
        reply = await ws.driver.click(second, action, answer_value(poll.id, first, "yes"), message=message,
                                      block_id=ids.POLL_ANSWER_BLOCK.format(slot=first))
        assert reply.status == 200
        assert len(ws.fake.ephemerals(second)) == told + 1
        assert "締め切られて" in texts(ws.fake.ephemerals(second)[-1:])
    async with ws.deps.uow() as uow:
        assert [(a.slot_id, a.answer) for a in await uow.date_polls.answers(poll.id)] == [(later, "yes")]


async def test_the_dm_is_in_each_members_own_language(ws):
    group, members = await form_group(ws)
    organiser, second = members[:2]
    await choose_english(ws, second)
    poll = await start_poll(ws, group, organiser)
    first = (await slot_ids(ws, poll))[0]
    assert "I can come" in str(ballot(ws, second)["blocks"]) and "same answer" in texts([ballot(ws, second)])
    assert "参加できる" in str(ballot(ws, organiser)["blocks"])  # the organiser chose Japanese
    stale = ballot(ws, second)
    await close(ws, organiser, group, "reminder", first)
    assert "This date poll is closed" in texts([ballot(ws, second)])
    reply = await choose_in_dm(ws, second, poll, first, "no", message=stale)
    assert reply.status == 200 and "already closed" in texts(ws.fake.ephemerals(second)[-1:])
    assert ws.fake.violations == []  # every DM, table and form, open and closed, was valid Block Kit


async def submit_close(ws, organiser: str, group, outcome: str, slot_id: int, view: dict | None = None):
    if view is None:
        await ws.driver.press(organiser, table_message(ws, group.channel_id), ids.POLL_CLOSE)
        view = ws.fake.current_view(organiser)
    return view, await ws.driver.submit_view(organiser, view, {
        ids.POLL_CLOSE_SLOT_BLOCK: {ids.POLL_CLOSE_SLOT_INPUT: str(slot_id)},
        ids.POLL_CLOSE_OUTCOME_BLOCK: {ids.POLL_CLOSE_OUTCOME_INPUT: outcome}})


async def test_a_slot_too_soon_for_a_session_is_said_in_the_form_and_nothing_is_lost(ws):
    group, members = await form_group(ws)
    organiser = members[0]
    now = ws.clock.now().astimezone(JST)
    tomorrow, next_week = now + timedelta(days=1, hours=5), now + timedelta(days=7)
    poll = await start_poll(ws, group, organiser, slots=[tomorrow, next_week])
    soon, later = await slot_ids(ws, poll)
    view, reply = await submit_close(ws, organiser, group, "session", soon)
    # a self-run session closes registration the day before: at least two days ahead, as /jirei propose
    assert reply.ack["response_action"] == "errors"
    assert "2日以上先" in reply.ack["errors"][ids.POLL_CLOSE_OUTCOME_BLOCK]
    assert ws.fake.current_view(organiser)["id"] == view["id"]  # the form stays open
    async with ws.deps.uow() as uow:
        assert (await uow.date_polls.get(poll.id)).status == "open" and await uow.sessions.all() == []
    # the organiser picks a plain reminder for that slot instead, in the same form
    _, reply = await submit_close(ws, organiser, group, "reminder", soon, view=view)
    assert not (reply.ack or {}).get("response_action")
    await ws.run_due()
    async with ws.deps.uow() as uow:
        closed = await uow.date_polls.get(poll.id)
    assert (closed.status, closed.outcome, closed.chosen_slot_id) == ("closed", "reminder", soon)


async def test_another_slot_far_enough_ahead_becomes_the_session_instead(ws):
    group, members = await form_group(ws)
    organiser = members[0]
    now = ws.clock.now().astimezone(JST)
    poll = await start_poll(ws, group, organiser, slots=[now + timedelta(hours=30), now + timedelta(days=9)])
    soon, later = await slot_ids(ws, poll)
    view, reply = await submit_close(ws, organiser, group, "session", soon)
    assert ids.POLL_CLOSE_OUTCOME_BLOCK in reply.ack["errors"]
    _, reply = await submit_close(ws, organiser, group, "session", later, view=view)
    assert not (reply.ack or {}).get("response_action")
    await ws.run_due()
    async with ws.deps.uow() as uow:
        closed = await uow.date_polls.get(poll.id)
        assert (await uow.sessions.get(closed.session_id)).starts_at == now + timedelta(days=9)


async def test_the_session_belongs_to_the_polls_own_group_and_the_organiser_gets_its_material_path(ws):
    group, members = await form_group(ws)
    organiser, second = members[:2]
    # the organiser is also in a newer group (the one a plain /jirei propose would attach to)
    other_channel = ws.fake.add_channel("study-other", is_private=True, members=[organiser])
    async with ws.deps.uow() as uow:
        other = await uow.study_groups.add(StudyGroup(bureau="osaka", themes=["education"], status="active",
                                                      channel_id=other_channel, created_at=ws.clock.now()))
        member = await uow.study_groups.add_member(other.id, organiser)
        member.status = "accepted"
    assert other.id > group.id
    poll = await start_poll(ws, group, organiser)
    later = (await slot_ids(ws, poll))[1]
    await choose_in_dm(ws, second, poll, later, "yes")
    await close(ws, organiser, group, "session", later)
    async with ws.deps.uow() as uow:
        closed = await uow.date_polls.get(poll.id)
        item = await uow.sessions.get(closed.session_id)
        case = await uow.cases.get(item.case_id)
    assert item.study_group_id == group.id and item.kind == "self_run"
    assert item.theme == (group.themes or ["other"])[0]
    # announced in the poll's group's channel, not in the other group's
    assert item.code in texts(ws.fake.messages(group.channel_id))
    assert item.code not in texts(ws.fake.messages(other_channel))
    # the proposal path's rules: registration closes the day before, material released 3 days before
    assert item.deadline_at == SLOTS[1] - timedelta(days=1) and item.release_at == SLOTS[1] - timedelta(days=3)
    # the organiser is told, as after /jirei propose, how to attach the case material (an upload button)
    told = [m for m in ws.fake.dm_messages(organiser) if ids.MATERIAL_UPLOAD_OPEN in str(m.get("blocks"))]
    assert len(told) == 1 and case.code in texts(told)
    assert ws.fake.violations == []


async def test_an_organiser_without_the_pledge_is_told_in_the_form_and_may_still_send_a_reminder(ws):
    group, members = await form_group(ws)
    organiser = members[0]
    poll = await start_poll(ws, group, organiser)
    later = (await slot_ids(ws, poll))[1]
    async with ws.deps.uow() as uow:  # the pledge rule of /jirei propose: no session without it
        (await uow.coordinators.get(organiser)).pledge_accepted_at = None
    view, reply = await submit_close(ws, organiser, group, "session", later)
    assert reply.ack["response_action"] == "errors"
    assert "/jirei pledge" in reply.ack["errors"][ids.POLL_CLOSE_OUTCOME_BLOCK]
    assert ws.fake.current_view(organiser)["id"] == view["id"]
    async with ws.deps.uow() as uow:
        assert (await uow.date_polls.get(poll.id)).status == "open" and await uow.sessions.all() == []
    _, reply = await submit_close(ws, organiser, group, "reminder", later, view=view)
    assert not (reply.ack or {}).get("response_action")
    async with ws.deps.uow() as uow:
        assert (await uow.date_polls.get(poll.id)).outcome == "reminder"


async def test_in_english_a_dm_answer_reaches_the_table_and_a_slot_too_soon_is_explained(ws):
    group, members = await form_group(ws)
    await choose_english(ws, *members)
    organiser, second = members[:2]
    now = ws.clock.now().astimezone(JST)
    poll = await start_poll(ws, group, organiser, slots=[now + timedelta(days=1, hours=5), now + timedelta(days=8)])
    soon, later = await slot_ids(ws, poll)
    reply = await choose_in_dm(ws, second, poll, later, "maybe")
    assert reply.status == 200
    await ws.advance(timedelta(seconds=30))
    line = next(b for b in table_message(ws, group.channel_id)["blocks"]
                if b.get("block_id") == ids.POLL_ANSWER_BLOCK.format(slot=later))
    assert "△ 1" in line["text"]["text"] and f"<@{second}>" in line["text"]["text"]
    view, reply = await submit_close(ws, organiser, group, "session", soon)
    assert "at least 2 days ahead" in reply.ack["errors"][ids.POLL_CLOSE_OUTCOME_BLOCK]
    _, reply = await submit_close(ws, organiser, group, "session", later, view=view)
    assert not (reply.ack or {}).get("response_action")
    await ws.run_due()
    async with ws.deps.uow() as uow:
        item = await uow.sessions.get((await uow.date_polls.get(poll.id)).session_id)
    assert item.study_group_id == group.id
    assert f"It is now self-run session {item.code}" in texts(ws.fake.messages(group.channel_id))
    assert "This date poll is closed" in texts([ballot(ws, second)])
    assert ws.fake.violations == []
