"""What must always hold, checked after every step of a simulated year.

Each invariant is a function ``check(world, model, step)`` registered with ``@invariant(number, name)``;
it raises ``Violation`` when the app broke it. The machine runs every registered check after every
step and counts the checks (``CHECKED``), so a new feature adds its own invariant by writing one more
decorated function here (or in a module that imports ``invariant``). A check reads the database, the
fake Slack and the model; it never changes them.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable
from zoneinfo import ZoneInfo

from sqlalchemy import String, or_, select

from bot.core.i18n import catalog
from bot.local.slack.escaping import payload_faults
from bot.privacy.results import TOMBSTONE_PREFIX
from config.reference import bureaus, themes
from storage.models import (AuditEntry, Base, Case, CaseRequest, CaseSession, Coordinator, Delivery, LibraryEntry,
                            Material, Registration, SurveyInvite, SurveyResponse, SurveyRun)

BUREAU_CODES = tuple(b.code for b in bureaus())
THEME_CODES = tuple(t.code for t in themes())


class Violation(AssertionError):
    """An invariant the app broke, with what was seen."""

    def __init__(self, number: int, name: str, detail: str) -> None:
        super().__init__(f"invariant {number} ({name}) violated: {detail}")
        self.number = number


@dataclass
class Invariant:
    number: int
    name: str
    check: Callable[..., Awaitable[None]]


INVARIANTS: list[Invariant] = []
CHECKED: Counter = Counter()  # invariant number → how many times it was checked (all machines of the process)


def invariant(number: int, name: str):
    def register(check):
        INVARIANTS.append(Invariant(number, name, check))
        INVARIANTS.sort(key=lambda item: item.number)
        return check
    return register


@dataclass
class Edit:
    """A change the model saw made to a session: who was registered then, and what changed."""

    session_code: str
    registrants: frozenset[str]
    changed: tuple[str, ...]


@dataclass
class Step:
    """What one step did: where the fake Slack's records stood before it, the deliveries created
    during it, and what the bot answered (the replies of the interactions the step sent)."""

    name: str
    first_call: int
    first_ack: int
    first_delivery: int
    replies: list[tuple[str, Any]] = field(default_factory=list)  # (actor, Reply)
    clock_moved: bool = False


@dataclass
class Model:
    """The model kept beside the app: what people did, as the simulation knows it."""

    edits: list[Edit] = field(default_factory=list)
    forgotten: dict[str, datetime] = field(default_factory=dict)  # user id → when they asked
    sessions_created: int = 0
    cases_created: int = 0
    stalled_since: dict[tuple[str, str], datetime] = field(default_factory=dict)  # (case, bureaus) → first seen
    survey_seen: dict[int, tuple[int, int]] = field(default_factory=dict)  # run id → (completed, responses)
    material_seen: set[int] = field(default_factory=set)  # material deliveries already checked
    buttons_pressed: int = 0
    # Preconditions read only these counters of the model, never the app, so a replayed sequence
    # offers the same rules (Hypothesis requires it to shrink).
    planning_sent: bool = False
    forget_requests: int = 0
    requests_made: int = 0
    # poll id → its close as first seen: forget-me of the organiser coarsens the poll's closed_at to the day
    polls_closed_at: dict[int, datetime] = field(default_factory=dict)
    # Invariant 2's memory: each registration's status at the last check (by row id, which forget-me
    # keeps), and the attendance records of people who held no seat when they were checked in.
    registration_seen: dict[int, str] = field(default_factory=dict)
    walk_ins: set[int] = field(default_factory=set)


def forgotten(model: Model, user_id: str) -> bool:
    """Someone who asked to be forgotten: by their id, or by the tombstone id that took its place in the
    rows kept (deliveries among them) once they were."""
    return user_id in model.forgotten or user_id.startswith(TOMBSTONE_PREFIX)


def fail(number: int, detail: str) -> None:
    name = next(item.name for item in INVARIANTS if item.number == number)
    raise Violation(number, name, detail)


# --- reading the app's state -----------------------------------------------------------------------


async def rows(world, model_class, *where) -> list:
    async with world.ws.deps.uow(read_only=True) as uow:
        return list(await uow.session.scalars(select(model_class).where(*where)))


def new_calls(world, step: Step):
    return world.fake.calls[step.first_call:]


def shown_texts(world, step: Step) -> list[tuple[str, str]]:
    """(where, text) of every text a person can read in what the bot sent during the step."""
    out: list[tuple[str, str]] = []
    for call in new_calls(world, step):
        if call.method in ("upload", "download"):
            continue
        out += [(call.method, text) for text in _texts(call.params)]
    out += [("ack", text) for ack in world.fake.acks[step.first_ack:] for text in _texts(ack)]
    return out


_NOT_SHOWN = {"action_id", "block_id", "value", "url", "callback_id", "private_metadata", "type", "style",
              "image_url", "external_id", "initial_value", "dispatch_action_config", "channel", "ts", "user",
              "thread_ts", "token", "channel_id", "file_id", "files", "filename", "file_uploads", "metadata",
              "trigger_id", "view_id", "hash", "user_id", "users", "response_type", "replace_original",
              "delete_original", "id", "external_id", "unfurl_links", "unfurl_media", "mrkdwn", "emoji",
              "verbatim", "alt_text", "min_query_length", "initial_date", "initial_time", "initial_option",
              "initial_options", "initial_user", "initial_users", "initial_conversation", "filter", "focus_on_load",
              "max_files", "filetypes", "multiline", "max_length", "min_length", "optional", "dispatch_action",
              "notify_on_close", "clear_on_close", "submit_disabled", "is_workflow_step", "blocks_json", "length"}


def _texts(node: Any) -> list[str]:
    if isinstance(node, str):
        try:
            decoded = json.loads(node) if node[:1] in "[{" else None
        except ValueError:
            decoded = None
        return _texts(decoded) if decoded is not None else [node]
    if isinstance(node, list):
        return [text for item in node for text in _texts(item)]
    if isinstance(node, dict):
        return [text for key, value in node.items() if key not in _NOT_SHOWN for text in _texts(value)]
    return []


def answer_text(reply) -> str:
    return "\n".join(" ".join(_texts(item)) for item in reply.answer)


# --- 1. material ------------------------------------------------------------------------------------


async def material_sent_to_the_entitled(world, model: Model, sent: list | None = None) -> None:
    """Each material delivery sent since the last look went to someone confirmed (or attended) and
    pledged as things stand now. The clock rule looks at every moment it stops at, as the sends are
    made: a session called off two days after its release cancels registrations whose material went
    out rightly (a 5-year soak, seed 451, judged that send by the status at the step's end)."""
    if sent is None:
        sent = await rows(world, Delivery, Delivery.kind == "material", Delivery.status == "sent")
    fresh = [d for d in sent if d.id not in model.material_seen]
    if fresh:
        async with world.ws.deps.uow(read_only=True) as uow:
            for delivery in fresh:
                reg = await uow.registrations.get(delivery.payload["session_id"], delivery.recipient)
                person = await uow.coordinators.get(delivery.recipient)
                if delivery.recipient in model.forgotten or (person is None and reg is not None
                                                             and reg.user_id != delivery.recipient):
                    continue
                if reg is None or reg.status not in ("confirmed", "attended"):
                    fail(1, f"material {delivery.payload} went to {delivery.recipient}, "
                            f"registered as {reg.status if reg else 'nothing'}")
                if person is None or person.pledge_accepted_at is None:
                    fail(1, f"material {delivery.payload} went to {delivery.recipient} without the pledge")
                model.material_seen.add(delivery.id)


@invariant(1, "material reaches only confirmed participants who gave the pledge, exactly once per version")
async def material_once_to_the_pledged(world, model: Model, step: Step) -> None:
    sent = await rows(world, Delivery, Delivery.kind == "material", Delivery.status == "sent")
    per_version = Counter((d.recipient, d.payload.get("session_id"), d.payload.get("material_id")) for d in sent)
    twice = [key for key, n in per_version.items() if n > 1]
    if twice:
        fail(1, f"sent more than once: {twice}")
    await material_sent_to_the_entitled(world, model, sent)
    # … and it reaches every one of them: once the release time has passed, each confirmed, pledged
    # participant of a session whose case has a releasable material has been sent its newest version.
    now = world.clock.now()
    sent_keys = {(d.recipient, d.payload.get("session_id"), d.payload.get("material_id")) for d in sent}
    async with world.ws.deps.uow(read_only=True) as uow:
        from bot.materials.service import releasable_material
        for item in await uow.sessions.with_status("open", "confirmed"):
            if item.case_id is None or item.release_at is None or item.release_at > now - timedelta(minutes=2):
                continue
            material = await releasable_material(uow, item.case_id)
            if material is None:
                continue
            # A walk-in recorded as attending held no seat when the material went out: it owes them none
            # (a 5-year soak, seed 946: someone recorded as attending after the release).
            regs = await uow.registrations.for_session(item.id, "confirmed", "attended")
            note_walk_ins(model, regs)
            for reg in regs:
                person = await uow.coordinators.get(reg.user_id)
                if person is None or person.pledge_accepted_at is None or reg.id in model.walk_ins:
                    continue
                if (reg.user_id, item.id, material.id) not in sent_keys:
                    fail(1, f"{reg.user_id} confirmed and pledged in {item.code} has not been sent "
                            f"material version {material.version} (released {item.release_at:%Y-%m-%d %H:%M})")


# --- 2. capacity and the waitlist ----------------------------------------------------------------------


def note_walk_ins(model: Model, regs) -> None:
    """Attendance records who came: someone without a seat (waitlisted, left, never registered) who
    turned up is recorded too, on the day or afterwards (README). The model remembers each registration's
    status at the last look, so it knows which attendance records came from a seat and which did not."""
    for reg in regs:
        before = model.registration_seen.get(reg.id)
        if reg.status == "attended" and before != "attended":
            if before in ("confirmed", "no_show"):
                model.walk_ins.discard(reg.id)
            else:
                model.walk_ins.add(reg.id)
        model.registration_seen[reg.id] = reg.status


@invariant(2, "capacity is never exceeded; the waitlist is served in order")
async def capacity_and_order(world, model: Model, step: Step) -> None:
    async with world.ws.deps.uow(read_only=True) as uow:
        sessions = list(await uow.session.scalars(select(CaseSession)))
        for item in sessions:
            regs = sorted(await uow.registrations.for_session(item.id), key=lambda r: (r.registered_at, r.id))
            # Attendance records who came: someone without a seat (waitlisted, left, never registered) who
            # turned up is recorded too, on the day or afterwards (README), and holds no seat by it. Only
            # a seat given by registration counts: confirmed, no-show, or checked in from a seat.
            note_walk_ins(model, regs)
            confirmed = [r for r in regs if r.status in ("confirmed", "no_show")
                         or r.status == "attended" and r.id not in model.walk_ins]
            if len(confirmed) > item.capacity:
                fail(2, f"{item.code}: {len(confirmed)} confirmed for {item.capacity} seats")
            if item.lottery or item.status not in ("open", "confirmed"):
                continue
            waiting = [r for r in regs if r.status == "waitlisted"]
            held = [r for r in regs if r.status == "confirmed"]
            if waiting and len(held) < item.capacity:
                fail(2, f"{item.code}: {len(held)} of {item.capacity} seats taken while "
                        f"{[r.user_id for r in waiting]} wait")
            if waiting and held:
                last_seated, first_waiting = max(held, key=lambda r: (r.registered_at, r.id)), waiting[0]
                if (last_seated.registered_at, last_seated.id) > (first_waiting.registered_at, first_waiting.id):
                    fail(2, f"{item.code}: {last_seated.user_id} (registered {last_seated.registered_at}) has a seat "
                            f"while {first_waiting.user_id} (registered {first_waiting.registered_at}) waits")


# --- 3. change notices ------------------------------------------------------------------------------


@invariant(3, "every change to a session reaches each registrant exactly once, with before → after")
async def every_change_once(world, model: Model, step: Step) -> None:
    changed = await rows(world, Delivery, Delivery.kind == "session_changed")
    all_sessions = await rows(world, CaseSession)
    sessions = {s.code: s.id for s in all_sessions}
    # A notice still waiting (a retry after Slack failed) when its session is cancelled is dropped on
    # purpose: the cancellation notice supersedes it, and "the time changed" after "cancelled" would mislead.
    superseded = {s.id for s in all_sessions if s.status == "cancelled"}
    by_person = Counter((d.payload.get("session_id"), d.recipient) for d in changed
                        if d.status != "cancelled" or d.payload.get("session_id") in superseded)
    expected: Counter = Counter()
    for edit in model.edits:
        for user in edit.registrants:
            if user not in model.forgotten:
                expected[(sessions[edit.session_code], user)] += 1
    for key in set(expected) | set(by_person):
        if forgotten(model, key[1]):
            continue
        if by_person[key] != expected[key]:
            code = next(c for c, i in sessions.items() if i == key[0])
            fail(3, f"{key[1]} was owed {expected[key]} change notice(s) for {code}, the outbox holds {by_person[key]}")
    unsent = [d for d in changed if d.status not in ("sent", "cancelled") and d.due_at <= world.clock.now()
              and not forgotten(model, d.recipient)]
    if unsent:
        fail(3, f"change notices due and not sent: {[(d.recipient, d.status, d.last_error) for d in unsent]}")
    for call in new_calls(world, step):
        if call.method == "chat.postMessage" and ("内容が変わりました" in str(call.params) or "has changed" in str(call.params)):
            if "→" not in str(call.params):
                fail(3, f"a change notice without before → after: {str(call.params)[:300]}")


# --- 4. no case stalls in silence ----------------------------------------------------------------------


@invariant(4, "every case is published once all eight bureaus held it, or the secretariat was told what blocks it")
async def no_silent_stall(world, model: Model, step: Step) -> None:
    now = world.clock.now()
    async with world.ws.deps.uow(read_only=True) as uow:
        cases = list(await uow.session.scalars(select(Case)))
        for case in cases:
            if case.published_at is not None:
                continue
            sessions = [s for s in await uow.sessions.for_case(case.id) if s.kind == "official"]
            if not sessions:
                continue
            substitutes = {s.substitute_of_id: s for s in await uow.sessions.substitutes_of([s.id for s in sessions])}
            held, live, tried = set(), set(), set()
            for s in sessions:
                tried.add(s.bureau)
                sub = substitutes.get(s.id)
                if s.status in ("held", "closed") or (sub is not None and sub.status in ("held", "closed")):
                    held.add(s.bureau)
                elif s.status in ("open", "confirmed") or (sub is not None and sub.status in ("open", "confirmed")):
                    live.add(s.bureau)
            blocked = sorted(b for b in tried if b not in held and b not in live)
            if len(held) == len(BUREAU_CODES):
                key = (case.code, "ready")
            elif blocked:
                key = (case.code, ",".join(blocked))
            else:
                continue
            first_seen = model.stalled_since.setdefault(key, now)
            if now - first_seen < timedelta(hours=2):
                continue
            if key[1] == "ready":
                fail(4, f"{case.code} was held by all eight bureaus at {first_seen} and is still not published")
            told = [d for d in await uow.outbox.by_kind_for_case(case.id) if d.kind == "case_incomplete"] \
                if hasattr(uow.outbox, "by_kind_for_case") else \
                list(await uow.session.scalars(select(Delivery).where(Delivery.kind == "case_incomplete")))
            told = [d for d in told if d.payload.get("case_id") == case.id and set(blocked) <= set(d.payload.get("stalled", {}))
                    and d.status == "sent"]
            if not told:
                fail(4, f"{case.code} cannot be held at {blocked} since {first_seen:%Y-%m-%d %H:%M} "
                        f"and the secretariat has not been told")


# --- 5. stated counts ------------------------------------------------------------------------------------


def _pattern(template: str) -> re.Pattern:
    parts = re.split(r"(\{[a-z_]+\})", template)
    regex = ""
    for part in parts:
        if part == "{count}":
            regex += r"(?P<count>\d+)"
        elif part == "{code}":
            regex += r"(?P<code>[A-Z]+\d+)"
        elif part.startswith("{") and part.endswith("}"):
            regex += r".*?"
        else:
            regex += re.escape(part)
    return re.compile(regex, re.S)


# the answer's catalog key → the delivery kind whose rows created in the step it counts
COUNTED = {
    "sessions.announced": ("session_invitation",),
    "sessions.announced_again": ("session_invitation",),
    "sessions.edited": ("session_changed",),
    "sessions.cancelled_done": ("session_cancelled",),
    "sessions.message_sent": ("session_message",),
    "survey_runs.sent": ("survey_invitation",),
}


def _counted_patterns() -> list[tuple[str, tuple[str, ...], re.Pattern]]:
    found = []
    for lang in ("ja", "en"):
        texts = catalog(lang)
        for key, kinds in COUNTED.items():
            found.append((key, kinds, _pattern(texts[key])))
    return found


@invariant(5, "every count the bot states equals what it did")
async def stated_counts(world, model: Model, step: Step) -> None:
    patterns = _counted_patterns()
    created = await rows(world, Delivery, Delivery.id >= step.first_delivery)
    for actor, reply in step.replies:
        text = answer_text(reply)
        for key, kinds, pattern in patterns:
            for match in pattern.finditer(text):
                stated = int(match.group("count"))
                did = sum(1 for d in created if d.kind in kinds)
                if stated != did:
                    fail(5, f"{actor} was told {match.group(0)!r} ({key}), the bot queued {did} {'/'.join(kinds)}")


# --- 6. nothing internal reaches a person -------------------------------------------------------------------

_USER_ID = re.compile(r"(?<![@A-Za-z0-9_])U[A-Z0-9]{5,}(?![A-Za-z0-9_])")
_CODE_WORDS = tuple(c for c in THEME_CODES if "_" in c) + ("in_person", "bureau_staff") + BUREAU_CODES


def _all_keys() -> set[str]:
    return set(catalog("ja")) | set(catalog("en"))


@invariant(6, "no message holds an internal code, a raw user id outside a mention, an untranslated key or an escaping fault")
async def nothing_internal_shown(world, model: Model, step: Step) -> None:
    users, channels = set(world.fake.users), set(world.fake.conversations)
    for call in new_calls(world, step):
        if call.method in ("upload", "download"):
            continue
        faults = payload_faults(call.params, call.method, users=users, channels=channels)
        if faults:
            fail(6, f"escaping faults in {call.method}: {[str(f) for f in faults[:3]]}")
    keys = _all_keys()
    for where, text in shown_texts(world, step):
        bare = re.sub(r"`[^`]*`", " ", text)  # command examples show codes and syntax
        bare = re.sub(r"<[^>]*>|https?://\S+", " ", bare)  # mentions and links
        for match in _USER_ID.finditer(bare):
            if match.group(0) in users or match.group(0).startswith("UC"):
                fail(6, f"a raw user id {match.group(0)} in {where}: {text[:200]!r}")
        for word in re.findall(r"[a-z][a-z_]*(?:\.[a-z_]+)+", bare):
            if word in keys:
                fail(6, f"an untranslated catalog key {word} in {where}: {text[:200]!r}")
        for code in _CODE_WORDS:
            if re.search(rf"(?<![A-Za-z0-9_./-]){re.escape(code)}(?![A-Za-z0-9_])", bare):
                fail(6, f"the internal code {code!r} in {where}: {text[:300]!r}")


# --- 7. survey answers cannot be tied to a person --------------------------------------------------------------


@invariant(7, "survey answers cannot be tied to a person by anything stored")
async def survey_unlinkable(world, model: Model, step: Step) -> None:
    everyone = [p.user_id for p in world.people]
    responses = await rows(world, SurveyResponse)
    for response in responses:
        if response.bureau is not None:
            fail(7, f"a response carries its bureau in clear: {response.bureau}")
        text = world.cipher.decrypt(bytes(response.answers_encrypted)).decode("utf-8", "replace")
        named = [u for u in everyone if u in text]
        if named:
            fail(7, f"a response names {named}")
    # The probe: whoever copies the database after every step sees which invites turned complete and
    # which responses appeared. A step that writes responses must write at least five at once (or the
    # run is closing); a step that completes an invite without writing keeps it waiting, encrypted.
    runs = {r.id: r for r in await rows(world, SurveyRun)}
    invites = await rows(world, SurveyInvite)
    for run_id, run in runs.items():
        completed = sum(1 for i in invites if i.run_id == run_id and i.completed)
        written = sum(1 for r in responses if r.run_id == run_id)
        before = model.survey_seen.get(run_id, (0, 0))
        model.survey_seen[run_id] = (completed, written)
        new_written = written - before[1]
        if 0 < new_written < 5 and run.status != "closed":
            fail(7, f"run {run.code}: {new_written} response(s) written at once while open: "
                    f"a copy taken before and after ties them to the invites flipped")
        flipped = completed - before[0]
        if 0 < flipped < 5 and new_written > 0 and run.status != "closed":
            fail(7, f"run {run.code}: {flipped} invite(s) completed in the step that wrote {new_written} response(s)")


# --- 8. forget-me -------------------------------------------------------------------------------------------------


@invariant(8, "after forget-me nothing about the person is left but the audit row")
async def forgotten_leave_only_the_audit_row(world, model: Model, step: Step) -> None:
    if not model.forgotten:
        return
    async with world.ws.deps.uow(read_only=True) as uow:
        for mapper in Base.registry.mappers:
            table = mapper.local_table
            columns = [c for c in table.columns if isinstance(c.type, String)]
            if not columns:
                continue
            found = (await uow.session.execute(select(table).where(
                or_(*(c.in_(list(model.forgotten)) for c in columns))))).all()
            for row in found:
                values = dict(row._mapping)
                if table.name == "audit_log" and values.get("action") == "privacy.forget_me":
                    continue
                if table.name == "proposal_counts":
                    continue  # kept through forget-me until the month ends (README)
                fail(8, f"{table.name} still holds a forgotten person: { {k: v for k, v in values.items() if isinstance(v, (str, int))} }")
    for user, when in model.forgotten.items():
        dm = world.fake.conversations.get(world.fake.dm_channel_id(user))
        later = [m for m in (dm.messages if dm else []) if float(m["ts"]) > when.timestamp() + 1]
        if later:
            fail(8, f"{user} was written to after forget-me: {str(later[-1].get('text'))[:200]}")


# --- 9. old buttons -----------------------------------------------------------------------------------------------


@invariant(9, "every button still answers sensibly when pressed later, never silently")
async def buttons_answer(world, model: Model, step: Step) -> None:
    for actor, reply in step.replies:
        if getattr(reply, "pressed", None) is None:
            continue
        if reply.status != 200:
            fail(9, f"{actor} pressed {reply.pressed}: answered HTTP {reply.status}")
        visible = [c for c in reply.calls if c.method in ("response_url", "chat.postMessage", "chat.update",
                                                          "chat.postEphemeral", "views.open", "views.update",
                                                          "views.push", "views.publish", "files.completeUploadExternal")]
        if not visible and not (reply.ack and (reply.ack.get("text") or reply.ack.get("blocks"))):
            fail(9, f"{actor} pressed {reply.pressed} and saw nothing")


# --- 10. Slack's rules ---------------------------------------------------------------------------------------------


def _allowed_methods() -> set[str]:
    from tests.test_manifest import METHOD_SCOPES, ROOT  # the method → scopes table the manifest test keeps

    declared = set(json.loads((ROOT / "manifest.json").read_text(encoding="utf-8"))["oauth_config"]["scopes"]["bot"])
    allowed = {m for m, scopes in METHOD_SCOPES.items() if scopes <= declared or not scopes or scopes & declared}
    if "files.upload.v2" in allowed:
        allowed |= {"files.getUploadURLExternal", "files.completeUploadExternal", "upload"}
    if "files.download" in allowed:
        allowed.add("download")
    return allowed | {"response_url"}


@invariant(10, "the fake Slack records no Block Kit violation and no method outside the manifest's scopes")
async def slack_rules(world, model: Model, step: Step) -> None:
    if world.fake.violations:
        fail(10, f"Block Kit violations: {world.fake.violations[:3]}")
    allowed = _allowed_methods()
    for call in new_calls(world, step):
        if call.method not in allowed:
            fail(10, f"{call.method} is not allowed by the manifest's scopes")
        if isinstance(call.response, dict) and call.response.get("ok") is False and call.status == 200 \
                and call.response.get("error") not in ("message_not_found", "ratelimited"):
            fail(10, f"{call.method} refused by Slack: {call.response.get('error')}")


JST = ZoneInfo("Asia/Tokyo")


# --- 11. the lecturer's request ------------------------------------------------------------------------------------


@invariant(11, "a requested case's material goes out only once that version was approved by someone other than its "
               "uploader; a request's reminders fall on a weekday at 10:00, before the due date, once per stage")
async def requested_material_approved_first(world, model: Model, step: Step) -> None:
    requests = {r.case_id: r for r in await rows(world, CaseRequest) if r.case_id is not None}
    if not requests:
        return
    approvals = [a for a in await rows(world, AuditEntry, AuditEntry.action == "case_request.review",
                                       AuditEntry.outcome == "ok") if a.detail.get("approved")]
    materials = {m.id: m for m in await rows(world, Material)}
    for delivery in await rows(world, Delivery, Delivery.kind.in_(("material", "portal_publication")),
                               Delivery.status == "sent"):
        material = materials.get(delivery.payload.get("material_id"))
        if delivery.kind == "portal_publication" or material is None or material.case_id not in requests:
            continue
        request = requests[material.case_id]
        if not any(a.target == request.code and a.detail.get("version") == material.version
                   and a.actor != material.uploaded_by and a.at <= delivery.sent_at for a in approvals):
            fail(11, f"{request.code}: version {material.version} went to {delivery.recipient} without an approval "
                     f"by someone other than its uploader")
    tz = JST
    stages = Counter()
    for reminder in await rows(world, Delivery, Delivery.kind == "case_request_due"):
        local = reminder.due_at.astimezone(tz)
        request = next((r for r in requests.values() if r.id == reminder.payload.get("request_id")), None)
        stages[(reminder.payload.get("request_id"), reminder.payload.get("stage"))] += 1
        if local.weekday() >= 5 or (local.hour, local.minute) != (10, 0) or \
                (request is not None and local.date() >= request.due_on):
            fail(11, f"a reminder of request {reminder.payload.get('request_id')} is due {local:%a %Y-%m-%d %H:%M}")
    if stages and max(stages.values()) > 1:
        fail(11, f"a request's reminder queued twice: {stages.most_common(1)}")


# --- 12. the case library ----------------------------------------------------------------------------------------


@invariant(12, "the library holds and finds only published cases and shared ones, and opens them only to the pledged")
async def library_only_published_and_pledged(world, model: Model, step: Step) -> None:
    entries = {e.case_id: e for e in await rows(world, LibraryEntry)}
    cases = {c.id: c for c in await rows(world, Case, Case.id.in_(list(entries)))} if entries else {}
    shared = {a.target for a in await rows(world, AuditEntry, AuditEntry.action == "library.share",
                                           AuditEntry.outcome == "ok")}
    for case_id, entry in entries.items():
        if entry.source == "official" and cases[case_id].published_at is None:
            fail(12, f"C{case_id} is in the library but not published")
        if entry.source == "self_run" and f"C{case_id}" not in shared:
            fail(12, f"C{case_id}, a study group's case, is in the library though its group never shared it")
    for actor, reply in step.replies:
        for shown in reply.answer:
            for block in shown.get("blocks") or []:
                accessory = block.get("accessory") or {}
                code = str(accessory.get("value", ""))
                if accessory.get("action_id") == "library_open" and int(code[1:] or 0) not in entries:
                    fail(12, f"{actor} was shown {code} in the library, which holds no such case")
    sent = await rows(world, Delivery, Delivery.kind == "library_case", Delivery.status == "sent")
    people = {c.slack_user_id: c for c in await rows(world, Coordinator, Coordinator.slack_user_id.in_(
        [d.recipient for d in sent]))} if sent else {}
    for delivery in sent:
        person = people.get(delivery.recipient)
        if forgotten(model, delivery.recipient) and person is None:
            continue
        if person is None or person.pledge_accepted_at is None or person.pledge_accepted_at > delivery.sent_at:
            fail(12, f"a library case went to {delivery.recipient}, who had not given the pledge")


# --- 13. date polls ------------------------------------------------------------------------------------------------

_POLL_COUNTS = re.compile(r"○\s*(\d+)\s*△\s*(\d+)\s*×\s*(\d+)")
_MENTION = re.compile(r"<@(U[A-Z0-9]+)>")


@invariant(13, "a date poll's table shows exactly each member's latest answer once its update went out; a closed poll "
               "accepts no answer")
async def poll_table_shows_the_answers(world, model: Model, step: Step) -> None:
    from storage.models import DatePoll, DatePollAnswer, DatePollSlot

    polls = await rows(world, DatePoll)
    if not polls:
        return
    owed = await rows(world, Delivery, Delivery.kind.in_(("poll_table", "poll_table_refresh")))
    answers = await rows(world, DatePollAnswer)
    slots = await rows(world, DatePollSlot)
    for poll in polls:
        mine = [d for d in owed if (d.payload or {}).get("poll_id") == poll.id]
        posted = next((d for d in mine if d.kind == "poll_table" and d.slack_ts), None)
        if posted is None or any(d.status not in ("sent", "skipped") for d in mine):
            continue  # the table, or an update of it, is still owed (a window not over, a retry)
        shown = world.fake.message(posted.slack_channel, posted.slack_ts)
        blocks = {b.get("block_id"): b for b in shown.get("blocks") or []}
        for slot in (s for s in slots if s.poll_id == poll.id):
            block = blocks.get(f"poll_answer_{slot.id}")
            if block is None:
                fail(13, f"the table of poll {poll.id} has no line for its slot {slot.id}")
            text = block["text"]["text"]
            held = {a.user_id: a.answer for a in answers if a.slot_id == slot.id and a.user_id not in model.forgotten}
            counts = _POLL_COUNTS.search(text)
            want = tuple(sum(1 for v in held.values() if v == c) for c in ("yes", "maybe", "no"))
            if counts is None or tuple(int(n) for n in counts.groups()) != want and not model.forgotten:
                fail(13, f"poll {poll.id} slot {slot.id} shows {counts.group(0) if counts else '?'!r}, answers {want}")
            named = set(_MENTION.findall(text))
            expected = {u for u, v in held.items() if v in ("yes", "maybe")}
            if named - set(model.forgotten) != expected:
                fail(13, f"poll {poll.id} slot {slot.id} names {sorted(named)}, ○/△ answers are {sorted(expected)}")
        if poll.status == "closed" and any(b.get("accessory") for b in blocks.values()):
            fail(13, f"the table of closed poll {poll.id} still offers its selects")
    for poll in (p for p in polls if p.status == "closed" and p.closed_at is not None):
        closed_at = model.polls_closed_at.setdefault(poll.id, poll.closed_at)
        late = [a for a in answers if a.poll_id == poll.id and a.updated_at.replace(tzinfo=None)
                > closed_at.replace(tzinfo=None)]
        if late:
            fail(13, f"closed poll {poll.id} took an answer after its close: {late[0].user_id} {late[0].answer}")
