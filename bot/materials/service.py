"""Case materials: the anonymisation check on every upload, encrypted storage, release only to
confirmed participants who accepted the pledge, read receipts, and portal publication
(DESIGN §2 items 5 and 9)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePath
from zoneinfo import ZoneInfo

from bot.core import anonymisation
from bot.core import documents
from bot.core.pseudonymisation import check_proposed, propose_file
from bot.delivery import outbox
from bot.delivery.kinds import DeliveryKind
from bot.people.results import Actor
from bot.people.service import require_admin
from bot.core.refusal import Refusal
from bot.privacy.results import TOMBSTONE_PREFIX
from bot.core.text import clean_input
from bot.core.timefmt import JST
from bot.materials.results import RELEASE_STATUSES, MaterialResult, PublishCheck, due_stage, release_stamp, sent_filename
from bot.materials.views import bureaus_done, material_key, releasable_material
from bot.requests import service as requests
from config.reference import bureaus
from storage.models import Case, CaseSession, Material
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

MAX_FILE_BYTES = documents.MAX_FILE_BYTES
MAX_FILENAME_CHARS = 255
_SAFE_EXTENSION = re.compile(r"\.[a-z0-9]{1,8}")


@dataclass(frozen=True)
class CheckedFile:
    """An uploaded file after the personal-data check of its content and of its name."""

    data: bytes
    filename: str
    findings: list[anonymisation.Finding]
    name_findings: list[anonymisation.Finding] = field(default_factory=list)


def may_upload(actor: Actor, case: Case) -> bool:
    """Admins; the case's lecturer; the coordinator who proposed the self-run session the case is
    for (only admins create the official cases)."""
    return actor.is_admin or actor.user_id in (case.lecturer_user_id, case.created_by)


async def uploadable_case_codes(uow: UnitOfWork, actor: Actor, first: str | None = None) -> list[str]:
    """The codes of the cases `actor` may add material to (see may_upload); `first` (the case a
    button or command named) comes first when it is among them."""
    cases = await uow.cases.all() if actor.is_admin else await uow.cases.uploadable_by(actor.user_id)
    codes = [case.code for case in cases]
    if first in codes:
        codes = [first] + [code for code in codes if code != first]
    return codes


async def upload_form_cases(uow: UnitOfWork, now: datetime, actor: Actor, case_code: str) -> list[str]:
    """The cases the upload form offers for `admin material add <case>`, that case first; a case that
    does not exist is refused as unknown, one `actor` may not add to as not theirs (case_for_upload),
    not the secretariat told that only the secretariat may add to a code it mistyped."""
    codes = await uploadable_case_codes(uow, actor, first=case_code)
    if case_code not in codes:
        await case_for_upload(uow, now, actor, case_code)
    return codes


async def case_for_upload(uow: UnitOfWork, now: datetime, actor: Actor, case_code: str) -> Case:
    """The case `actor` may add material to (see may_upload); else a refusal.

    Asked before a file is fetched or read, and again when the checked file is stored."""
    case = await uow.cases.by_code(case_code)
    if case is None:
        raise Refusal("sessions.error.unknown_case", code=case_code)
    if not may_upload(actor, case):
        await uow.audit.record(now, actor.user_id, "material.add", "refused", target=case.code)
        raise Refusal("materials.error.not_allowed", code=case.code)
    return case


def too_large() -> Refusal:
    return Refusal("materials.error.too_large", mb=MAX_FILE_BYTES // (1024 * 1024))


async def check_file(data: bytes, filename: str, lang: str = "ja") -> CheckedFile:
    """Extract the text and look for personal data in it and in the file's name.

    This is the slow part of an upload, so it runs in a worker thread, and no transaction is open
    while it runs: the caller stores the result afterwards (add_material_file)."""
    if len(data) > MAX_FILE_BYTES:
        raise too_large()
    filename = clean_input(filename).strip()[:MAX_FILENAME_CHARS] or "material"
    try:
        findings, name_findings = await asyncio.to_thread(_check, data, filename, lang)
    except documents.UnsupportedDocument:
        raise Refusal("materials.error.unsupported", filename=filename[:80]) from None
    except (documents.DocumentTooLarge, anonymisation.TextTooLong):
        raise Refusal("materials.error.too_long", filename=filename[:80], chars=anonymisation.MAX_CHECK_CHARS,
                           pages=documents.MAX_PDF_PAGES, mb=documents.MAX_DOCX_BYTES // (1024 * 1024)) from None
    except documents.UnreadableDocument:
        raise Refusal("materials.error.unreadable", filename=filename[:80]) from None
    return CheckedFile(data, filename, findings, name_findings)


def _check(data: bytes, filename: str, lang: str) -> tuple[list[anonymisation.Finding], list[anonymisation.Finding]]:
    # Every part of the file (headers, comments, tracked changes, properties…), each finding in its part.
    findings = anonymisation.check_document(data, filename, lang=lang)
    # "_" joins words in file names; as a space it lets the name be read like a sentence (one
    # character for one, so the findings quote the name as it was).
    return findings, anonymisation.check_text(filename.replace("_", " "), lang=lang)


def neutral_filename(case_code: str, kind: str, filename: str) -> str:
    """A name that says nothing about anyone, such as case-C1-material.txt (the extension is kept)."""
    extension = PurePath(filename).suffix.lower()
    return f"case-{case_code}-{kind}" + (extension if _SAFE_EXTENSION.fullmatch(extension) else "")


async def add_material_file(uow: UnitOfWork, now: datetime, actor: Actor, case_code: str, checked: CheckedFile,
                            kind: str = "material", confirm: bool = False) -> MaterialResult:
    """Store a checked file, encrypted, as a new version. With findings it is not releasable until confirmed.

    A name with personal data is never stored or sent: the file goes under its neutral name, and
    the finding waits for the uploader's confirmation like those in the content."""
    case = await case_for_upload(uow, now, actor, case_code)
    data = checked.data
    own_name = None if checked.name_findings else uow.cipher.encrypt(checked.filename.encode())
    findings = [{"kind": f.kind, "line": 0, "in": "filename"} for f in checked.name_findings]
    # Kinds, lines and parts only: the found text itself is personal data and is not kept.
    findings += [_stored_finding(f) for f in checked.findings]
    material = await uow.materials.add(Material(
        case_id=case.id, kind=kind, version=await uow.materials.next_version(case.id, kind),
        filename=neutral_filename(case.code, kind, checked.filename), filename_encrypted=own_name, mimetype=None,
        url=None, content_encrypted=uow.cipher.encrypt(data), sha256=hashlib.sha256(data).hexdigest(),
        findings=findings, uploaded_by=actor.user_id, uploaded_at=now,
    ))
    if findings and confirm:
        await _confirm(uow, now, actor, material)
    await requests.material_arrived(uow, now, material)
    await uow.audit.record(now, actor.user_id, "material.add", "ok", target=case.code, kind=kind,
                           version=material.version, findings=len(findings))
    await uow.library.mark_stale(case.id)  # a new commentary is indexed again (if the case is there)
    return MaterialResult(material, case, list(checked.findings), list(checked.name_findings))


