"""事例作成の依頼 (the plan's first step): the secretariat asks a lecturer for a case in a field by a
due date; the lecturer accepts (the case is created with them as its lecturer) or declines; they are
reminded a week and a day before the due date, in office hours, until material arrives; the
material of a requested case is released only after a member of the secretariat other than its
uploader approved that version (four eyes), and a rejection goes back to the lecturer with a note."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.core.refusal import Refusal
from bot.core.text import clean_input
from bot.delivery import outbox
from bot.delivery.kinds import DeliveryKind
from bot.people.results import Actor
from bot.people.service import require_admin
from bot.requests.results import NOTE_MAX, OPEN_STATES, REASON_MAX, STATES, TITLE_MAX, RequestLine
from bot.sessions.cases import create_case
from config.reference import find_theme
from storage.models import CaseRequest, Material
from storage.uow import UnitOfWork


# Reminders before the due date, sent at 10:00 Japan time on a weekday (a Saturday's or Sunday's
# moves to the Friday before, so the reminder a day before never comes on the due date itself).
REMINDER_STAGES = (("week", 7), ("day", 1))
OFFICE_OPENS = time(10, 0)


class RequestFieldError(Refusal):
    """A value of the request form the person can correct: `field` names the form's field."""

    def __init__(self, field: str, key: str, **params: object) -> None:
        super().__init__(key, **params)
        self.field = field


async def check_may_request(uow: UnitOfWork, now: datetime, actor: Actor) -> None:
    """Only the secretariat asks lecturers for cases."""
    await require_admin(uow, now, actor, "case_request.create")


def reminder_moment(due_on: date, days_before: int, tz: ZoneInfo) -> datetime:
    day = due_on - timedelta(days=days_before)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return datetime.combine(day, OFFICE_OPENS, tz).astimezone(timezone.utc)


def _key(request: CaseRequest, *parts: object) -> str:
    return ":".join(["case_request", request.code, *map(str, parts)])


async def secretariat_of(uow: UnitOfWork, secretariat: frozenset[str]) -> list[str]:
    """JIREI_ADMINS and whoever holds the admin role."""
    return sorted(set(secretariat) | set(await uow.roles.holders("admin")))


async def create_request(uow: UnitOfWork, now: datetime, tz: ZoneInfo, actor: Actor, *, theme: str, title: str,
                         lecturer: str, due_on: date | None, note: str) -> CaseRequest:
    """The request, and its DM to the lecturer (through the outbox)."""
    await check_may_request(uow, now, actor)
    found = find_theme(theme or "")
    if found is None:
        raise RequestFieldError("theme", "requests.error.theme")
    title = clean_input(title or "").strip()
    if not title:
        raise RequestFieldError("title", "requests.error.title")
    if len(title) > TITLE_MAX:
        raise RequestFieldError("title", "requests.error.too_long", limit=TITLE_MAX)
    if not lecturer or not lecturer[:1] in "UW":
        raise RequestFieldError("lecturer", "requests.error.lecturer")
    if due_on is None or due_on <= now.astimezone(tz).date():
        raise RequestFieldError("due", "requests.error.due")
    note = clean_input(note or "", multiline=True).strip()
    if len(note) > NOTE_MAX:
        raise RequestFieldError("note", "requests.error.too_long", limit=NOTE_MAX)
    request = await uow.case_requests.add(CaseRequest(
        theme=found.code, title=title, lecturer_user_id=lecturer, requested_by=actor.user_id, due_on=due_on,
        note_encrypted=uow.cipher.encrypt(note.encode()) if note else None, status="asked", created_at=now))
    await outbox.enqueue(uow, kind=DeliveryKind.CASE_REQUEST, recipient=lecturer, due_at=now,
                         dedupe_key=_key(request, "asked"),
                         now=now, payload={"request_id": request.id})
    await uow.audit.record(now, actor.user_id, "case_request.create", "ok", target=request.code, theme=found.code)
    return request


