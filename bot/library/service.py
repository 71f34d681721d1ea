"""The case library's rules: what is in it, how it is searched, who may open a case, and how a
study group shares its own case.

What is indexed (and so held in plain text, beside the encrypted material): a case's title, its
theme's names, the summary written for the portal and its commentary's text — what the plan
publishes for every coordinator once each bureau has held the case — and, for a self-run session's
case, the text its group chose to share after the personal-data check. The case material itself is
never indexed: opening a case sends its files from their encrypted store, to a person who gave the
pledge, like any release (an outbox delivery, and an audit entry).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.core import documents
from bot.core.pseudonymisation import propose_text
from bot.core.refusal import Refusal
from bot.core.text import normalise
from bot.core.timefmt import fiscal_year_of
from bot.delivery import outbox
from bot.delivery.kinds import DeliveryKind
from bot.library.results import (IndexDraft, LibrarySearch, OpenResult, SearchResult, ShareCheck, ShareDraft,
                                 Shelf)
from bot.materials.results import is_releasable
from bot.materials.views import HELD_STATUSES, bureaus_done
from bot.people.results import Actor
from config.reference import themes
from storage.library_repo import LibraryQuery
from storage.models import CaseSession, LibraryEntry
from storage.uow import UnitOfWork

RESULTS = 10  # shown per search
HOME_CASES = 5  # on the Home tab, per person
INDEX_BATCH = 50  # cases indexed per run of the job
MAX_WORDS = 8
MAX_WORD_CHARS = 50
# The commentary's text indexed (and shown when its file is gone): enough for any commentary.
MAX_INDEXED_CHARS = 200_000


def searchable(text: str) -> str:
    """Text as it is indexed and as words are looked for: widths folded (ＡＢＣ → abc, ｶﾀｶﾅ →
    カタカナ) and case folded, so the same word matches however it was typed."""
    return normalise(text).casefold()


def _theme_names(code: str) -> str:
    found = next((th for th in themes() if th.code == code), None)
    return f"{found.name_ja} {found.name_en}" if found else code


def search_text(title: str, theme: str, summary: str | None, body: str | None) -> str:
    return searchable("\n".join(part for part in (title, _theme_names(theme), summary or "", body or "") if part))


# --- search ---------------------------------------------------------------------------------------


def library_query(search: LibrarySearch) -> LibraryQuery:
    words = tuple(dict.fromkeys(w for w in (searchable(word).strip() for word in search.words) if w))
    return LibraryQuery(words=words, theme=search.theme, bureau=search.bureau, fiscal_year=search.fiscal_year)


async def search(uow: UnitOfWork, search: LibrarySearch) -> SearchResult:
    """Published cases, and shared self-run ones, holding every word, within the filters; newest first.
    Anyone may search: what is found is what the plan publishes for every coordinator."""
    found = await uow.library.search(library_query(search), RESULTS + 1)
    return SearchResult(search, found[:RESULTS], more=len(found) > RESULTS)


async def shelf(uow: UnitOfWork, user_id: str) -> Shelf:
    """The person's profile themes and the newest library cases in them (the Home tab)."""
    person = await uow.coordinators.get(user_id)
    chosen = list(person.themes or []) if person else []
    return Shelf(chosen, await uow.library.in_themes(chosen, HOME_CASES))


# --- opening a case -----------------------------------------------------------------------------


async def open_case(uow: UnitOfWork, now: datetime, actor: Actor, case_code: str) -> OpenResult:
    """The case and its commentary, to the person's DM, once they gave the pledge: outbox deliveries
    like any release (re-checked when sent), and an audit entry; without the pledge, nothing is sent
    and they are asked for it."""
    case = await uow.cases.by_code(case_code)
    entry = await uow.library.get(case.id) if case else None
    if entry is None:
        raise Refusal("library.error.unknown_case", code=case_code)
    person = await uow.coordinators.get(actor.user_id)
    if person is None or person.pledge_accepted_at is None:
        await uow.audit.record(now, actor.user_id, "library.open", "refused", target=entry.code, reason="pledge")
        return OpenResult(entry, needs_pledge=True)
    parts = ["material", "commentary"] if entry.source == "official" else ["shared"]
    material = await uow.materials.latest(case.id, "material") if entry.source == "official" else None
    commentary = await uow.materials.latest(case.id, "commentary") if entry.source == "official" else None
    versions = f"M{material.id if material else 0}.M{commentary.id if commentary else 0}.{entry.indexed_at:%Y%m%d%H%M%S}"
    queued = 0
    for part in parts:
        queued += await outbox.enqueue(uow, kind=DeliveryKind.LIBRARY_CASE, recipient=actor.user_id, due_at=now,
                                       now=now, dedupe_key=f"library:{entry.code}:{actor.user_id}:{part}:{versions}",
                                       payload={"case_id": case.id, "part": part})
    await uow.audit.record(now, actor.user_id, "library.open", "ok", target=entry.code, sent=queued)
    return OpenResult(entry, queued=queued)


