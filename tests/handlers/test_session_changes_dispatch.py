"""Changes to a session reach people, through the real AsyncApp and the fake Slack: every edit once
per registrant with before → after (two edits at the same moment included), the announcement and
the invitations updated in place (seats left too, coalesced), `admin message`, the facilitator told
of a roster change after the deadline, announcing again only to those not yet invited, and the
day-of check-in sheet that follows presses, with undo."""

from datetime import timedelta

from sqlalchemy import select

from bot import ids
from bot.delivery.kinds import DeliveryKind
from bot.local import seed
from bot.study_groups import service as study_groups
from storage.models import CaseSession, Delivery
from tests.handlers.conftest import add_coordinators, texts

SESSION = ("admin session new case=C1 bureau=tokyo start=2027-05-15T14:00 minutes=120 capacity={capacity} min=2 "
           'deadline=2027-05-01T17:00 release=2027-05-07T09:00 place="東京局 5階"{extra}')
PAST_DEADLINE = timedelta(days=30, hours=8, minutes=5)  # 1 April 9:00 → 1 May 17:05


async def plan(ws, capacity: int = 10, extra: str = "") -> None:
    await ws.driver.command(seed.ADMIN, 'admin case new title="受診同行" theme=医療・福祉')
    await ws.driver.command(seed.ADMIN, SESSION.format(capacity=capacity, extra=extra))
    await ws.driver.command(seed.ADMIN, "admin announce S1")
    await ws.run_due()


def announcement(ws) -> dict:
    posts = [m for m in ws.fake.messages(ws.announce_channel) if "S1" in texts([m])]
    assert len(posts) == 1  # one post, updated in place, never a second one
    return posts[0]


async def deliveries(ws, kind: str) -> list[Delivery]:
    async with ws.deps.uow() as uow:
        return list(await uow.session.scalars(select(Delivery).where(Delivery.kind == kind).order_by(Delivery.id)))


async def full_with_a_facilitator(ws) -> list[str]:
    """S1 for two, with a facilitator, and three who join it (the third waitlisted)."""
    await plan(ws, capacity=2, extra=f" facilitator=<@{seed.STAFF_TOKYO}>")
    joiners = await add_coordinators(ws, 3)
    for user in joiners:
        await ws.driver.command(user, "join S1")
    return joiners


async def check_in_sheet(ws) -> dict:
    """On the day itself (15 May 12:05), the check-in sheet the facilitator opens from their groups message."""
    await ws.advance(PAST_DEADLINE + timedelta(days=13, hours=19))
    groups = [m for m in ws.fake.dm_messages(seed.STAFF_TOKYO) if ids.SESSION_ROSTER in str(m.get("blocks"))][-1]
    await ws.driver.press(seed.STAFF_TOKYO, groups, ids.SESSION_ROSTER)
    return ws.fake.dm_messages(seed.STAFF_TOKYO)[-1]


def change_notices(ws, user: str) -> list[dict]:
    return [m for m in ws.fake.dm_messages(user) if "内容が変わりました" in texts([m])]


async def test_every_edit_reaches_every_registrant_once_with_before_and_after(ws):
    await plan(ws)
    joiners = await add_coordinators(ws, 2)
    for user in joiners:
        await ws.driver.command(user, "join S1")
    invited_only = seed.COORDINATORS[0][0]  # invited, never joined
    await ws.driver.command(seed.STAFF_TOKYO, 'admin session edit S1 start=2027-05-22T14:00 place="東京局 3階"')
    # a second edit at the very same moment (the clock has not moved) is a change of its own
    await ws.driver.command(seed.STAFF_TOKYO, "admin session edit S1 capacity=12 format=online")
    await ws.run_due()
    await ws.run_due()  # nothing more on another pass
    for user in joiners:
        notices = change_notices(ws, user)
        assert len(notices) == 2
        first = next(m for m in notices if "開始日時・会場" in texts([m]))
        second = next(m for m in notices if "定員・開催形式" in texts([m]))
        assert "開始日時" in texts([first]) and "5月15日" in texts([first]) and "5月22日" in texts([first])
        assert "東京局 5階 → 東京局 3階" in texts([first])
        assert "10人 → 12人" in texts([second]) and "ハイブリッド（会場参加・講師オンライン） → オンライン" in texts([second])
    assert len(await deliveries(ws, "session_changed")) == 4
    # the channel's announcement and the invitation DM show the new date, in place
    post = announcement(ws)
    assert "5月22日" in texts([post]) and "5月15日" not in texts([post]) and "オンライン" in texts([post])
    invitation = [m for m in ws.fake.dm_messages(invited_only) if "S1" in texts([m])]
    assert len(invitation) == 1 and "5月22日" in texts(invitation) and "東京局 3階" in texts(invitation)
    updates = ws.fake.calls_to("chat.update")
    assert updates and all(c.params.get("ts") for c in updates)


