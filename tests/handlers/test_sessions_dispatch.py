"""Issue 4's proofs, through the real AsyncApp: capacity under concurrency, the waitlist, the
deadline decision with a substitute, and authorization."""

import asyncio
import re
from datetime import timedelta

from bot import ids
from bot.local import seed
from tests.handlers.conftest import add_coordinators, announced, texts

SESSION = ("admin session new case=C1 bureau=tokyo start=2027-05-15T14:00 minutes=120 capacity={capacity} "
           "min={minimum} deadline=2027-05-01T17:00 release=2027-05-07T09:00")


async def plan(ws, capacity=30, minimum=5):
    await ws.driver.command(seed.ADMIN, 'admin case new title="受診同行の事例" theme=医療・福祉')
    await ws.driver.command(seed.ADMIN, SESSION.format(capacity=capacity, minimum=minimum))
    await announced(ws)


async def test_forty_join_a_thirty_seat_session_at_once(ws):
    await plan(ws)
    people = await add_coordinators(ws, 40)
    await asyncio.gather(*(ws.driver.command(user, "join S1") for user in people))
    async with ws.deps.uow() as uow:
        confirmed = await uow.registrations.for_session(1, "confirmed")
        waitlisted = await uow.registrations.for_session(1, "waitlisted")
    assert (len(confirmed), len(waitlisted)) == (30, 10)
    # one confirmed person leaves: the earliest on the waitlist is confirmed and told
    first_waiting = waitlisted[0].user_id
    await ws.driver.command(confirmed[0].user_id, "leave S1")
    await ws.run_due()
    async with ws.deps.uow() as uow:
        promoted = await uow.registrations.get(1, first_waiting)
        assert await uow.registrations.count(1, "confirmed") == 30
    assert promoted.status == "confirmed"
    assert "繰り上がり" in texts(ws.fake.dm_messages(first_waiting))


def join_button(ws, user: str) -> dict:
    """A message in the person's DM carrying the Join button for S1, as announcements do."""
    button = {"type": "button", "text": {"type": "plain_text", "text": "参加"}, "action_id": ids.SESSION_JOIN,
              "value": "S1"}
    return {"channel": ws.fake.dm_channel_id(user), "ts": "1700000000.000100", "text": "S1",
            "blocks": [{"type": "actions", "block_id": "join", "elements": [button]}]}


async def test_forty_press_join_on_a_thirty_seat_session_at_once(ws):
    await plan(ws)
    people = await add_coordinators(ws, 40)
    await asyncio.gather(*(ws.driver.click(user, ids.SESSION_JOIN, message=join_button(ws, user)) for user in people))
    async with ws.deps.uow() as uow:
        confirmed = await uow.registrations.for_session(1, "confirmed")
        waitlisted = await uow.registrations.for_session(1, "waitlisted")
    assert (len(confirmed), len(waitlisted)) == (30, 10)
    assert sorted(r.user_id for r in confirmed + waitlisted) == sorted(people)


async def test_eight_joins_at_once_hold_one_registration(ws):
    await plan(ws)
    user = seed.COORDINATORS[0][0]
    await asyncio.gather(*(ws.driver.command(user, "join S1") for _ in range(8)))
    async with ws.deps.uow() as uow:
        regs = await uow.registrations.for_session(1)
    assert [r.user_id for r in regs] == [user] and regs[0].status == "confirmed"


async def test_join_needs_profile_and_pledge(ws):
    await plan(ws)
    no_pledge = (await add_coordinators(ws, 1, pledged=False, prefix="UNP"))[0]
    await ws.driver.command(no_pledge, "join S1")
    assert "誓約" in texts(ws.fake.ephemerals(no_pledge)[-1:])
    ws.fake.add_user("UNOPROF1", "プロフィールなし")
    await ws.driver.command("UNOPROF1", "join S1")
    assert "プロフィール" in texts(ws.fake.ephemerals("UNOPROF1")[-1:])
    async with ws.deps.uow() as uow:
        assert await uow.registrations.for_session(1) == []


