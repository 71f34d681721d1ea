"""The year simulator: a Hypothesis rule-based state machine driving the real AsyncApp.

Every rule is something a person (or the clock, or the operator) may do at any moment; each one
goes through the app as Slack would send it (signed requests into the AsyncApp, against the local
fake Slack), then whatever fell due runs, and every invariant in ``invariants.py`` is checked. When
one fails, Hypothesis shrinks the run to the shortest sequence of rules that still breaks it and
prints it as code (``state = YearSimulation()``, ``state.join(person='UC03', session='S1')``, …):
that is the regression test to keep.

To add a feature's rules, add methods decorated with ``@rule`` (arguments drawn from small,
readable strategies, so the printed sequence stays readable); to add what must hold, add an
``@invariant`` function in ``invariants.py``.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections import Counter
from datetime import timedelta

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from hypothesis.stateful import initialize

from bot import ids
from bot.local import seed
from bot.sessions.service import ATTENDANCE_OPENS_BEFORE
from config.reference import bureaus
from storage.models import CaseSession, Registration
from tests.simulation import invariants as inv
from tests.simulation.world import PREFECTURE, START, YEAR_END, Databases, World

COORDINATORS = tuple(f"UC{n:02d}" for n in range(1, 19))
EVERYONE = COORDINATORS + (seed.STAFF_TOKYO, seed.STAFF_OSAKA, seed.LECTURER, seed.ADMIN)
SESSIONS = tuple(f"S{n}" for n in range(1, 7)) + ("S99",)  # S99: a code that never exists
CASES = ("C1", "C2", "C3")
BUREAUS = tuple(b.code for b in bureaus())
STAFF_OF = {"tokyo": seed.STAFF_TOKYO, "osaka": seed.STAFF_OSAKA}
THEME_NAMES = ("医療・福祉", "教育", "労働")
LIBRARY_QUERIES = ("", "事例", "事例 1", "theme=教育", "year=令和9", "bureau=東京", "医療 year=2027", "theme=宇宙")
CLEAN = "【事例】Aさん（30代）は市役所で医療通訳の手配を相談した。\n経過：通訳を手配し、受診できた。\n".encode()
FLAGGED = ("【事例】山田太郎さん（1985年4月2日生、在留カード番号 AB12345678CD）は"
           "横浜市中区山下町1-2-3に住み、090-1234-5678 で連絡がとれる。\n").encode()
MOVES = {"15m": timedelta(minutes=15), "1h": timedelta(hours=1), "6h": timedelta(hours=6), "1d": timedelta(days=1),
         "3d": timedelta(days=3), "1w": timedelta(days=7), "2w": timedelta(days=14)}
EDITS = {
    "later": lambda s: f"start={(s.starts_at + timedelta(days=1)).astimezone(START.tzinfo):%Y-%m-%dT%H:%M}",
    "capacity+1": lambda s: f"capacity={s.capacity + 1}",
    "capacity-1": lambda s: f"capacity={max(1, s.capacity - 1)}",
    "place": lambda s: 'place="会議室 B"' if s.place != "会議室 B" else 'place="会議室 C"',
    "minutes": lambda s: f"minutes={90 if s.minutes != 90 else 120}",
    "format": lambda s: f"format={'online' if s.format != 'online' else 'hybrid'}",
}
EDITED_FIELDS = ("starts_at", "capacity", "place", "minutes", "format", "deadline_at", "release_at",
                 "min_participants", "facilitator_user_id", "online_url")

STEPS: Counter = Counter()  # rule name → times run (all machines of the process)
REACHED: Counter = Counter()  # what the years got to (sessions by status, deliveries sent by kind…), at their ends


class YearSimulation(RuleBasedStateMachine):
    """One simulated fiscal year (1 April 2027 to 31 March 2028) of the whole population."""

    databases: Databases = Databases(os.environ.get("JIREI_SIMULATION_POSTGRES_URL"))

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.url, self.db_name = self.run(self.databases.create())
        self.world = World(self.url)
        self.run(self.world.start())
        self.model = inv.Model()
        self.step: inv.Step | None = None
        self.begin("start")

    # --- plumbing -----------------------------------------------------------------------------------

    def run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    @property
    def ws(self):
        return self.world.ws

    def begin(self, name: str) -> None:
        STEPS[name] = STEPS[name] + 1
        first_delivery = self.run(self._next_delivery_id())
        self.step = inv.Step(name, len(self.world.fake.calls), len(self.world.fake.acks), first_delivery)
        self.checked = False

    async def _next_delivery_id(self) -> int:
        from sqlalchemy import func, select
        from storage.models import Delivery

        async with self.ws.deps.uow(read_only=True) as uow:
            return ((await uow.session.scalar(select(func.max(Delivery.id)))) or 0) + 1

    def act(self, name: str, coroutine) -> None:
        """One step: the interaction, then the deliveries it made due, as the dispatcher woken after a
        command sends them (the periodic jobs run when the clock moves)."""
        self.begin(name)
        self.run(coroutine)
        self.run(self.deliver())

    async def deliver(self) -> None:
        for _ in range(5):
            result = await self.ws.runtime.dispatch()
            await self.ws.driver.settle()
            if not result.claimed:
                return

    async def command(self, user: str, text: str):
        reply = await self.ws.driver.command(user, text)
        self.step.replies.append((user, reply))
        return reply

    async def press(self, user: str, message: dict, action_id: str, block_id: str | None = None, value=None):
        if value is None:
            reply = await self.ws.driver.press(user, message, action_id)
        else:
            reply = await self.ws.driver.click(user, action_id, value, message=message, block_id=block_id)
        reply.pressed = f"{action_id} in a message of {message.get('ts')}"
        self.step.replies.append((user, reply))
        return reply

    def open_form(self, user: str, callback_id: str) -> dict | None:
        """The form `user` has open, when it is `callback_id`'s and this step opened it (a refusal opens
        none; one an earlier step left open, a button pressed and its form never sent, is not the answer
        to this step: submitting it typed a case the stale form did not offer, soak seed 450)."""
        form = self.world.fake.current_view(user)
        if form is None or form.get("callback_id") != callback_id:
            return None
        opened = {(call.response.get("view") or {}).get("id") for call in inv.new_calls(self.world, self.step)
                  if call.method in ("views.open", "views.push", "views.update") and isinstance(call.response, dict)}
        return form if form.get("id") in opened else None

    async def submit(self, user: str, form: dict, values: dict):
        submitted = await self.ws.driver.submit_view(user, form, values)
        self.step.replies.append((user, submitted))
        return submitted

    async def press_and_fill(self, user: str, message: dict, action_id: str, callback_id: str, values: dict) -> None:
        """Press a button that opens a form, and submit the form with `values` when it opened."""
        await self.press(user, message, action_id)
        form = self.open_form(user, callback_id)
        if form is not None:
            await self.submit(user, form, values)

    def existing(self, session: str, *statuses: str) -> str:
        """Rules name sessions S1…S6: they stand for the sessions that exist (in one of `statuses`, if
        given), in order and cyclically (S2 of three is the second, S5 the second again), so a random year
        acts on real sessions; S99 stays a code that never exists."""
        if session == "S99":
            return session
        codes = self.run(self._codes(statuses))
        return codes[(int(session[1:]) - 1) % len(codes)] if codes else session

    def existing_case(self, case: str) -> str:
        """C1…C3 stand for the cases that exist, in order and cyclically, as S1… for sessions (a random
        year made sessions of a case only when its C-number happened to be one already created). Uploads
        keep the literal codes, so a case that does not exist is tried too."""
        from sqlalchemy import select
        from storage.models import Case

        async def codes() -> list[str]:
            async with self.ws.deps.uow(read_only=True) as uow:
                return [item.code for item in await uow.session.scalars(select(Case).order_by(Case.id))]
        found = self.run(codes())
        return found[(int(case[1:]) - 1) % len(found)] if found else case

    async def _codes(self, statuses: tuple[str, ...] = ()) -> list[str]:
        from sqlalchemy import select

        query = select(CaseSession).order_by(CaseSession.id)
        if statuses:
            query = query.where(CaseSession.status.in_(statuses))
        async with self.ws.deps.uow(read_only=True) as uow:
            return [item.code for item in await uow.session.scalars(query)]

    def forgotten(self, user: str) -> bool:
        return user in self.model.forgotten

    async def session_row(self, code: str) -> CaseSession | None:
        async with self.ws.deps.uow(read_only=True) as uow:
            return await uow.sessions.by_code(code)

    async def registrants(self, session_id: int) -> frozenset[str]:
        async with self.ws.deps.uow(read_only=True) as uow:
            regs = await uow.registrations.for_session(session_id, "confirmed", "waitlisted", "applied")
        return frozenset(r.user_id for r in regs)

    async def tally(self) -> None:
        from sqlalchemy import select
        from storage.models import Delivery, Material, SurveyResponse

        async with self.ws.deps.uow(read_only=True) as uow:
            for item in await uow.session.scalars(select(CaseSession)):
                REACHED[f"session {item.kind} {item.status}"] += 1
            for reg in await uow.session.scalars(select(Registration)):
                REACHED[f"registration {reg.status}"] += 1
            for delivery in await uow.session.scalars(select(Delivery).where(Delivery.status == "sent")):
                REACHED[f"sent {delivery.kind}"] += 1
            REACHED["material versions"] += len(list(await uow.session.scalars(select(Material.id))))
            REACHED["survey responses"] += len(list(await uow.session.scalars(select(SurveyResponse.id))))
        REACHED["people forgotten"] += len(self.model.forgotten)
        REACHED["edits"] += len(self.model.edits)
        REACHED["restarts"] += self.world.restarts

    def teardown(self) -> None:
        try:
            if self.ws is not None:
                self.run(self.tally())
            self.run(self.world.close())
            self.run(self.databases.drop(self.url, self.db_name))
        finally:
            self.loop.close()

    # --- invariants -----------------------------------------------------------------------------------

    @invariant()
    def everything_that_must_hold(self) -> None:
        # A rule that returned before its step began (nobody to press, nothing to answer) sent nothing
        # and moved no clock: the app and the model are as they were at the last check, so every
        # invariant holds as it did then. Checking again only re-read the same tables.
        if self.checked:
            return
        self.checked = True
        for item in inv.INVARIANTS:
            inv.CHECKED[item.number] += 1
            self.run(item.check(self.world, self.model, self.step))

    # --- people ---------------------------------------------------------------------------------------

    @rule(person=st.sampled_from(COORDINATORS), what=st.sampled_from(("lang=en", "lang=ja", "moves", "themes")))
    def profile(self, person, what):
        if self.forgotten(person):
            return
        value = {"moves": "prefecture=大阪府" if person != "UC09" else "prefecture=東京都",
                 "themes": "themes=教育,労働"}.get(what, what)
        self.act("profile", self.command(person, f"profile set {value}"))

    @rule(person=st.sampled_from(COORDINATORS), session=st.sampled_from(SESSIONS))
    def relocate(self, person, session):
        """A coordinator moves to the region a session is held in (a transfer, a new post), or one who never
        filled in a profile fills it in there: someone the session was not for becomes one it is for, as
        people join a region during a real year (announcing it again must reach them, and only them)."""
        if self.forgotten(person):
            return
        item = self.run(self.session_row(self.existing(session)))
        if item is None or item.bureau not in PREFECTURE:
            return

        async def move():
            async with self.ws.deps.uow(read_only=True) as uow:
                known = await uow.coordinators.get(person)
            rest = "" if known is not None and known.profile_complete else \
                f' name="認証者 {person[2:]}" affiliation=public themes=教育'
            await self.command(person, f"profile set prefecture={PREFECTURE[item.bureau]}{rest}")
        self.act("relocate", move())

    @rule(person=st.sampled_from(COORDINATORS))
    def pledge(self, person):
        if not self.forgotten(person):
            self.act("pledge", self.command(person, "pledge accept"))

    @rule(person=st.sampled_from(COORDINATORS), session=st.sampled_from(SESSIONS), confirm=st.booleans())
    def join(self, person, session, confirm):
        """Someone joins a session from those still taking people (open or confirmed, as the list shows
        them); a closed one is still tried through the old buttons (press_a_button)."""
        session = self.existing(session, "open", "confirmed")
        if not self.forgotten(person):
            self.act("join", self.command(person, f"join {session}" + (" confirm" if confirm else "")))

    @rule(session=st.sampled_from(SESSIONS), how_many=st.sampled_from((1, 3, 18)))
    def answer_invitations(self, session, how_many):
        """People answer the invitation in their DMs: up to `how_many` of those invited to a session press
        its join button, one after another, as a region does in the days after an announcement. (It is
        what fills sessions to their minimum, so check-in sheets, material and surveys are reached.)"""
        session = self.existing(session, "open", "confirmed")
        invited = []
        for person in COORDINATORS:
            if self.forgotten(person):
                continue
            invitation = next((m for m in reversed(self.world.fake.dm_messages(person))
                               if any(e.get("action_id") == ids.SESSION_JOIN and e.get("value") == session
                                      for _, e in interactive(m))), None)
            if invitation is not None:
                invited.append((person, dict(invitation, channel=self.world.fake.dm_channel_id(person))))

        async def answer():
            for person, invitation in invited[:how_many]:
                await self.press(person, invitation, ids.SESSION_JOIN, value=session, block_id=next(
                    b.get("block_id") for b, e in interactive(invitation) if e.get("action_id") == ids.SESSION_JOIN))
        self.act("answer_invitations", answer())

    @rule(person=st.sampled_from(COORDINATORS), session=st.sampled_from(SESSIONS))
    def leave(self, person, session):
        session = self.existing(session)
        if not self.forgotten(person):
            self.act("leave", self.command(person, f"leave {session}"))

    @rule(person=st.sampled_from(EVERYONE), what=st.sampled_from(("my", "sessions", "home", "help")))
    def look(self, person, what):
        if self.forgotten(person):
            return
        if what == "home":
            self.act("look", self.ws.driver.open_home(person))
        else:
            self.act("look", self.command(person, what))

    @rule(person=st.sampled_from(COORDINATORS))
    def forget_me(self, person):
        if not (self.model.forget_requests < 3):  # never a precondition: a replay must offer the same rules
            return
        if self.forgotten(person):
            return
        self.model.forget_requests += 1

        async def forget():
            await self.command(person, "forget-me confirm")
            async with self.ws.deps.uow(read_only=True) as uow:
                if await uow.coordinators.get(person) is None:
                    self.model.forgotten[person] = self.world.clock.now()
        self.act("forget_me", forget())

    # --- the secretariat and the bureaus ------------------------------------------------------------------

    @rule(theme=st.sampled_from(THEME_NAMES), lecturer=st.booleans())
    def case_new(self, theme, lecturer):
        if not (self.model.cases_created < len(CASES)):  # never a precondition: a replay must offer the same rules
            return
        self.model.cases_created += 1
        extra = f" lecturer=<@{seed.LECTURER}>" if lecturer else ""
        self.act("case_new", self.command(seed.ADMIN, f'admin case new title="事例 {self.model.cases_created}" '
                                                      f"theme={theme}{extra}"))

    @rule(case=st.sampled_from(CASES), bureau=st.sampled_from(BUREAUS),
          days=st.sampled_from((3, 9, 15, 30, 60)), capacity=st.sampled_from((1, 2, 3, 5)),
          minimum=st.sampled_from((1, 2, 3)), by_staff=st.booleans(), announce=st.booleans())
    def session_new(self, case, bureau, days, capacity, minimum, by_staff, announce):
        if not (self.model.sessions_created < len(SESSIONS)):  # never a precondition: a replay must offer the same rules
            return
        case = self.existing_case(case)
        now = self.world.clock.now().astimezone(START.tzinfo)
        start = (now + timedelta(days=days)).replace(hour=14, minute=0, second=0, microsecond=0)
        deadline = start - timedelta(days=min(7, max(1, days // 2)))
        release = start - timedelta(days=min(3, max(1, days // 3)))
        actor = STAFF_OF.get(bureau, seed.ADMIN) if by_staff else seed.ADMIN

        async def create():
            reply = await self.command(actor, (
                f"admin session new case={case} bureau={bureau} start={start:%Y-%m-%dT%H:%M} minutes=120 "
                f"capacity={capacity} min={minimum} deadline={deadline:%Y-%m-%dT%H:%M} "
                f"release={release:%Y-%m-%dT%H:%M} duplicate=ok"))
            if announce:  # most sessions are announced as soon as they are made
                code = next((m.group(0) for m in re.finditer(r"\bS\d+\b", inv.answer_text(reply))), None)
                if code:
                    await self.command(actor, f"admin announce {code}")
            return reply
        self.model.sessions_created += 1
        self.act("session_new", create())

    @rule(session=st.sampled_from(SESSIONS), by_staff=st.booleans())
    def announce(self, session, by_staff):
        session = self.existing(session)
        self.act("announce", self.command(seed.STAFF_TOKYO if by_staff else seed.ADMIN, f"admin announce {session}"))

    @rule(session=st.sampled_from(SESSIONS), change=st.sampled_from(tuple(EDITS)), by_staff=st.booleans())
    def edit(self, session, change, by_staff):
        session = self.existing(session)
        async def edit():
            before = await self.session_row(session)
            if before is None:
                await self.command(seed.ADMIN, f"admin session edit {session} capacity=3")
                return
            registrants = await self.registrants(before.id)
            old = {f: getattr(before, f) for f in EDITED_FIELDS}
            actor = STAFF_OF.get(before.bureau, seed.ADMIN) if by_staff else seed.ADMIN
            await self.command(actor, f"admin session edit {session} {EDITS[change](before)}")
            after = await self.session_row(session)
            changed = tuple(f for f in EDITED_FIELDS if getattr(after, f) != old[f])
            if changed:
                self.model.edits.append(inv.Edit(session, registrants, changed))
        self.act("edit", edit())

    @rule(session=st.sampled_from(SESSIONS), reason=st.sampled_from(("", "会場の都合")))
    def cancel(self, session, reason):
        session = self.existing(session)
        self.act("cancel", self.command(seed.ADMIN, f"admin session cancel {session} {reason}".strip()))

    @rule(session=st.sampled_from(SESSIONS))
    def message(self, session):
        session = self.existing(session)
        self.act("message", self.command(seed.ADMIN, f"admin message {session} 受付は13:30からです"))

    @rule(session=st.sampled_from(SESSIONS), person=st.sampled_from(COORDINATORS))
    def attend(self, session, person):
        session = self.existing(session)
        self.act("attend", self.command(seed.ADMIN, f"admin attend {session} <@{person}>"))

    @rule(session=st.sampled_from(SESSIONS), pick=st.integers(0, 5), undo=st.booleans())
    def check_in(self, session, pick, undo):
        """The day-of check-in sheet: whoever is pressed is recorded as attending (undo takes it back).
        Only a confirmed (or held) session has a sheet, so S1… name those here."""
        session = self.existing(session, "confirmed", "held")
        async def check_in():
            reply = await self.command(seed.ADMIN, f"admin roster {session}")
            sheets = [m for m in reply.answer if ids.SESSION_CHECKIN in json.dumps(m.get("blocks") or [])]
            if not sheets:
                return
            sheet = world_message(self.world, seed.ADMIN, sheets[-1])
            action = ids.SESSION_CHECKIN_UNDO if undo else ids.SESSION_CHECKIN
            buttons = [(b, e) for b, e in interactive(sheet) if e.get("action_id") == action]
            if not buttons:
                return
            block, element = buttons[pick % len(buttons)]
            item = await self.session_row(session)
            await self.press(seed.ADMIN, sheet, action, block.get("block_id"), element.get("value"))
            async with self.ws.deps.uow(read_only=True) as uow:
                regs = {r.user_id: r.status for r in await uow.registrations.for_session(item.id)}
            # Attendance opens two hours before the start (earlier, the bot says it is too early:
            # invariant 9 holds it to saying so); from then on a press must record it.
            now = self.world.clock.now()
            open_ = item.status in ("confirmed", "held") and now >= item.starts_at - ATTENDANCE_OPENS_BEFORE
            wanted = "attended" if not undo and open_ else None
            value = str(element.get("value", ""))
            person = next((u for u in regs if u in value), None)
            if person is not None and wanted and regs[person] != "attended":
                inv.fail(9, f"check-in of {person} in {session} pressed, still {regs[person]}")
        self.act("check_in", check_in())

    @rule()
    def survey_planning(self):
        if not (not self.model.planning_sent):  # never a precondition: a replay must offer the same rules
            return
        self.model.planning_sent = True
        self.act("survey_planning", self.command(seed.ADMIN, "admin survey planning"))

    # --- material ---------------------------------------------------------------------------------------

    @rule(case=st.sampled_from(CASES), flagged=st.booleans(), by_lecturer=st.booleans())
    def upload(self, case, flagged, by_lecturer):
        uploader = seed.LECTURER if by_lecturer else seed.ADMIN

        async def upload():
            reply = await self.command(uploader, f"admin material add {case}")
            form = self.open_form(uploader, ids.MATERIAL_UPLOAD_VIEW)
            if form is None:  # a case that does not exist, or not the uploader's: the bot says which
                if case not in inv.answer_text(reply):
                    inv.fail(9, f"{uploader}'s `admin material add {case}` opened no form and said nothing of {case}")
                return reply
            file_id = self.world.fake.add_user_file(uploader, "case.txt", FLAGGED if flagged else CLEAN)
            await self.submit(uploader, form, {
                ids.MATERIAL_CASE_BLOCK: {ids.MATERIAL_CASE_INPUT: case},
                ids.MATERIAL_KIND_BLOCK: {ids.MATERIAL_KIND_INPUT: "material"},
                ids.MATERIAL_FILE_BLOCK: {ids.MATERIAL_FILE_INPUT: [file_id]},
            })
        self.act("upload", upload())

    @rule(by_lecturer=st.booleans(), action=st.sampled_from((ids.MATERIAL_ACCEPT_PROPOSAL, ids.MATERIAL_CONFIRM,
                                                              ids.MATERIAL_WITHDRAW)))
    def answer_proposal(self, by_lecturer, action):
        uploader = seed.LECTURER if by_lecturer else seed.ADMIN
        found = [m for m in self.world.fake.dm_messages(uploader) if action in json.dumps(m.get("blocks") or [])]
        if found:
            self.act("answer_proposal", self.press(uploader, found[-1], action))

    # --- the lecturer's request (事例作成の依頼) -------------------------------------------------------------

    @rule(theme=st.sampled_from(("medical_welfare", "immigration", "education")),
          days=st.sampled_from((0, 1, 5, 9, 30)), by_staff=st.booleans())
    def request(self, theme, days, by_staff):
        """The secretariat (or, refused, a bureau's staff) asks the lecturer for a case; a due date of
        today is refused in the form."""
        if not self.model.requests_made < 3:  # never a precondition: a replay must offer the same rules
            return
        self.model.requests_made += 1
        actor = seed.STAFF_TOKYO if by_staff else seed.ADMIN

        async def ask():
            await self.command(actor, "admin request")
            form = self.open_form(actor, ids.REQUEST_VIEW)
            if form is None:
                return
            due = self.world.clock.now().astimezone(START.tzinfo).date() + timedelta(days=days)
            typed = {"theme": theme, "title": f"依頼の事例 {self.model.requests_made}", "lecturer": seed.LECTURER,
                     "due": due.isoformat(), "note": "外来での通訳の手配を中心に"}
            await self.submit(actor, form, {
                ids.REQUEST_FIELD_BLOCKS[name][0]: {ids.REQUEST_FIELD_BLOCKS[name][1]: value}
                for name, value in typed.items()})
        self.act("request", ask())

    @rule(accept=st.booleans(), pick=st.integers(0, 5))
    def answer_request(self, accept, pick):
        """The lecturer accepts, or declines with a reason, one of the requests in their DM."""
        self.yes_or_no_with_a_form("answer_request", seed.LECTURER, pick, accept, ids.REQUEST_ACCEPT,
                                   ids.REQUEST_DECLINE, ids.REQUEST_DECLINE_VIEW,
                                   {ids.REQUEST_REASON_BLOCK: {ids.REQUEST_REASON_INPUT: "今年度は時間が取れません"}})

    @rule(approve=st.booleans(), pick=st.integers(0, 5))
    def review_request(self, approve, pick):
        """The secretariat approves, or returns with a note, material that arrived on a requested case."""
        self.yes_or_no_with_a_form("review_request", seed.ADMIN, pick, approve, ids.REQUEST_APPROVE,
                                   ids.REQUEST_RETURN, ids.REQUEST_RETURN_VIEW,
                                   {ids.REQUEST_RETURN_BLOCK: {ids.REQUEST_RETURN_INPUT: "経過をもう少し詳しく"}})

    def yes_or_no_with_a_form(self, name: str, user: str, pick: int, yes: bool, yes_button: str, no_button: str,
                              no_form: str, no_values: dict) -> None:
        """One of the messages in `user`'s DM with a yes button: yes pressed, or no pressed and the form it
        opens submitted with `no_values`."""
        found = [m for m in self.world.fake.dm_messages(user) if yes_button in json.dumps(m.get("blocks") or [])]
        if not found:
            return
        message = dict(found[pick % len(found)], channel=self.world.fake.dm_channel_id(user))
        self.act(name, self.press(user, message, yes_button) if yes else
                 self.press_and_fill(user, message, no_button, no_form, no_values))

    # --- the case library ------------------------------------------------------------------------------

    @rule(case=st.sampled_from(CASES))
    def publish_early(self, case):
        """The secretariat publishes a case before every bureau held it (so the library has something)."""
        case = self.existing_case(case)
        self.act("publish_early", self.command(seed.ADMIN, f"admin publish {case} confirm"))

    @rule(person=st.sampled_from(COORDINATORS), query=st.sampled_from(LIBRARY_QUERIES), open_first=st.booleans())
    def library(self, person, query, open_first):
        """Someone searches the library and perhaps opens the first case found."""
        if self.forgotten(person):
            return

        async def search():
            reply = await self.command(person, f"cases {query}".strip())
            if not open_first:
                return
            shown = next((m for m in reversed(self.world.fake.ephemerals(person))
                          if ids.LIBRARY_OPEN in json.dumps(m.get("blocks") or [])), None)
            if shown is not None and reply.answer:
                await self.press(person, shown, ids.LIBRARY_OPEN)
        self.act("library", search())

    # --- date polls (日程調整) ------------------------------------------------------------------------------

    POLL_GROUPS = (("UC01", "UC02", "UC03"), ("UC05", "UC06", "UC07", "UC09"))  # pledged; UC03, UC06, UC09 in English

    @initialize()
    def poll_groups_formed(self):
        """Both groups exist from the start of every year, so a poll rule drawn acts whenever it is drawn
        (a random year reached a poll only when poll_group happened to come before it)."""
        for number, members in enumerate(self.POLL_GROUPS):
            self.run(self._add_poll_group(list(members), number))
        self.poll_groups_made = len(self.POLL_GROUPS)

    @rule(members=st.sampled_from(POLL_GROUPS))
    def poll_group(self, members):
        """Coordinators the matching put together have accepted: an active study group with its private
        channel. Made in storage (matching and its nudges are not what these rules exercise); every poll
        rule then goes through the app."""
        made = getattr(self, "poll_groups_made", 0)
        if made >= 2:  # never a precondition: a replay must offer the same rules
            return
        self.poll_groups_made = made + 1
        members = [m for m in members if not self.forgotten(m)]
        self.begin("poll_group")
        self.run(self._add_poll_group(members, made))

    async def _add_poll_group(self, members: list[str], number: int) -> None:
        from storage.models import StudyGroup

        # as after the study groups' job brought them in: in the private channel, joined
        channel = self.world.fake.add_channel(f"study-poll-{number}", is_private=True, members=members)
        async with self.ws.deps.uow() as uow:
            group = await uow.study_groups.add(StudyGroup(bureau="tokyo", themes=["medical_welfare"], status="active",
                                                          channel_id=channel, created_at=self.world.clock.now()))
            for user in members:
                member = await uow.study_groups.add_member(group.id, user)
                member.status, member.joined_at = "accepted", self.world.clock.now()

    async def _poll_groups(self) -> list[tuple]:
        async with self.ws.deps.uow(read_only=True) as uow:
            found = []
            for group in await uow.study_groups.with_status("active"):
                members = [m.user_id for m in await uow.study_groups.members(group.id, "accepted")]
                if group.channel_id and members:
                    found.append((group, members))
            return found

    async def _polls(self) -> list[tuple]:
        """(poll, its slots, its group's members) of every poll, oldest first."""
        from sqlalchemy import select
        from storage.models import DatePoll

        async with self.ws.deps.uow(read_only=True) as uow:
            found = []
            for poll in await uow.session.scalars(select(DatePoll).order_by(DatePoll.id)):
                members = [m.user_id for m in await uow.study_groups.members(poll.group_id, "accepted")]
                found.append((poll, await uow.date_polls.slots(poll.id), members))
            return found

    async def _poll_answers(self, poll_id: int) -> dict:
        async with self.ws.deps.uow(read_only=True) as uow:
            return {(a.user_id, a.slot_id): a.answer for a in await uow.date_polls.answers(poll_id)}

    async def _posted(self, key: str) -> dict | None:
        """The message a delivery (by its dedupe key) posted, as Slack shows it now."""
        async with self.ws.deps.uow(read_only=True) as uow:
            sent = (await uow.outbox.by_dedupe_keys([key])).get(key)
        if sent is None or not (sent.slack_channel and sent.slack_ts):
            return None
        return dict(self.world.fake.message(sent.slack_channel, sent.slack_ts), channel=sent.slack_channel)

    @rule(pick=st.integers(0, 3), when=st.sampled_from(("soon", "later")))
    def poll_open(self, pick, when):
        """A member opens /jirei poll in their group's channel with three slots (the first of "soon" is
        too near to become a self-run session)."""
        opened = getattr(self, "polls_opened", 0)
        if opened >= 4:  # never a precondition: a replay must offer the same rules
            return
        groups = self.run(self._poll_groups())
        if not groups:
            return
        group, members = groups[pick % len(groups)]
        organiser = members[pick % len(members)]
        self.polls_opened = opened + 1

        async def open_poll():
            reply = await self.ws.driver.command(organiser, "poll", channel_id=group.channel_id)
            self.step.replies.append((organiser, reply))
            form = self.open_form(organiser, ids.POLL_VIEW)
            if form is None:
                return
            day = self.world.clock.now().astimezone(START.tzinfo).replace(hour=14, minute=0, second=0, microsecond=0)
            values = {ids.POLL_TITLE_BLOCK: {ids.POLL_TITLE_INPUT: f"勉強会 {opened + 1}"},
                      ids.POLL_GROUP_BLOCK: {ids.POLL_GROUP_INPUT: group.code}}
            for n, days in enumerate((1, 3, 5) if when == "soon" else (9, 10, 12), start=1):
                values[ids.POLL_SLOT_BLOCK.format(n=n)] = {ids.POLL_SLOT_INPUT: int((day + timedelta(days=days)).timestamp())}
            await self.submit(organiser, form, values)
        self.act("poll_open", open_poll())

    @rule(poll_pick=st.integers(0, 3), person_pick=st.integers(0, 3), slot_pick=st.integers(0, 2),
          choice=st.sampled_from(("yes", "maybe", "no")), where=st.sampled_from(("channel", "dm")), stale=st.booleans())
    def poll_answer(self, poll_pick, person_pick, slot_pick, choice, where, stale):
        """A member picks ○ △ × for a slot in the channel's table or in their DM, as Slack shows it now or in
        a copy seen earlier (a client not refreshed, after the close perhaps)."""
        from bot.polls.blocks import answer_value

        polls = self.run(self._polls())
        if not polls:
            return
        poll, slots, members = polls[poll_pick % len(polls)]
        if not members or not slots:
            return
        person, slot = members[person_pick % len(members)], slots[slot_pick % len(slots)]
        copies = self.__dict__.setdefault("poll_copies", {})
        key = f"poll:{poll.id}:table" if where == "channel" else f"poll:{poll.id}:ballot:{person}"
        message = copies.get((key, person)) if stale else self.run(self._posted(key))
        action = ids.POLL_ANSWER if where == "channel" else ids.POLL_DM_ANSWER
        block_id = ids.POLL_ANSWER_BLOCK.format(slot=slot.id)
        if message is None or not any(e.get("action_id") == action and b.get("block_id") == block_id
                                      for b, e in interactive(message)):
            return
        copies.setdefault((key, person), message)
        value = answer_value(poll.id, slot.id, choice)

        async def answer():
            before = await self._poll_answers(poll.id)
            if poll.status == "closed":  # an old select: it must say the poll is closed, and change nothing
                await self.press(person, message, action, block_id, value)
                if await self._poll_answers(poll.id) != before:
                    inv.fail(13, f"{person} answered closed poll {poll.id} in the {where}, and it was taken")
                return
            reply = await self.ws.driver.click(person, action, value, message=message, block_id=block_id)
            self.step.replies.append((person, reply))
            after = await self._poll_answers(poll.id)
            if after.get((person, slot.id)) != choice:
                inv.fail(13, f"{person}'s {choice} for slot {slot.id} of poll {poll.id} in the {where} was not kept")
        self.act("poll_answer", answer())

    @rule(poll_pick=st.integers(0, 3), slot_pick=st.integers(0, 2), outcome=st.sampled_from(("session", "reminder")))
    def poll_close(self, poll_pick, slot_pick, outcome):
        """The organiser presses 決定する and decides a slot: a self-run session (refused in the form when the
        slot is too near) or a plain reminder."""
        polls = [p for p in self.run(self._polls()) if p[0].status == "open"]
        if not polls:
            return
        poll, slots, members = polls[poll_pick % len(polls)]
        organiser = poll.organiser_user_id
        table = self.run(self._posted(f"poll:{poll.id}:table"))
        if table is None or organiser not in members or ids.POLL_CLOSE not in json.dumps(table.get("blocks") or []):
            return

        async def close():
            await self.press(organiser, table, ids.POLL_CLOSE)
            form = self.open_form(organiser, ids.POLL_CLOSE_VIEW)
            if form is None:
                return
            submitted = await self.submit(organiser, form, {
                ids.POLL_CLOSE_SLOT_BLOCK: {ids.POLL_CLOSE_SLOT_INPUT: str(slots[slot_pick % len(slots)].id)},
                ids.POLL_CLOSE_OUTCOME_BLOCK: {ids.POLL_CLOSE_OUTCOME_INPUT: outcome}})
            if (submitted.ack or {}).get("response_action") == "errors":
                await self.ws.driver.close_view(organiser, form)
        self.act("poll_close", close())

    # --- time, the process, Slack --------------------------------------------------------------------------

    @rule(by=st.sampled_from(tuple(MOVES) + ("next session",)))
    def clock(self, by):
        """Time passes: by a span, or to the start of the next session still to come (a real year has
        the days its sessions happen, when attendance is open and the sheet is used)."""
        if not (self.world.clock.now() < YEAR_END):  # never a precondition: a replay must offer the same rules
            return
        delta = MOVES.get(by) or self.run(self._until_next_session())
        if delta is None:
            return
        self.begin("clock")
        self.step.clock_moved = True
        self.run(self.advance(delta))

    async def _until_next_session(self) -> timedelta | None:
        now = self.world.clock.now()
        async with self.ws.deps.uow(read_only=True) as uow:
            starts = [s.starts_at for s in await uow.sessions.with_status("open", "confirmed") if s.starts_at > now]
        return min(starts) - now if starts else None

    async def advance(self, delta: timedelta) -> None:
        """The clock moves from one scheduled moment to the next (as the local workspace's advance),
        and at each, every periodic job runs and whatever is due is delivered."""
        from bot.features import WIRING
        from bot.sessions.jobs import next_scheduled

        clock = self.world.clock
        target = clock.now() + delta
        await self.due_now()
        while clock.now() < target:
            upcoming = await next_scheduled(self.ws.deps, WIRING.next_due)
            clock.set(target if upcoming is None or upcoming > target
                      else max(upcoming, clock.now() + timedelta(seconds=1)))
            await self.due_now()

    async def due_now(self) -> None:
        for _ in range(3):
            result = await self.ws.runtime.drain()
            await self.ws.driver.settle()
            if not result.claimed and not result.due_after:
                break
        # Material sent at this moment is judged by who was entitled at this moment, not at the end
        # of a move of two weeks, when a session called off since may have cancelled its registrations.
        await inv.material_sent_to_the_entitled(self.world, self.model)

    @rule()
    def restart(self):
        if not (self.world.restarts < 3):  # never a precondition: a replay must offer the same rules
            return
        self.begin("restart")
        self.run(self.world.restart())
        self.run(self.ws.run_due())

    @rule(method=st.sampled_from(("chat.postMessage", "chat.update")))
    def slack_hiccup(self, method):
        """Slack answers the next call of a method with a 500 (the outbox must retry, once)."""
        self.begin("slack_hiccup")
        self.world.fake.fail(method, 500, times=1)

    # --- buttons, old and new ---------------------------------------------------------------------------------

    @rule(pick=st.integers(0, 10_000))
    def press_a_button(self, pick):
        """Someone presses a button of any message they were ever sent (days old, perhaps)."""
        choices = buttons_in_slack(self.world)
        choices = [c for c in choices if not self.forgotten(c[0])]
        if not choices:
            return
        user, message, block, element = choices[pick % len(choices)]
        self.model.buttons_pressed += 1
        self.act("press_a_button", self.press(user, message, element["action_id"], block.get("block_id"),
                                              element.get("value", "")))

    @rule(person=st.sampled_from(COORDINATORS), how=st.sampled_from(("all", "half", "cancel")))
    def survey(self, person, how):
        """Answer the newest survey in the DM: all of it, half of it, or start and cancel."""
        if self.forgotten(person):
            return
        invitation = next((m for m in reversed(self.world.fake.dm_messages(person))
                           if ids.SURVEY_START in json.dumps(m.get("blocks") or [])), None)
        if invitation is None:
            return

        async def answer():
            await self.press(person, invitation, ids.SURVEY_START)
            for index in range(40):
                dialog = next((m for m in reversed(self.world.fake.dm_messages(person))
                               if ids.SURVEY_ANSWER_BLOCK in json.dumps(m.get("blocks") or [])), None)
                if dialog is None or (how == "half" and index == 2):
                    return
                if how == "cancel":
                    if any(e.get("action_id") == ids.SURVEY_CANCEL for _, e in interactive(dialog)):
                        await self.press(person, dialog, ids.SURVEY_CANCEL)
                    return
                elements = interactive(dialog)
                choose = [(b, e) for b, e in elements if str(e.get("action_id", "")).startswith(ids.SURVEY_CHOOSE)
                          and e.get("type") == "button"]
                multi = [(b, e) for b, e in elements if e.get("action_id") == ids.SURVEY_MULTI]
                skip = [(b, e) for b, e in elements if e.get("action_id") == ids.SURVEY_SKIP]
                before = len(self.world.fake.calls)
                if choose:
                    await self.press(person, dialog, choose[0][1]["action_id"], choose[0][0].get("block_id"),
                                     choose[0][1].get("value"))
                elif multi:
                    block, element = multi[0]
                    options = element.get("options") or []
                    await self.ws.driver.click(person, ids.SURVEY_MULTI, [options[0]["value"]] if options else [],
                                               message=dialog, block_id=block.get("block_id"))
                    redrawn = dict(self.world.fake.message(dialog["channel"], dialog["ts"]), channel=dialog["channel"])
                    # A redraw Slack refused (slack_hiccup) can leave an old question showing; ticking it, the
                    # bot shows the current one instead, with no 次へ: the loop reads the dialog again.
                    if any(e.get("action_id") == ids.SURVEY_NEXT for _, e in interactive(redrawn)):
                        await self.press(person, redrawn, ids.SURVEY_NEXT)
                elif skip:
                    await self.press(person, dialog, ids.SURVEY_SKIP)
                else:
                    reply = await self.ws.driver.send_dm(person, "特になし")
                    self.step.replies.append((person, reply))
                if len(self.world.fake.calls) == before:
                    return
        self.act("survey", answer())


# --- reading buttons out of the fake Slack --------------------------------------------------------------


def interactive(message: dict) -> list[tuple[dict, dict]]:
    found = []
    for block in message.get("blocks") or []:
        elements = block.get("elements") or ([block["accessory"]] if isinstance(block.get("accessory"), dict) else [])
        for element in elements:
            if isinstance(element, dict) and element.get("action_id"):
                found.append((block, element))
    return found


def buttons_in_slack(world) -> list[tuple[str, dict, dict, dict]]:
    """(who can press it, message, block, button) for every button of every message still in Slack:
    DMs (pressed by their person), group DMs and channels (by a member)."""
    out = []
    for conversation in world.fake.conversations.values():
        if conversation.kind == "im":
            pressers = [conversation.user]
        else:
            pressers = [m for m in conversation.members if m.startswith("U") and m != world.fake.bot_user_id][:1]
        if not pressers or pressers[0] is None:
            continue
        for message in conversation.messages:
            for block, element in interactive(message):
                if element.get("type") == "button" and not element.get("url"):
                    out.append((pressers[0], dict(message, channel=conversation.id), block, element))
    return out


def world_message(world, user: str, shown: dict) -> dict:
    """A message shown through the response_url, as a stored message (or ephemeral) to press on."""
    for ephemeral in reversed(world.fake.ephemerals(user)):
        if ephemeral.get("blocks") == shown.get("blocks"):
            return ephemeral
    for message in reversed(world.fake.dm_messages(user)):
        if message.get("blocks") == shown.get("blocks"):
            return dict(message, channel=world.fake.dm_channel_id(user))
    return dict(shown, channel=world.fake.dm_channel_id(user), ts=world.fake.message_ts() if hasattr(
        world.fake, "message_ts") else "1.0")