async def test_cancelling_marks_the_announcement_and_the_staff_notice_says_it_once(ws):
    await plan(ws)
    joiners = await add_coordinators(ws, 3)
    for user in joiners:
        await ws.driver.command(user, "join S1")
    await ws.driver.command(seed.STAFF_TOKYO, "admin session cancel S1 会場の都合")
    await ws.run_due()
    post = announcement(ws)
    assert "中止" in texts([post]) and ids.SESSION_JOIN not in str(post["blocks"])
    notice = [m for m in ws.fake.dm_messages(seed.ADMIN) if "S1" in texts([m]) and "中止" in texts([m])][-1]
    assert str(notice["blocks"]).count("申込者 3 人にお知らせしました") == 1


async def test_the_announcement_shows_seats_left_refreshed_once_per_burst(ws):
    await plan(ws, capacity=3)
    assert "残り 3 席" in texts([announcement(ws)])
    joiners = await add_coordinators(ws, 4)
    before = len(ws.fake.calls_to("chat.update"))
    for user in joiners:  # a burst: four joins at once
        await ws.driver.command(user, "join S1")
    await ws.advance(timedelta(seconds=30))
    assert "満席" in texts([announcement(ws)])
    assert len(ws.fake.calls_to("chat.update")) - before == 1  # coalesced into one update
    await ws.driver.command(joiners[0], "leave S1")  # the waitlisted fourth moves up: still full
    await ws.driver.command(joiners[1], "leave S1")
    await ws.advance(timedelta(seconds=30))
    assert "残り 1 席" in texts([announcement(ws)])


async def test_admin_message_reaches_every_registrant_and_says_how_many(ws):
    await plan(ws, capacity=2)
    first, second, third = await add_coordinators(ws, 3)
    for user in (first, second, third):
        await ws.driver.command(user, "join S1")  # two confirmed, one waitlisted
    await ws.driver.command(seed.STAFF_TOKYO, "admin message S1 会場が3階に変わります <!channel> & 'お早めに'\n受付は13:30から")
    assert "申込者 3 人" in texts(ws.fake.ephemerals(seed.STAFF_TOKYO)[-1:])
    await ws.run_due()
    sent = [d for d in await deliveries(ws, "session_message") if d.status == "sent"]
    assert sorted(d.recipient for d in sent) == [first, second, third]
    assert "会場が3階" not in str([d.payload for d in sent])  # the text is stored encrypted
    for user in (first, second, third):
        shown = texts(ws.fake.dm_messages(user)[-1:])
        assert "会場が3階に変わります" in shown and "&lt;!channel&gt; &amp; 'お早めに'" in shown and "13:30" in shown
        assert "<!channel>" not in shown
    await ws.driver.command(seed.STAFF_OSAKA, "admin message S1 ほかの局から")
    assert "担当外" in texts(ws.fake.ephemerals(seed.STAFF_OSAKA)[-1:])
    await ws.driver.command(first, "admin message S1 参加者から")
    assert len(await deliveries(ws, "session_message")) == 3
    await ws.driver.command(seed.ADMIN, "admin message S1")
    assert "使い方" in texts(ws.fake.ephemerals(seed.ADMIN)[-1:])