async def test_too_few_registrations_call_off_and_offer_a_substitute(ws):
    await plan(ws, capacity=20, minimum=5)
    three = [c[0] for c in seed.COORDINATORS[:3]]
    for user in three:
        await ws.driver.command(user, "join S1")
    await ws.advance(timedelta(days=30, hours=8, minutes=5))  # past 1 May 17:00
    async with ws.deps.uow() as uow:
        s1 = await uow.sessions.get(1)
        substitute = await uow.sessions.get(2)
    assert s1.status == "cancelled"
    assert substitute.kind == "exchange" and substitute.format == "online" and substitute.bureau == "tokyo"
    assert substitute.starts_at == s1.starts_at + timedelta(days=7)
    for user in three:
        offer = next(m for m in reversed(ws.fake.dm_messages(user)) if ids.SESSION_JOIN in str(m.get("blocks")))
        assert "S2" in str(offer["blocks"]) and "中止" in texts([offer])
    # the offer's Join button works
    await ws.driver.press(three[0], offer if three[0] == three[-1] else next(
        m for m in reversed(ws.fake.dm_messages(three[0])) if "S2" in str(m.get("blocks"))), ids.SESSION_JOIN)
    async with ws.deps.uow() as uow:
        assert (await uow.registrations.get(2, three[0])).status == "confirmed"


async def test_confirmed_session_is_split_into_groups_mixing_affiliations(ws):
    await plan(ws, capacity=30, minimum=5)
    people = await add_coordinators(ws, 11)
    for user in people:
        await ws.driver.command(user, "join S1")
    await ws.advance(timedelta(days=30, hours=8, minutes=5))
    async with ws.deps.uow() as uow:
        regs = await uow.registrations.for_session(1, "confirmed")
        coordinators = await uow.coordinators.many(r.user_id for r in regs)
    groups: dict[int, list[str]] = {}
    for reg in regs:
        groups.setdefault(reg.group_no, []).append(coordinators[reg.user_id].affiliation)
    assert sorted(len(g) for g in groups.values()) == [5, 6]
    assert all({"public", "private"} <= set(g) for g in groups.values())
    assert "班" in texts(ws.fake.dm_messages(people[0]))
    # an .ics invite comes with the confirmation
    files = [f for m in ws.fake.dm_messages(people[0]) for f in m.get("files") or []]
    ics = [f for f in files if f.get("name", "").endswith(".ics")]
    assert len(ics) == 1 and b"BEGIN:VEVENT" in ws.fake.file_content(ics[0]["id"])


async def test_coordinators_admin_commands_are_refused_and_audited(ws):
    user = seed.COORDINATORS[0][0]
    reply = await ws.driver.command(user, "admin announce S1")
    assert "事務局" in str(reply.answer)
    async with ws.deps.uow() as uow:
        refused = await uow.audit.entries(actor=user, action="command.admin announce")
    assert [e.outcome for e in refused] == ["refused"]


async def test_bureau_staff_cannot_manage_another_bureau(ws):
    await plan(ws)
    await ws.driver.command(seed.STAFF_OSAKA, "admin roster S1")
    assert "担当外" in texts(ws.fake.ephemerals(seed.STAFF_OSAKA)[-1:])
    await ws.driver.command(seed.STAFF_TOKYO, "admin roster S1")
    assert "参加者名簿" in texts(ws.fake.ephemerals(seed.STAFF_TOKYO)[-1:])


async def test_invalid_session_values_get_clear_messages(ws):
    await ws.driver.command(seed.ADMIN, 'admin case new title="x" theme=教育')
    cases = {
        "start=2026-01-01T10:00": "開始日時が過去",
        "deadline=2027-06-01T10:00": "申込締切は開始日時より前",
        "capacity=3 min=5": "定員は最少催行人数以上",
        "release=2027-06-01T10:00": "資料配布日時は開始日時より前",
    }
    base = dict(case="C1", bureau="tokyo", start="2027-05-15T14:00", minutes="120", capacity="30", min="5",
                deadline="2027-05-01T17:00", release="2027-05-07T09:00")
    for change, expected in cases.items():
        values = dict(base)
        for pair in change.split():
            key, value = pair.split("=")
            values[key] = value
        text = "admin session new " + " ".join(f"{k}={v}" for k, v in values.items())
        await ws.driver.command(seed.ADMIN, text)
        assert expected in texts(ws.fake.ephemerals(seed.ADMIN)[-1:]), change
    await ws.driver.command(seed.ADMIN, "admin session new " + " ".join(
        f"{k}={v}" for k, v in {**base, "case": "C9"}.items()))
    assert "C9" in texts(ws.fake.ephemerals(seed.ADMIN)[-1:])


