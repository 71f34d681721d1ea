"""The case library's messages: a case opened from the library, and the offer to share a study
group's own case. Both re-checked when sent."""

from __future__ import annotations

from bot.core.i18n import t
from bot.delivery.renderers import FileUpload, Message, RenderContext
from bot.library import blocks
from bot.materials.results import is_releasable, sent_filename
from storage.models import LibraryEntry
from storage.uow import UnitOfWork


async def render_case(ctx: RenderContext) -> Message | None:
    """Sent only while the person still has the pledge and the case is still in the library."""
    uow = ctx.uow
    person = await uow.coordinators.get(ctx.delivery.recipient)
    entry = await uow.library.get(int(ctx.payload.get("case_id", 0)))
    if person is None or person.pledge_accepted_at is None or entry is None:
        return None
    lang, part = person.lang, str(ctx.payload.get("part", "material"))
    document, filename, content = await document_for(uow, entry, part)
    upload = None
    if content is not None:
        upload = FileUpload(filename=filename, content=content,
                            title=t(f"materials.kind.{part}", lang) + f" {entry.code} v{document.version}")
    link_url = document.url if document is not None and content is None else None
    file_gone = part in ("material", "commentary") and document is None
    if part == "material" and document is None and not entry.summary:
        return Message(text=t("library.dm.text_material", lang, code=entry.code),
                       blocks=blocks.build_case_dm(entry, part, lang, has_file=False, file_gone=True))
    return Message(text=t(f"library.dm.text_{part}", lang, code=entry.code),
                   blocks=blocks.build_case_dm(entry, part, lang, has_file=upload is not None, file_gone=file_gone,
                                               link_url=link_url),
                   upload=upload)


async def render_share_offer(ctx: RenderContext) -> Message | None:
    uow = ctx.uow
    item = await uow.sessions.get(int(ctx.payload.get("session_id", 0)))
    if item is None or item.case_id is None or await uow.library.get(item.case_id) is not None:
        return None
    case = await uow.cases.get(item.case_id)
    lang = await uow.coordinators.lang_of(ctx.delivery.recipient)
    return Message(text=t("library.share.offer_text", lang, code=item.code),
                   blocks=blocks.build_share_offer(item.code, case.title if case else "", lang))


async def document_for(uow: UnitOfWork, entry: LibraryEntry, part: str):
    """What a `library_case` delivery carries: (a releasable document or None, its file name, its bytes)."""
    if part not in ("material", "commentary") or entry.source != "official":
        return None, None, None
    document = await uow.materials.latest(entry.case_id, part)
    if document is None or not is_releasable(document):
        return None, None, None
    if document.content_encrypted is None:
        return document, None, None
    return document, sent_filename(uow.cipher, document), uow.cipher.decrypt(document.content_encrypted)