def _stored_finding(finding: anonymisation.Finding) -> dict:
    """What a material row keeps of a finding: its kind, line and, outside the body, its part
    (rows written before parts were read have none: they are all body)."""
    stored = {"kind": finding.kind, "line": finding.line}
    return stored if finding.part == "body" else {**stored, "part": finding.part}


async def add_material_link(uow: UnitOfWork, now: datetime, actor: Actor, case_code: str, url: str,
                            kind: str = "material") -> MaterialResult:
    """A link cannot be checked here: it is not released until the uploader confirms, in a form,
    that the linked file was checked (confirm_material)."""
    case = await case_for_upload(uow, now, actor, case_code)
    material = await uow.materials.add(Material(
        case_id=case.id, kind=kind, version=await uow.materials.next_version(case.id, kind), url=url,
        findings=[], uploaded_by=actor.user_id, uploaded_at=now,
    ))
    await uow.audit.record(now, actor.user_id, "material.add_link", "ok", target=case.code, kind=kind,
                           version=material.version)
    await requests.material_arrived(uow, now, material)
    await uow.library.mark_stale(case.id)
    return MaterialResult(material, case, [])


async def _own_material(uow: UnitOfWork, now: datetime, actor: Actor, material_id: int,
                         action: str) -> tuple[Material, Case]:
    """The material, if the actor may act on it (see may_upload)."""
    material = await uow.materials.get(material_id)
    if material is None:
        raise Refusal("materials.error.not_found")
    case = await uow.cases.get(material.case_id)
    if case is None or not may_upload(actor, case):
        await uow.audit.record(now, actor.user_id, action, "refused", target=f"M{material_id}")
        raise Refusal("materials.error.not_allowed", code=case.code if case else "")
    return material, case