async def _request(uow: UnitOfWork, code: str) -> CaseRequest:
    request = await uow.case_requests.by_code(code, lock=True)
    if request is None:
        raise Refusal("requests.error.not_found")
    return request


async def request_to_answer(uow: UnitOfWork, now: datetime, actor: Actor, code: str) -> CaseRequest:
    """The request `actor` is asked to answer: theirs, and not answered or withdrawn yet."""
    request = await _request(uow, code)
    if actor.user_id != request.lecturer_user_id:
        await uow.audit.record(now, actor.user_id, "case_request.answer", "refused", target=request.code)
        raise Refusal("requests.error.not_yours")
    if request.status != "asked":
        raise Refusal("requests.error.answered", code=request.code)
    return request


async def answer_request(uow: UnitOfWork, now: datetime, tz: ZoneInfo, actor: Actor, code: str, *, accept: bool,
                         reason: str = "", secretariat: frozenset[str] = frozenset()) -> CaseRequest:
    """The lecturer's 引き受ける (the case is created, with them as its lecturer, and the reminders
    are queued) or 辞退する (with an optional reason). The secretariat is told either way."""
    request = await request_to_answer(uow, now, actor, code)
    reason = clean_input(reason or "", multiline=True).strip()
    if len(reason) > REASON_MAX:
        raise RequestFieldError("reason", "requests.error.too_long", limit=REASON_MAX)
    request.answered_at = now
    if accept:
        # The case is the secretariat's, made on the request's authority (checked when it was made).
        requester = Actor(user_id=request.requested_by, is_admin=True)
        case = await create_case(uow, now, requester, title=request.title, theme=request.theme,
                                 lecturer=request.lecturer_user_id)
        request.case_id, request.status = case.id, "accepted"
        for stage, days in REMINDER_STAGES:
            moment = reminder_moment(request.due_on, days, tz)
            if moment > now:
                await outbox.enqueue(uow, kind=DeliveryKind.CASE_REQUEST_DUE, recipient=request.lecturer_user_id,
                                     due_at=moment,
                                     dedupe_key=_key(request, "due", stage), now=now,
                                     payload={"request_id": request.id, "stage": stage})
    else:
        request.status = "declined"
        request.reason_encrypted = uow.cipher.encrypt(reason.encode()) if reason else None
    for user in await secretariat_of(uow, secretariat):
        await outbox.enqueue(uow, kind=DeliveryKind.CASE_REQUEST_ANSWERED, recipient=user, due_at=now,
                             dedupe_key=_key(request, request.status, user), now=now,
                             payload={"request_id": request.id})
    await uow.audit.record(now, actor.user_id, "case_request.answer", "ok", target=request.code, status=request.status)
    return request


async def withdraw_request(uow: UnitOfWork, now: datetime, actor: Actor, code: str) -> CaseRequest:
    """`admin request withdraw Q1`: a request not yet answered, or accepted while no material came,
    is called off; its reminders are dropped and the lecturer is told."""
    await check_may_request(uow, now, actor)
    request = await _request(uow, code)
    if request.status not in OPEN_STATES:
        raise Refusal("requests.error.not_open", code=request.code)
    request.status = "withdrawn"
    await uow.outbox.cancel_pending(key_prefix=_key(request, "due", ""))
    await outbox.enqueue(uow, kind=DeliveryKind.CASE_REQUEST_WITHDRAWN, recipient=request.lecturer_user_id, due_at=now,
                         dedupe_key=_key(request, "withdrawn"), now=now, payload={"request_id": request.id})
    await uow.audit.record(now, actor.user_id, "case_request.withdraw", "ok", target=request.code)
    return request


