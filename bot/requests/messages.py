"""The lecturer's request's messages, built at send time from the database (a request answered,
withdrawn or already supplied with material is no longer owed its reminders)."""

from __future__ import annotations

from bot.core.i18n import t
from bot.delivery.renderers import Message, RenderContext
from bot.requests import blocks
from storage.models import CaseRequest
from storage.uow import UnitOfWork


async def _request(ctx: RenderContext) -> CaseRequest | None:
    return await ctx.uow.case_requests.by_code(f"Q{int(ctx.payload.get('request_id', 0))}")


async def _lang(ctx: RenderContext) -> str:
    return await ctx.uow.coordinators.lang_of(ctx.delivery.recipient)


async def render_asked(ctx: RenderContext) -> Message | None:
    request = await _request(ctx)
    if request is None or request.status != "asked":
        return None
    lang = await _lang(ctx)
    return Message(text=t("requests.dm.text", lang, code=request.code),
                   blocks=blocks.build_request_dm(request.code, request.title, request.theme, request.requested_by,
                                                  request.due_on, decrypted(ctx.uow, request.note_encrypted), lang,
                                                  ctx.deps.tz))


async def render_answered(ctx: RenderContext) -> Message | None:
    request = await _request(ctx)
    if request is None or request.status == "asked":
        return None
    lang = await _lang(ctx)
    status = "declined" if request.status == "declined" else "accepted"
    return Message(text=t(f"requests.answered.{status}_text", lang, code=request.code),
                   blocks=blocks.build_answered(request.code, request.title, request.lecturer_user_id, status,
                                                f"C{request.case_id}" if request.case_id else None,
                                                decrypted(ctx.uow, request.reason_encrypted), lang))


async def render_due(ctx: RenderContext) -> Message | None:
    """Re-checked at send time: still accepted, no material arrived since."""
    request = await _request(ctx)
    if request is None or request.status != "accepted" or request.material_id is not None:
        return None
    lang = await _lang(ctx)
    stage = "day" if ctx.payload.get("stage") == "day" else "week"
    return Message(text=t(f"requests.due.{stage}_text", lang, code=request.code),
                   blocks=blocks.build_due(request.code, request.title, f"C{request.case_id}", stage, request.due_on,
                                           lang, ctx.deps.tz))


async def render_review(ctx: RenderContext) -> Message | None:
    request = await _request(ctx)
    material_id = int(ctx.payload.get("material_id", 0))
    material = await ctx.uow.materials.get(material_id)
    if request is None or material is None or request.status != "submitted" or request.material_id != material_id:
        return None
    lang = await _lang(ctx)
    return Message(text=t("requests.review.text", lang, code=request.code),
                   blocks=blocks.build_review(request.code, request.title, f"C{request.case_id}",
                                              request.lecturer_user_id, material.version, material_id, lang))


async def render_reviewed(ctx: RenderContext) -> Message | None:
    request = await _request(ctx)
    material = await ctx.uow.materials.get(int(ctx.payload.get("material_id", 0)))
    if request is None or material is None:
        return None
    lang = await _lang(ctx)
    approved = bool(ctx.payload.get("approved"))
    key = "requests.reviewed.approved_text" if approved else "requests.reviewed.returned_text"
    return Message(text=t(key, lang, code=request.code),
                   blocks=blocks.build_reviewed(request.code, request.title, f"C{request.case_id}", material.version,
                                                approved, decrypted(ctx.uow, request.review_note_encrypted), lang))


async def render_withdrawn(ctx: RenderContext) -> Message | None:
    request = await _request(ctx)
    if request is None or request.status != "withdrawn":
        return None
    lang = await _lang(ctx)
    return Message(text=t("requests.withdrawn_text", lang, code=request.code),
                   blocks=blocks.build_withdrawn(request.code, request.title, lang))


def decrypted(uow: UnitOfWork, ciphertext: bytes | None) -> str:
    return uow.cipher.decrypt(ciphertext).decode() if ciphertext else ""