async def link_material(uow: UnitOfWork, now: datetime, actor: Actor, material_id: int) -> Material:
    """A link version the actor may mark as checked."""
    material, _ = await _own_material(uow, now, actor, material_id, "material.link_check")
    if material.url is None or material.deleted_at is not None:
        raise Refusal("materials.error.not_found")
    return material


async def confirm_material(uow: UnitOfWork, now: datetime, actor: Actor, material_id: int) -> Material:
    material, _ = await _own_material(uow, now, actor, material_id, "material.confirm")
    await _confirm(uow, now, actor, material)
    return material


# --- the anonymisation proposal: accept it, or withdraw the upload --------------------------------

async def material_content(uow: UnitOfWork, now: datetime, actor: Actor, material_id: int) -> tuple[bytes, str, int]:
    """The stored file of a flagged version (bytes, file name, version), for its proposal to be
    made (off the loop and outside this transaction)."""
    material, _ = await _own_material(uow, now, actor, material_id, "material.accept_proposal")
    if material.content_encrypted is None or material.deleted_at is not None:
        raise Refusal("materials.error.not_found")
    return uow.cipher.decrypt(material.content_encrypted), sent_filename(uow.cipher, material), material.version


def proposed_filename(filename: str, is_docx: bool) -> str:
    """A .docx stays a .docx; anything else becomes text (a PDF's layout is lost)."""
    if is_docx:
        return filename
    stem = filename.rsplit(".", 1)[0] if "." in filename else filename
    return f"{stem}.txt"


@dataclass(frozen=True)
class Proposal:
    """The anonymised version proposed for a flagged file: what would be stored, and what the
    check still finds in it (normally nothing)."""

    content: bytes
    filename: str
    remaining: list[anonymisation.Finding]


async def make_proposal(data: bytes, filename: str, today: date, lang: str) -> Proposal:
    """The proposal made again from the stored file, off the loop (call it outside a transaction)."""
    proposed = await asyncio.to_thread(propose_file, data, filename, today, lang)
    # What is stored is checked whole: every part of the accepted .docx, or the text.
    remaining = await asyncio.to_thread(check_proposed, proposed, filename, lang)
    content = proposed.docx if proposed.docx is not None else proposed.proposal.text.encode("utf-8")
    return Proposal(content, proposed_filename(filename, proposed.docx is not None), remaining)