async def test_the_facilitator_hears_of_roster_changes_after_the_deadline(ws):
    first, second, third = await full_with_a_facilitator(ws)
    await ws.advance(PAST_DEADLINE)
    told_before = [m for m in ws.fake.dm_messages(seed.STAFF_TOKYO) if "締切後に変わりました" in texts([m])]
    assert told_before == []  # joins before the deadline are no news: the groups come at the deadline
    await ws.driver.command(first, "leave S1")
    await ws.run_due()
    told = texts([m for m in ws.fake.dm_messages(seed.STAFF_TOKYO) if "締切後に変わりました" in texts([m])])
    assert f"<@{first}> が申込みを取り消しました" in told and f"<@{third}> がキャンセル待ちから繰り上がり" in told
    async with ws.deps.uow() as uow:
        assert (await uow.registrations.get(1, third)).group_no is not None  # in a group, so introduced


async def test_announcing_again_invites_only_those_not_yet_invited(ws):
    await plan(ws)
    first_round = len(await deliveries(ws, "session_invitation"))
    assert first_round > 0
    newcomers = await add_coordinators(ws, 2)
    await ws.driver.command(seed.ADMIN, "admin announce S1")
    assert "まだ届いていない 2 人" in texts(ws.fake.ephemerals(seed.ADMIN)[-1:])
    await ws.run_due()
    invitations = await deliveries(ws, "session_invitation")
    assert len(invitations) == first_round + 2 and {d.recipient for d in invitations[-2:]} == set(newcomers)
    assert all(d.status == "sent" for d in invitations)
    progress_before = len(ws.fake.dm_messages(seed.ADMIN))
    await ws.driver.command(seed.ADMIN, "admin announce S1")
    await ws.run_due()
    assert "すでに送っています" in texts(ws.fake.ephemerals(seed.ADMIN)[-1:])
    assert len(ws.fake.dm_messages(seed.ADMIN)) == progress_before  # no progress message left at 0/0
    assert len(await deliveries(ws, "session_invitation")) == first_round + 2
    # every progress message the admin has ends finished, none stuck at 配信中
    assert all("配信中" not in texts([m]) for m in ws.fake.dm_messages(seed.ADMIN))


async def test_the_check_in_sheet_follows_presses_with_undo_and_walk_ins_join_the_groups(ws):
    first, second, walk_in = await full_with_a_facilitator(ws)  # the third is waitlisted
    sheet = await check_in_sheet(ws)
    channel, ts = sheet["channel"], sheet["ts"]
    assert "出席 " not in texts([sheet])  # nobody checked in yet

    def row(message: dict, user: str) -> dict:
        return next(b for b in message["blocks"] if b.get("block_id") == f"checkin_{user}")

    await ws.driver.click(seed.STAFF_TOKYO, ids.SESSION_CHECKIN, message=sheet, block_id=f"checkin_{first}")
    updated = ws.fake.message(channel, ts)  # the same message, redrawn
    assert row(updated, first)["accessory"]["action_id"] == ids.SESSION_CHECKIN_UNDO and "✅" in str(row(updated, first))
    assert "出席 1人" in texts([updated]) and len(ws.fake.dm_messages(seed.STAFF_TOKYO)) >= 1
    ephemerals = len(ws.fake.ephemerals(seed.STAFF_TOKYO))
    # the stale sheet pressed again: nothing recorded twice, and it says so
    await ws.driver.click(seed.STAFF_TOKYO, ids.SESSION_CHECKIN, message=sheet, block_id=f"checkin_{first}")
    again = texts(ws.fake.ephemerals(seed.STAFF_TOKYO)[ephemerals:])
    assert "記録済み" in again and "記録しました" not in again
    # undo, then check in again
    await ws.driver.click(seed.STAFF_TOKYO, ids.SESSION_CHECKIN_UNDO, message=ws.fake.message(channel, ts),
                          block_id=f"checkin_{first}")
    assert row(ws.fake.message(channel, ts), first)["accessory"]["action_id"] == ids.SESSION_CHECKIN
    async with ws.deps.uow() as uow:
        assert (await uow.registrations.get(1, first)).status == "confirmed"
    for user in (first, second, walk_in):  # the waitlisted third came too
        await ws.driver.click(seed.STAFF_TOKYO, ids.SESSION_CHECKIN, message=ws.fake.message(channel, ts),
                              block_id=f"checkin_{user}")
    assert "出席 3人" in texts([ws.fake.message(channel, ts)])
    async with ws.deps.uow() as uow:
        assert (await uow.registrations.get(1, walk_in)).group_no is not None
    await ws.advance(timedelta(hours=5))  # the session ends: the groups are introduced
    intros = await deliveries(ws, DeliveryKind.GROUP_INTRODUCTION)
    assert intros and walk_in in intros[0].payload["members"]