async def test_the_new_session_form_creates_a_session_and_reports_field_errors(ws):
    from datetime import datetime as dt

    await ws.driver.command(seed.ADMIN, 'admin case new title="x" theme=教育')
    await ws.driver.command(seed.ADMIN, "admin session new")
    view = ws.fake.current_view(seed.ADMIN)
    assert view["callback_id"] == ids.SESSION_NEW_VIEW and ws.fake.violations == []

    def value(name, v):
        block_id, action_id = ids.SESSION_FIELD_BLOCKS[name]
        return block_id, {action_id: v}

    def stamp(text):
        return {"type": "datetimepicker", "selected_date_time": int(dt.fromisoformat(text).timestamp())}

    good = dict([value("case", "C1"), value("bureau", "tokyo"), value("start", stamp("2027-05-15T14:00+09:00")),
                 value("minutes", {"type": "number_input", "value": "120"}),
                 value("capacity", {"type": "number_input", "value": "3"}),
                 value("min", {"type": "number_input", "value": "5"}),
                 value("deadline", stamp("2027-05-01T17:00+09:00")), value("release", stamp("2027-05-07T09:00+09:00")),
                 value("format", "online")])
    reply = await ws.driver.submit_view(seed.ADMIN, view, good)
    assert reply.ack["response_action"] == "errors"
    assert ids.SESSION_FIELD_BLOCKS["capacity"][0] in reply.ack["errors"]
    good.update(dict([value("capacity", {"type": "number_input", "value": "30"})]))
    reply = await ws.driver.submit_view(seed.ADMIN, view, good)
    assert not (reply.ack or {}).get("errors")
    async with ws.deps.uow() as uow:
        item = await uow.sessions.get(1)
    assert (item.capacity, item.format, item.bureau) == (30, "online", "tokyo")
    # a study group's own case (that of a self-run session) is not offered for an official session
    from storage.models import Case, CaseSession

    now = ws.deps.clock.now()
    async with ws.deps.uow() as uow:
        own = await uow.cases.add(Case(title="勉強会の事例", theme="education", lecturer_user_id=None,
                                       created_by=seed.COORDINATORS[0][0], created_at=now))
        await uow.sessions.add(CaseSession(
            kind="self_run", case_id=own.id, bureau="online", starts_at=now, minutes=90, capacity=6,
            min_participants=3, deadline_at=now, release_at=now, created_by=seed.COORDINATORS[0][0],
            created_at=now))
    await ws.driver.command(seed.ADMIN, "admin session new")
    case_block = next(b for b in ws.fake.current_view(seed.ADMIN)["blocks"]
                      if b.get("block_id") == ids.SESSION_FIELD_BLOCKS["case"][0])
    assert [o["value"] for o in case_block["element"]["options"]] == ["C1"]
    # bureau staff see only their own bureau in the form, and cannot create elsewhere
    await ws.driver.command(seed.STAFF_OSAKA, "admin session new")
    staff_view = ws.fake.current_view(seed.STAFF_OSAKA)
    bureau_block = next(b for b in staff_view["blocks"] if b.get("block_id") == ids.SESSION_FIELD_BLOCKS["bureau"][0])
    assert [o["value"] for o in bureau_block["element"]["options"]] == ["osaka"]


async def test_an_announcement_shows_the_admin_one_updating_progress_message(ws):
    await plan(ws)
    people = await add_coordinators(ws, 30)
    await ws.driver.command(seed.ADMIN, "admin announce S1")
    await ws.run_due()
    progress = [m for m in ws.fake.dm_messages(seed.ADMIN) if "/41" in str(m.get("text"))]
    assert len(progress) == 1, "one message, updated in place"
    assert "配信完了 41/41" in progress[0]["text"]
    assert all(any(ids.SESSION_JOIN in str(m.get("blocks")) for m in ws.fake.dm_messages(u)) for u in people)


async def test_the_facilitator_checks_people_in_from_the_roster(ws):
    await ws.driver.command(seed.ADMIN, 'admin case new title="受診同行の事例" theme=医療・福祉')
    facilitator = seed.COORDINATORS[-1][0]  # a coordinator facilitating, as in a self-run session
    await ws.driver.command(seed.ADMIN, SESSION.format(capacity=10, minimum=2) + f" facilitator=<@{facilitator}>")
    await announced(ws)
    people = [c[0] for c in seed.COORDINATORS[:4]]
    for user in people:
        await ws.driver.command(user, "join S1")
    await ws.advance(timedelta(days=44, hours=4))  # the session day, 13:00 Japan time
    await ws.driver.command(facilitator, "admin roster S1")
    sheet = ws.fake.ephemerals(facilitator)[-1]
    checkins = [b for b in sheet["blocks"] if b.get("accessory", {}).get("action_id") == ids.SESSION_CHECKIN]
    assert len(checkins) == 4
    # identity comes from the payload: a participant pressing someone's button is refused
    await ws.driver.click(people[1], ids.SESSION_CHECKIN, checkins[0]["accessory"]["value"], message=sheet,
                          block_id=checkins[0].get("block_id"))
    async with ws.deps.uow() as uow:
        assert await uow.registrations.count(1, "attended") == 0
    await ws.driver.click(facilitator, ids.SESSION_CHECKIN, checkins[0]["accessory"]["value"], message=sheet,
                          block_id=checkins[0].get("block_id"))
    async with ws.deps.uow() as uow:
        assert await uow.registrations.count(1, "attended") == 1
    # another coordinator cannot see the roster
    await ws.driver.command(people[2], "admin roster S1")
    assert "参加者名簿" not in texts(ws.fake.ephemerals(people[2])[-1:])