async def accept_proposal(uow: UnitOfWork, now: datetime, actor: Actor, material_id: int, content: bytes,
                          filename: str, remaining: list[anonymisation.Finding]) -> MaterialResult:
    """Store the anonymised ``content`` as the next version and discard the flagged original's
    bytes. ``remaining`` are the findings of the proposed text (normally none)."""
    original, case = await _own_material(uow, now, actor, material_id, "material.accept_proposal")
    if original.content_encrypted is None or original.deleted_at is not None:
        raise Refusal("materials.error.not_found")
    material = await uow.materials.add(Material(
        case_id=case.id, kind=original.kind, version=await uow.materials.next_version(case.id, original.kind),
        filename=neutral_filename(case.code, original.kind, filename),
        filename_encrypted=uow.cipher.encrypt(filename[:MAX_FILENAME_CHARS].encode()), mimetype=None, url=None,
        content_encrypted=uow.cipher.encrypt(content), sha256=hashlib.sha256(content).hexdigest(),
        findings=[_stored_finding(f) for f in remaining],
        uploaded_by=actor.user_id, uploaded_at=now,
    ))
    _discard(uow, original, now)
    await requests.material_arrived(uow, now, material)
    await uow.audit.record(now, actor.user_id, "material.accept_proposal", "ok", target=case.code,
                           replaced=original.version, version=material.version, findings=len(remaining))
    await uow.library.mark_stale(case.id)
    return MaterialResult(material, case, remaining)


async def withdraw_material(uow: UnitOfWork, now: datetime, actor: Actor, material_id: int) -> Material:
    """The uploader takes a flagged version back: its bytes are discarded and it is never released."""
    material, case = await _own_material(uow, now, actor, material_id, "material.withdraw")
    _discard(uow, material, now)
    await uow.audit.record(now, actor.user_id, "material.withdraw", "ok", target=case.code, version=material.version)
    return material


def _discard(uow: UnitOfWork, material: Material, now: datetime) -> None:
    """Nothing of the discarded file stays: its bytes, its own name and its hash (a hash of a known
    document tells whoever holds the database that it was uploaded). The row stays for the
    version numbers. SQLite zeroes the freed cells and pages (secure_delete); the write-ahead
    log, which still holds the old pages, is emptied after the commit."""
    material.content_encrypted = material.filename_encrypted = None
    material.sha256 = None
    material.deleted_at = now
    uow.wipe_freed_pages()


async def _confirm(uow: UnitOfWork, now: datetime, actor: Actor, material: Material) -> None:
    material.confirmed_by, material.confirmed_at = actor.user_id, now
    await uow.audit.record(now, actor.user_id, "material.confirm_findings", "ok", target=f"M{material.id}",
                           findings=len(material.findings))
    await uow.library.mark_stale(material.case_id)


# --- release ------------------------------------------------------------------------------


async def _enqueue_material(uow: UnitOfWork, now: datetime, item: CaseSession, material: Material, user_id: str) -> bool:
    return await outbox.enqueue(uow, kind=DeliveryKind.MATERIAL, recipient=user_id, due_at=now,
                                dedupe_key=material_key(item, user_id, material.id), now=now,
                                payload={"session_id": item.id, "material_id": material.id}, session_id=item.id)


async def release_for_session(uow: UnitOfWork, now: datetime, item: CaseSession) -> int:
    """Queue the material for every confirmed participant who accepted the pledge. Idempotent."""
    if item.case_id is None or item.release_at is None or item.release_at > now or item.status not in RELEASE_STATUSES:
        return 0
    material = await releasable_material(uow, item.case_id)
    if material is None:
        return 0
    regs = await uow.registrations.for_session(item.id, "confirmed", "attended")
    people = await uow.coordinators.many(r.user_id for r in regs)
    queued = 0
    for reg in regs:
        person = people.get(reg.user_id)
        if person is not None and person.pledge_accepted_at is not None:
            queued += await _enqueue_material(uow, now, item, material, reg.user_id)
    return queued


async def on_participant_confirmed(uow: UnitOfWork, now: datetime, item: CaseSession, user_id: str) -> None:
    """Someone confirmed after the release time gets the material at once."""
    if item.case_id is None or item.release_at is None or item.release_at > now:
        return
    person = await uow.coordinators.get(user_id)
    material = await releasable_material(uow, item.case_id)
    if person is not None and person.pledge_accepted_at is not None and material is not None:
        await _enqueue_material(uow, now, item, material, user_id)


