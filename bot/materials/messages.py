"""Materials' messages: the material to each participant at release time, the portal publication."""

from __future__ import annotations

from bot.materials import blocks
from bot.delivery.renderers import FileUpload, Message, RenderContext
from bot.core.i18n import t
from bot.materials.results import RELEASE_STATUSES, due_stage, is_releasable, release_stamp, sent_filename
from bot.materials.views import approved_for_release, bureaus_done, releasable_material, version_replaced


async def render_material(ctx: RenderContext) -> Message | None:
    """Re-checked at send time: still confirmed, pledge accepted, session on, material intact."""
    uow = ctx.uow
    item = await uow.sessions.get(int(ctx.payload.get("session_id", 0)))
    material = await uow.materials.get(int(ctx.payload.get("material_id", 0)))
    user_id = ctx.delivery.recipient
    reg = await uow.registrations.get(item.id, user_id) if item else None
    person = await uow.coordinators.get(user_id)
    if (item is None or material is None or reg is None or person is None or item.status not in RELEASE_STATUSES
            or reg.status not in ("confirmed", "attended") or person.pledge_accepted_at is None
            or not is_releasable(material) or not await approved_for_release(uow, material)):
        return None
    case = await uow.cases.get(item.case_id)
    lang = person.lang
    upload = None
    if material.content_encrypted is not None:
        upload = FileUpload(filename=sent_filename(uow.cipher, material),
                            content=uow.cipher.decrypt(material.content_encrypted),
                            title=t("materials.file_title", lang, code=case.code, version=material.version))
    replaces = await version_replaced(uow, item, material, user_id)
    text = (t("materials.dm_text_replacement", lang, code=item.code, version=material.version, previous=replaces)
            if replaces else t("materials.dm_text", lang, code=item.code))
    return Message(text=text, blocks=blocks.build_material_dm(item, case, material, lang, ctx.deps.tz, replaces=replaces),
                   upload=upload)


async def render_publication(ctx: RenderContext) -> Message | None:
    """The case (part "material") and then its commentary (part "commentary"), each with its file."""
    case = await ctx.uow.cases.get(int(ctx.payload.get("case_id", 0)))
    if case is None:
        return None
    part = ctx.payload.get("part", "material")
    if part == "commentary":
        document = await ctx.uow.materials.latest(case.id, "commentary")
        if document is None or not is_releasable(document):
            return None
    else:
        document = await releasable_material(ctx.uow, case.id)
    upload = None
    if document is not None and document.content_encrypted is not None:
        upload = FileUpload(filename=sent_filename(ctx.uow.cipher, document),
                            content=ctx.uow.cipher.decrypt(document.content_encrypted),
                            title=t(f"materials.kind.{part}", "ja") + f" {case.code} v{document.version}")
    extra = {"thread_ts": ctx.payload["thread_ts"]} if part == "commentary" and ctx.payload.get("thread_ts") else {}
    return Message(text=t(f"materials.portal_text_{part}", "ja", code=case.code),
                   blocks=blocks.build_publication(case, document, part, "ja", early=bool(ctx.payload.get("early"))),
                   channel=ctx.payload.get("channel") or ctx.delivery.recipient, upload=upload, extra=extra)


async def render_incomplete(ctx: RenderContext) -> Message | None:
    """A case that can no longer reach all eight bureaus, for one of the secretariat, as it stands
    at send time (nothing, if it was published or is on its way again meanwhile)."""
    case = await ctx.uow.cases.get(int(ctx.payload.get("case_id", 0)))
    if case is None or case.published_at is not None:
        return None
    check = await bureaus_done(ctx.uow, case, ctx.deps.clock.now(), ctx.deps.tz)
    if not check.stalled:
        return None
    lang = await ctx.uow.coordinators.lang_of(ctx.delivery.recipient)
    return Message(text=t("materials.incomplete.text", lang, code=case.code), blocks=blocks.build_incomplete(check, lang))


async def render_published(ctx: RenderContext) -> Message | None:
    """For one of the secretariat: a case went to the portal, on its own once every bureau had held
    it, or by an admin's choice before (who, and which bureaus had not)."""
    case = await ctx.uow.cases.get(int(ctx.payload.get("case_id", 0)))
    if case is None or case.published_at is None:
        return None
    lang = await ctx.uow.coordinators.lang_of(ctx.delivery.recipient)
    to_go = [str(code) for code in ctx.payload.get("to_go") or []]
    by = ctx.payload.get("by")
    built = blocks.build_published_notice(case, bool(ctx.payload.get("early")), to_go, str(by) if by else None, lang)
    return Message(text=t("materials.published_notice.text", lang, code=case.code), blocks=built)


async def render_material_due(ctx: RenderContext) -> Message | None:
    """The material is still missing for a release (re-checked at send time: nothing if it came,
    if the session is off, or if its release time moved)."""
    uow = ctx.uow
    case = await uow.cases.get(int(ctx.payload.get("case_id", 0)))
    item = await uow.sessions.get(int(ctx.payload.get("session_id", 0)))
    if (case is None or item is None or item.status not in RELEASE_STATUSES or item.release_at is None
            or release_stamp(item.release_at) != ctx.payload.get("release_at")
            or await releasable_material(uow, case.id) is not None):
        return None
    stage = due_stage(item.release_at, ctx.deps.clock.now()) or "week"
    lang = await uow.coordinators.lang_of(ctx.delivery.recipient)
    if ctx.payload.get("role") == "secretariat":
        built = blocks.build_material_missing(case, item, stage, lang, ctx.deps.tz)
    else:
        built = blocks.build_material_due(case, item, stage, lang, ctx.deps.tz)
    return Message(text=t(f"materials.due.text_{stage}", lang, code=case.code), blocks=built)