async def material_arrived(uow: UnitOfWork, now: datetime, material: Material) -> None:
    """Called by the materials service for every new version of a case's material: on a requested
    case the request is 資料提出済み, its reminders are dropped, and the secretariat is asked to
    approve this version (the person who made the request, unless they uploaded it themselves;
    then the other admins)."""
    if material.kind != "material":
        return
    request = await uow.case_requests.for_case(material.case_id)
    if request is None or request.status not in ("accepted", "submitted", "approved"):
        return
    request.status, request.material_id = "submitted", material.id
    request.reviewed_by = request.reviewed_at = None
    await uow.outbox.cancel_pending(key_prefix=_key(request, "due", ""))
    reviewers = [request.requested_by] if request.requested_by != material.uploaded_by else [
        user for user in await uow.roles.holders("admin") if user != material.uploaded_by]
    for user in reviewers:
        await outbox.enqueue(uow, kind=DeliveryKind.CASE_REQUEST_REVIEW, recipient=user, due_at=now,
                             dedupe_key=_key(request, "review", f"M{material.id}", user), now=now,
                             payload={"request_id": request.id, "material_id": material.id})


async def review_target(uow: UnitOfWork, now: datetime, actor: Actor, code: str,
                        material_id: int) -> tuple[CaseRequest, Material]:
    """The request and the version waiting for approval, if `actor` may review it: an admin who did
    not upload that version (four eyes). Asked again when the review is recorded."""
    await require_admin(uow, now, actor, "case_request.review", code)
    request = await _request(uow, code)
    material = await uow.materials.get(material_id)
    if (request.status != "submitted" or request.material_id != material_id or material is None
            or material.deleted_at is not None):
        raise Refusal("requests.error.not_waiting", code=request.code)
    if material.uploaded_by == actor.user_id:
        await uow.audit.record(now, actor.user_id, "case_request.review", "refused", target=request.code,
                               reason="four_eyes")
        raise Refusal("requests.error.four_eyes")
    return request, material


async def review_material(uow: UnitOfWork, now: datetime, actor: Actor, code: str, material_id: int, *,
                          approve: bool, note: str = "") -> CaseRequest:
    """承認 or 差し戻し of the version waiting, by an admin who did not upload it. A return needs a
    note, which the lecturer gets; the request goes back to 引受済み."""
    request, material = await review_target(uow, now, actor, code, material_id)
    note = clean_input(note or "", multiline=True).strip()
    if not approve and not note:
        raise RequestFieldError("note", "requests.error.note_needed")
    if len(note) > NOTE_MAX:
        raise RequestFieldError("note", "requests.error.too_long", limit=NOTE_MAX)
    request.reviewed_by, request.reviewed_at = actor.user_id, now
    if approve:
        request.status, request.review_note_encrypted = "approved", None
    else:
        request.status, request.review_note_encrypted = "accepted", uow.cipher.encrypt(note.encode())
    await outbox.enqueue(uow, kind=DeliveryKind.CASE_REQUEST_REVIEWED, recipient=request.lecturer_user_id, due_at=now,
                         dedupe_key=_key(request, "reviewed", f"M{material_id}"), now=now,
                         payload={"request_id": request.id, "material_id": material_id, "approved": approve})
    await uow.audit.record(now, actor.user_id, "case_request.review", "ok", target=request.code,
                           approved=approve, version=material.version)
    return request


async def requests_overview(uow: UnitOfWork, lecturer: str | None = None) -> list[RequestLine]:
    """Every request (or those to one lecturer), by state in the order of STATES, then by due date
    (the Home tab: the secretariat's, a lecturer's)."""
    requests = await (uow.case_requests.all() if lecturer is None else uow.case_requests.to_lecturer(lecturer))
    lines = [RequestLine(code=r.code, title=r.title, theme=r.theme, lecturer=r.lecturer_user_id, due_on=r.due_on,
                         status=r.status, case_code=f"C{r.case_id}" if r.case_id else None,
                         material_id=r.material_id) for r in requests]
    order = {state: n for n, state in enumerate(STATES)}
    return sorted(lines, key=lambda line: (order.get(line.status, len(STATES)), line.due_on, line.code))