async def mark_read(uow: UnitOfWork, now: datetime, actor: Actor, session_code: str) -> bool:
    """読みました: only a participant the material has been released to can have read it."""
    item = await uow.sessions.by_code(session_code)
    reg = await uow.registrations.get(item.id, actor.user_id) if item else None
    if item is None or reg is None or reg.status not in ("confirmed", "attended"):
        raise Refusal("materials.error.not_participant")
    person = await uow.coordinators.get(actor.user_id)
    released = (item.case_id is not None and item.release_at is not None and item.release_at <= now
                and person is not None and person.pledge_accepted_at is not None
                and await releasable_material(uow, item.case_id) is not None)
    if not released:
        raise Refusal("materials.error.not_released", code=item.code)
    return await uow.material_reads.mark(item.id, actor.user_id, now)


# --- material due: reminders to the lecturer, a warning to the secretariat -------------------------

SECRETARIAT_STAGES = ("week", "late")


async def remind_missing_materials(uow: UnitOfWork, now: datetime, secretariat: frozenset[str]) -> int:
    """For each case whose next release (the earliest of its sessions still to come) is a week or a
    day away, or past, while no releasable material is there: a reminder to whoever brings it (the
    lecturer; a self-run session's proposer) and, a week before and once the time has passed, a
    warning to the secretariat. Once per case, release time, stage and person."""
    upcoming: dict[int, CaseSession] = {}
    for item in await uow.sessions.with_status(*RELEASE_STATUSES):
        if item.case_id is None or item.release_at is None or item.starts_at <= now:
            continue
        first = upcoming.get(item.case_id)
        if first is None or item.release_at < first.release_at:
            upcoming[item.case_id] = item
    queued = 0
    for case_id, item in upcoming.items():
        stage = due_stage(item.release_at, now)
        if stage is None or await releasable_material(uow, case_id, approved=False) is not None:
            continue
        case = await uow.cases.get(case_id)
        if case is None:
            continue
        bringer = case.created_by if item.kind == "self_run" else case.lecturer_user_id
        # Someone who asked to be forgotten is a tombstone id, no Slack user: nobody to remind.
        people = {bringer: "lecturer"} if bringer and not bringer.startswith(TOMBSTONE_PREFIX) else {}
        if item.kind != "self_run" and stage in SECRETARIAT_STAGES:
            people.update({user: "secretariat" for user in await secretariat_of(uow, secretariat) if user != bringer})
        for user, role in people.items():
            queued += await outbox.enqueue(
                uow, kind=DeliveryKind.MATERIAL_DUE, recipient=user, due_at=now,
                dedupe_key=f"material_due:{case.code}:{stage}:{user}@{release_stamp(item.release_at)}", now=now,
                payload={"case_id": case.id, "session_id": item.id, "stage": stage, "role": role,
                         "release_at": release_stamp(item.release_at)})
    return queued


# --- publication ----------------------------------------------------------------------------


async def secretariat_of(uow: UnitOfWork, secretariat: frozenset[str]) -> list[str]:
    """The secretariat: JIREI_ADMINS and whoever holds the admin role."""
    return sorted(set(secretariat) | set(await uow.roles.holders("admin")))