async def test_a_substitute_exchange_meeting_called_off_is_not_replaced_again(ws):
    await plan(ws, capacity=20, minimum=5)
    await ws.driver.command(seed.COORDINATORS[0][0], "join S1")
    await ws.advance(timedelta(days=30, hours=8, minutes=5))  # S1 called off; S2 is its substitute
    await ws.advance(timedelta(days=20))  # past S2's deadline (20 May) with nobody: called off, nothing new
    async with ws.deps.uow() as uow:
        everything = await uow.sessions.all()
    assert [(s.code, s.kind, s.status) for s in everything] == [("S1", "official", "cancelled"),
                                                                  ("S2", "exchange", "cancelled")]


async def test_an_oversubscribed_lottery_session_draws_first_timers_first_and_audits_the_draw(ws):
    from storage.models import CaseSession, Registration

    await ws.driver.command(seed.ADMIN, 'admin case new title="受診同行の事例" theme=医療・福祉')
    people = await add_coordinators(ws, 6)
    veterans = people[:3]
    async with ws.deps.uow() as uow:  # three of them attended an earlier session
        earlier = CaseSession(kind="official", bureau="tokyo", starts_at=ws.clock.now() - timedelta(days=90),
                              minutes=120, capacity=10, min_participants=1, deadline_at=ws.clock.now() - timedelta(days=100),
                              status="held", created_by=seed.ADMIN, created_at=ws.clock.now())
        uow.session.add(earlier)
        await uow.flush()
        for user in veterans:
            uow.session.add(Registration(session_id=earlier.id, user_id=user, status="attended",
                                         registered_at=ws.clock.now(), updated_at=ws.clock.now()))
    await ws.driver.command(seed.ADMIN, SESSION.format(capacity=3, minimum=2) + " lottery=yes")
    await announced(ws)
    async with ws.deps.uow() as uow:
        code = (await uow.sessions.all())[-1].code
    for user in people:
        await ws.driver.command(user, f"join {code}")
    assert "抽選" in texts(ws.fake.ephemerals(people[0])[-1:])
    await ws.advance(timedelta(days=30, hours=8, minutes=5))
    async with ws.deps.uow() as uow:
        item = await uow.sessions.by_code(code)
        winners = {r.user_id for r in await uow.registrations.for_session(item.id, "confirmed")}
        waiting = {r.user_id for r in await uow.registrations.for_session(item.id, "waitlisted")}
        draw = await uow.audit.entries(action="session.lottery")
    assert winners == set(people[3:]) and waiting == set(veterans)
    assert draw[0].detail["seed"].startswith(code) and len(draw[0].detail["trace"]) == 6
    assert all("キャンセル待ち" in texts(ws.fake.dm_messages(user)) for user in veterans)


async def test_the_list_shows_ten_own_region_first_and_counts_the_rest(ws):
    await ws.driver.command(seed.ADMIN, 'admin case new title="受診同行の事例" theme=医療・福祉')
    for n in range(13):
        bureau = "osaka" if n >= 10 else "tokyo"  # the Osaka ones start last
        await ws.driver.command(seed.ADMIN, f"admin session new case=C1 bureau={bureau} start=2027-05-{10 + n}T14:00 "
                                            "minutes=120 capacity=30 min=5 deadline=2027-05-01T17:00 "
                                            "release=2027-05-07T09:00")
    await announced(ws)
    async with ws.deps.uow() as uow:
        items = await uow.sessions.with_status("open")
    osaka_codes = [s.code for s in items if s.bureau == "osaka"]
    tokyo_codes = [s.code for s in items if s.bureau != "osaka"]  # by start time
    assert len(osaka_codes) == 3 and len(items) == 13
    person = (await add_coordinators(ws, 1, prefecture="大阪府", prefix="UOS"))[0]
    await ws.driver.command(person, "sessions")
    listing = texts(ws.fake.ephemerals(person)[-1:])
    blocks = ws.fake.ephemerals(person)[-1]["blocks"]
    shown = [m.group(1) for b in blocks if b["type"] == "section" for m in [re.match(r"\*(S\d+)", b["text"]["text"])] if m]
    assert shown == osaka_codes + tokyo_codes[:7]
    assert "ほかに 3 件あります。" in listing