async def test_undoing_the_check_in_of_someone_waitlisted_gives_back_their_place_not_a_seat(ws):
    """A waitlisted person checked in by mistake, then 取消: back on the waitlist, out of the group, the
    session's seats as they were (the undo used to seat anyone registered before the day, over capacity).
    A seat their check-in held while someone left goes to the waitlist once it is undone."""
    first, second, third = await full_with_a_facilitator(ws)  # the third is waitlisted
    sheet = await check_in_sheet(ws)
    channel, ts = sheet["channel"], sheet["ts"]

    async def statuses() -> dict[str, tuple[str, int | None]]:
        async with ws.deps.uow() as uow:
            return {r.user_id: (r.status, r.group_no) for r in await uow.registrations.for_session(1)}

    async def press(action: str) -> None:
        await ws.driver.click(seed.STAFF_TOKYO, action, message=ws.fake.message(channel, ts), block_id=f"checkin_{third}")

    await press(ids.SESSION_CHECKIN)
    assert (await statuses())[third][0] == "attended"
    await press(ids.SESSION_CHECKIN_UNDO)
    now = await statuses()
    assert now[third] == ("waitlisted", None)
    assert [status for status, _ in now.values()].count("confirmed") == 2
    row = next(b for b in ws.fake.message(channel, ts)["blocks"] if b.get("block_id") == f"checkin_{third}")
    assert row["accessory"]["action_id"] == ids.SESSION_CHECKIN and "キャンセル待ち" in texts([{"blocks": [row]}])
    # checked in again; the first leaves before the start; the undo frees the seat the check-in held
    await press(ids.SESSION_CHECKIN)
    await ws.driver.command(first, "leave S1")
    assert (await statuses())[third][0] == "attended"
    await press(ids.SESSION_CHECKIN_UNDO)
    assert (await statuses())[third][0] == "confirmed" and (await statuses())[third][1] is not None
    await ws.run_due()
    assert [d.recipient for d in await deliveries(ws, "waitlist_promoted")] == [third]


async def test_a_self_run_session_is_changed_only_by_its_proposer_or_the_secretariat(ws):
    proposer, other = await add_coordinators(ws, 2)
    start = ws.clock.now() + timedelta(days=20)
    async with ws.deps.uow() as uow:
        await uow.sessions.add(CaseSession(
            kind="self_run", case_id=None, title="勉強会", theme="education", bureau="online", starts_at=start,
            minutes=90, capacity=10, min_participants=2, deadline_at=start - timedelta(days=3), release_at=None,
            format="online", status="open", created_by=proposer, created_at=ws.clock.now(),
            announced_at=ws.clock.now()))
    await ws.driver.command(other, "admin session edit S1 minutes=60")
    refused = texts(ws.fake.ephemerals(other)[-1:])
    assert "企画者" in refused and "担当外" not in refused
    await ws.driver.command(proposer, "admin session edit S1 minutes=60")
    assert "変更しました" in texts(ws.fake.ephemerals(proposer)[-1:])
    await ws.driver.command(other, "join S1")
    await ws.driver.command(proposer, "admin message S1 資料を読んでおいてください")
    assert "申込者 1 人" in texts(ws.fake.ephemerals(proposer)[-1:])