async def report_if_incomplete(uow: UnitOfWork, now: datetime, case: Case, secretariat: frozenset[str],
                               tz: ZoneInfo = JST) -> int:
    """A case that can no longer reach all eight bureaus is reported to the secretariat, with the
    bureaus missing and what they can do; once per case and state (a bureau more, or another
    reason, is a new state and a new report)."""
    check = await bureaus_done(uow, case, now, tz)
    if check.ready or check.already or check.self_run or not check.stalled:
        return 0
    state = ",".join(f"{code}.{reason[0]}" for code, reason in check.stalled.items())
    reported = 0
    for user in await secretariat_of(uow, secretariat):
        reported += await outbox.enqueue(uow, kind=DeliveryKind.CASE_INCOMPLETE, recipient=user, due_at=now,
                                         dedupe_key=f"incomplete:{case.code}:{state}:{user}", now=now,
                                         payload={"case_id": case.id, "stalled": check.stalled})
    if reported:
        await uow.audit.record(now, "system", "case.incomplete", "ok", target=case.code, stalled=sorted(check.stalled))
    return reported


async def publish(uow: UnitOfWork, now: datetime, actor: Actor | None, case: Case, portal_channel: str | None,
                  *, early: bool = False, secretariat: frozenset[str] = frozenset()) -> PublishCheck:
    """Post the case to the portal once every bureau has held it; `early` (an admin's explicit
    choice, after seeing which bureaus have not) posts it before. Only the announcement is queued
    here: its commentary is queued once the announcement is out (`queue_commentaries`), as a reply
    in its thread, so it can never arrive first. The secretariat is told of every publication
    (`secretariat`: JIREI_ADMINS; the admin who published it knows already)."""
    check = await bureaus_done(uow, case)
    if (not check.ready and not early) or check.already or check.self_run or not portal_channel:
        return check
    case.published_at = now
    await outbox.enqueue(uow, kind=DeliveryKind.PORTAL_PUBLICATION, recipient=portal_channel, due_at=now,
                         dedupe_key=f"publish:{case.code}:material", now=now,
                         payload={"case_id": case.id, "part": "material", "early": not check.ready})
    for user in await secretariat_of(uow, secretariat):
        if actor is None or user != actor.user_id:
            await outbox.enqueue(uow, kind=DeliveryKind.CASE_PUBLISHED, recipient=user, due_at=now,
                                 dedupe_key=f"published:{case.code}:{user}", now=now,
                                 payload={"case_id": case.id, "early": not check.ready, "to_go": check.to_go,
                                          "by": actor.user_id if actor else None})
    await uow.audit.record(now, actor.user_id if actor else "system", "case.publish", "ok", target=case.code,
                           early=not check.ready, to_go=len(check.to_go))
    return check


async def publish_case(uow: UnitOfWork, now: datetime, actor: Actor, case_code: str, portal_channel: str | None,
                       *, early: bool, secretariat: frozenset[str] = frozenset()) -> PublishCheck:
    """`admin publish CASE [confirm]`: the case's standing, and its publication when every bureau
    has held it or when the admin confirmed publishing before they have."""
    await require_admin(uow, now, actor, "case.publish", case_code)
    case = await uow.cases.by_code(case_code)
    if case is None:
        raise Refusal("sessions.error.unknown_case", code=case_code)
    if not portal_channel:
        raise Refusal("materials.no_portal")
    check = await publish(uow, now, actor, case, portal_channel, early=early, secretariat=secretariat)
    if check.self_run:
        raise Refusal("materials.error.self_run_case", code=case.code)
    return check


async def queue_commentaries(uow: UnitOfWork, now: datetime) -> int:
    """Each published case whose announcement has been posted gets its commentary, in the thread."""
    queued = 0
    for announcement in await uow.outbox.sent_without_follow_up(DeliveryKind.PORTAL_PUBLICATION, ":material",
                                                                  ":commentary"):
        payload = announcement.payload or {}
        case_code = announcement.dedupe_key.split(":")[1]
        queued += await outbox.enqueue(
            uow, kind=DeliveryKind.PORTAL_PUBLICATION, recipient=announcement.recipient, due_at=now,
            dedupe_key=f"publish:{case_code}:commentary", now=now,
            payload={"case_id": payload.get("case_id"), "part": "commentary",
                     "thread_ts": announcement.slack_ts, "channel": announcement.slack_channel})
    return queued