# --- keeping the index ----------------------------------------------------------------------------


async def drafts_to_index(uow: UnitOfWork, tz: ZoneInfo, limit: int = INDEX_BATCH) -> list[IndexDraft]:
    """Published cases not yet in the library, and entries whose case or commentary changed."""
    drafts = []
    for case_id in await uow.library.cases_to_index(limit):
        case = await uow.cases.get(case_id)
        if case is None:
            continue
        existing = await uow.library.get(case_id)
        if existing is not None and existing.source == "self_run":
            # What its group shared, as checked then: a later edit of the case changes nothing here.
            drafts.append(IndexDraft(case.id, "self_run", existing.title, existing.theme, None, existing.fiscal_year,
                                     study_group_id=existing.study_group_id, kept_text=existing.commentary_text))
            continue
        if case.published_at is None:
            continue
        check = await bureaus_done(uow, case)
        held = [s.starts_at for s in await uow.sessions.for_case(case.id) if s.status in HELD_STATUSES]
        year = fiscal_year_of(min(held) if held else case.published_at, tz)
        draft = IndexDraft(case.id, "official", case.title, case.theme, case.summary, year, bureaus=list(check.done))
        commentary = await uow.materials.latest(case.id, "commentary")
        if commentary is not None and is_releasable(commentary) and commentary.content_encrypted is not None:
            draft.commentary_id = commentary.id
            draft.commentary = uow.cipher.decrypt(commentary.content_encrypted)
            draft.commentary_name = commentary.filename or "commentary.txt"
            draft.commentary_mimetype = commentary.mimetype
        elif existing is not None:  # the file was deleted (retention): the text indexed stays
            draft.commentary_id, draft.kept_text = existing.commentary_material_id, existing.commentary_text
        drafts.append(draft)
    return drafts


def commentary_text(draft: IndexDraft) -> str | None:
    """The commentary's text (CPU work: run it off the loop). A file that cannot be read is indexed
    by its title, theme and summary alone."""
    if draft.commentary is None:
        return draft.kept_text
    try:
        return documents.extract_text(draft.commentary, draft.commentary_name, draft.commentary_mimetype)[
            :MAX_INDEXED_CHARS]
    except ValueError:  # unsupported or unreadable
        return None


async def index(uow: UnitOfWork, now: datetime, draft: IndexDraft, body: str | None) -> LibraryEntry:
    existing = await uow.library.get(draft.case_id)
    published_at = existing.published_at if existing else now
    case = await uow.cases.get(draft.case_id)
    if draft.source == "official" and case is not None and case.published_at is not None:
        published_at = case.published_at
    return await uow.library.put(LibraryEntry(
        case_id=draft.case_id, source=draft.source, title=draft.title, theme=draft.theme, summary=draft.summary,
        commentary_text=body, commentary_material_id=draft.commentary_id, fiscal_year=draft.fiscal_year,
        bureaus_held=len(draft.bureaus), bureau_codes="," + ",".join(draft.bureaus) + "," if draft.bureaus else "",
        study_group_id=draft.study_group_id, search_text=search_text(draft.title, draft.theme, draft.summary, body),
        published_at=published_at, stale=False, indexed_at=now))


# --- a study group shares its own case -------------------------------------------------------------


