"""admin material add (links; files come through the modal or the CLI) and admin publish."""

from __future__ import annotations

from bot import grammar
from bot.blocks.materials import build_upload_modal
from bot.services import materials
from handlers.commands.jirei import CommandRequest, command_handler


@command_handler(grammar.MaterialAdd)
async def add_material(cmd: grammar.MaterialAdd, request: CommandRequest) -> None:
    if cmd.url is None:
        await open_upload_form(cmd, request)
        return
    async with request.deps.uow() as uow:
        result = await materials.add_material_link(uow, request.deps.clock.now(), request.actor, cmd.case,
                                                   cmd.url or "", cmd.kind)
    await request.reply_text("materials.link_added", code=result.case.code, version=result.material.version)


@command_handler(grammar.Publish)
async def publish(cmd: grammar.Publish, request: CommandRequest) -> None:
    deps = request.deps
    if not request.actor.is_admin:
        async with deps.uow() as uow:
            await uow.audit.record(deps.clock.now(), request.actor.user_id, "case.publish", "refused", target=cmd.case)
        await request.reply_text("auth.admin_only")
        return
    async with deps.uow() as uow:
        case = await uow.cases.by_code(cmd.case)
        if case is None:
            check = None
        else:
            check = await materials.publish(uow, deps.clock.now(), request.actor, case, deps.settings.portal_channel)
    if check is None:
        await request.reply_text("sessions.error.unknown_case", code=cmd.case)
    elif not deps.settings.portal_channel:
        await request.reply_text("materials.no_portal")
    elif check.already:
        await request.reply_text("materials.already_published", code=cmd.case)
    elif not check.ready:
        await request.reply_text("materials.not_ready", code=cmd.case,
                                 pending=", ".join(check.pending_sessions) or "—")
    else:
        deps.wake_dispatcher()
        await request.reply_text("materials.published", code=cmd.case)


async def open_upload_form(cmd: grammar.MaterialAdd, request: CommandRequest) -> None:
    actor = request.actor
    async with request.deps.uow() as uow:
        cases = await uow.cases.all() if actor.is_admin else await uow.cases.by_lecturer(actor.user_id)
    if cmd.case not in [c.code for c in cases]:
        await request.reply_text("materials.error.not_allowed", code=cmd.case)
        return
    codes = [cmd.case] + [c.code for c in cases if c.code != cmd.case]
    await request.client.views_open(trigger_id=request.body["trigger_id"], view=build_upload_modal(request.lang, codes))