async def test_a_waitlisted_person_and_a_walk_in_who_came_are_recorded_as_attended(ws):
    await ws.driver.command(seed.ADMIN, 'admin case new title="受診同行の事例" theme=医療・福祉')
    facilitator = seed.COORDINATORS[-1][0]
    await ws.driver.command(seed.ADMIN, SESSION.format(capacity=2, minimum=2) + f" facilitator=<@{facilitator}>")
    await announced(ws)
    people = [c[0] for c in seed.COORDINATORS[:3]]
    for user in people:
        await ws.driver.command(user, "join S1")
    walk_in = "UWALKIN01"
    ws.fake.add_user(walk_in, "当日 参加")
    await ws.advance(timedelta(days=44, hours=4))  # the session day, 13:00 Japan time
    # The facilitator's group message opens the check-in sheet (what their Home tab promises).
    groups_message = next(m for m in reversed(ws.fake.dm_messages(facilitator))
                          if ids.SESSION_ROSTER in str(m.get("blocks")))
    await ws.driver.press(facilitator, groups_message, ids.SESSION_ROSTER)
    sheet = ws.fake.dm_messages(facilitator)[-1]
    checkins = [b for b in sheet["blocks"] if b.get("accessory", {}).get("action_id") == ids.SESSION_CHECKIN]
    assert len(checkins) == 3  # the waitlisted person has a button too
    await ws.driver.command(facilitator, f"admin attend S1 <@{people[2]}> <@{walk_in}>")
    answer = texts(ws.fake.ephemerals(facilitator)[-1:])
    assert "2 人の出席を記録しました" in answer and f"<@{people[2]}>" in answer and f"<@{walk_in}>" in answer
    async with ws.deps.uow() as uow:
        assert (await uow.registrations.get(1, people[2])).status == "attended"
        assert (await uow.registrations.get(1, walk_in)).status == "attended"


async def test_someone_who_asked_to_be_forgotten_is_not_recorded_as_attending_again(ws):
    """Forget-me leaves one row with the person's id (its audit entry): recording them as a walk-in
    afterwards (a name typed from an old list, an old sheet) must not make a new one."""
    await ws.driver.command(seed.ADMIN, 'admin case new title="受診同行の事例" theme=医療・福祉')
    await ws.driver.command(seed.ADMIN, SESSION.format(capacity=3, minimum=1))
    await announced(ws)
    stays, goes = seed.COORDINATORS[0][0], seed.COORDINATORS[1][0]
    for user in (stays, goes):
        await ws.driver.command(user, "join S1")
    await ws.driver.command(goes, "forget-me confirm")
    await ws.advance(timedelta(days=44, hours=4))  # the session day, 13:00 Japan time
    await ws.driver.command(seed.ADMIN, f"admin attend S1 <@{stays}> <@{goes}>")
    answer = texts(ws.fake.ephemerals(seed.ADMIN)[-1:])
    assert "1 人の出席を記録しました" in answer
    assert f"<@{goes}> はデータの削除を依頼済みのため、出席を記録していません。" in answer
    async with ws.deps.uow() as uow:
        assert (await uow.registrations.get(1, stays)).status == "attended"
        assert await uow.registrations.get(1, goes) is None


async def test_my_shows_the_waitlist_place_and_a_withdraw_button(ws):
    await plan(ws, capacity=1, minimum=1)
    first, second, third = [c[0] for c in seed.COORDINATORS[:3]]
    for user in (first, second, third):
        await ws.driver.command(user, "join S1")
    await ws.driver.command(third, "my")
    mine = ws.fake.ephemerals(third)[-1]
    assert "キャンセル待ち（2番目）" in texts([mine])
    await ws.driver.open_home(third)
    assert "キャンセル待ち（2番目）" in str(ws.fake.home_view(third))
    await ws.driver.press(third, mine, ids.SESSION_LEAVE)
    async with ws.deps.uow() as uow:
        assert (await uow.registrations.get(1, third)).status == "cancelled"