async def offer_share(uow: UnitOfWork, now: datetime, item: CaseSession) -> None:
    """After a self-run session (its closing transaction): its facilitator is asked whether the group
    shares the case with the library."""
    if item.kind != "self_run" or item.case_id is None or not item.facilitator_user_id:
        return
    await outbox.enqueue(uow, kind=DeliveryKind.LIBRARY_SHARE_OFFER, recipient=item.facilitator_user_id, due_at=now,
                         now=now,
                         dedupe_key=f"library_share_offer:{item.code}", payload={"session_id": item.id},
                         session_id=item.id)


async def _shareable_session(uow: UnitOfWork, now: datetime, actor: Actor, session_code: str) -> CaseSession:
    item = await uow.sessions.by_code(session_code)
    if item is None or item.kind != "self_run" or item.case_id is None:
        raise Refusal("library.error.not_shareable", code=session_code)
    member = (await uow.study_groups.member(item.study_group_id, actor.user_id)
              if item.study_group_id is not None else None)
    if actor.user_id != item.facilitator_user_id and (member is None or member.status != "accepted"):
        await uow.audit.record(now, actor.user_id, "library.share", "refused", target=item.code)
        raise Refusal("library.error.not_your_group", code=item.code)
    if item.status not in HELD_STATUSES:
        raise Refusal("library.error.not_held", code=item.code)
    return item


async def share_draft(uow: UnitOfWork, now: datetime, actor: Actor, session_code: str) -> ShareDraft:
    """What sharing the session's case would put in the library: its title and the text of its
    material and commentary (read here; checked off the loop by `check_share`)."""
    item = await _shareable_session(uow, now, actor, session_code)
    if await uow.library.get(item.case_id) is not None:
        raise Refusal("library.error.already_shared", code=item.code)
    case = await uow.cases.get(item.case_id)
    draft = ShareDraft(item.code, case.id, case.title)
    for kind in ("material", "commentary"):
        document = await uow.materials.latest(case.id, kind)
        if document is not None and is_releasable(document) and document.content_encrypted is not None:
            draft.files.append((uow.cipher.decrypt(document.content_encrypted), document.filename or f"{kind}.txt",
                                document.mimetype))
    return draft


def check_share(draft: ShareDraft, today: date, lang: str) -> ShareCheck:
    """The personal-data check of the text to share (CPU work: run it off the loop)."""
    texts = [draft.title]
    for data, name, mimetype in draft.files:
        try:
            texts.append(documents.extract_text(data, name, mimetype))
        except ValueError:  # unsupported or unreadable
            continue
    text = "\n\n".join(t for t in texts if t.strip())[:MAX_INDEXED_CHARS]
    proposal = propose_text(text, today, lang, include_checks=True)
    return ShareCheck(text, proposal if proposal.changed else None)


async def share(uow: UnitOfWork, now: datetime, tz: ZoneInfo, actor: Actor, session_code: str,
                checked: ShareCheck, *, accept_proposal: bool) -> LibraryEntry:
    """Put the session's case in the library with the checked text: as it is when the check found
    nothing, or as proposed when the person accepted the proposal. Recorded."""
    item = await _shareable_session(uow, now, actor, session_code)
    if await uow.library.get(item.case_id) is not None:
        raise Refusal("library.error.already_shared", code=item.code)
    if not checked.clean and not accept_proposal:
        raise Refusal("library.error.findings", code=item.code)
    text = checked.text if checked.clean else checked.proposal.text
    case = await uow.cases.get(item.case_id)
    title = text.split("\n", 1)[0].strip() or case.title  # the title as checked (proposed) is the first line
    body = text.split("\n", 1)[1].strip() if "\n" in text else ""
    entry = await uow.library.put(LibraryEntry(
        case_id=case.id, source="self_run", title=title[:200], theme=case.theme, summary=None, commentary_text=body,
        commentary_material_id=None, fiscal_year=fiscal_year_of(item.starts_at, tz), bureaus_held=0, bureau_codes="",
        study_group_id=item.study_group_id, search_text=search_text(title, case.theme, None, body),
        published_at=now, stale=False, indexed_at=now))
    await uow.audit.record(now, actor.user_id, "library.share", "ok", target=entry.code, session=item.code,
                           anonymised=not checked.clean)
    return entry
