"""admin material add (links; files come through the modal or the CLI) and admin publish."""

from __future__ import annotations

from bot.core import grammar
from bot.materials.blocks import (bureau_names, build_link_added, build_publication_standing,
                                  build_upload_modal)
from bot.core.i18n import t
from bot.core.refusal import Refusal
from bot.materials import service as materials
from handlers.commands.request import CommandRequest


async def add_material(cmd: grammar.MaterialAdd, request: CommandRequest) -> None:
    if cmd.url is None:
        await _open_upload_form(cmd, request)
        return
    async with request.deps.uow() as uow:
        result = await materials.add_material_link(uow, request.deps.clock.now(), request.actor, cmd.case,
                                                   cmd.url or "", cmd.kind)
    await request.reply(build_link_added(result.case, result.material, request.lang),
                        t("materials.link_added", request.lang, code=result.case.code, version=result.material.version))


async def publish(cmd: grammar.Publish, request: CommandRequest) -> None:
    deps, lang = request.deps, request.lang
    async with deps.uow() as uow:
        check = await materials.publish_case(uow, deps.clock.now(), request.actor, cmd.case,
                                             deps.settings.portal_channel, early=cmd.confirmed,
                                             secretariat=deps.settings.admin_ids)
    if check.already:
        await request.reply_text("materials.already_published", code=check.case.code)
    elif not check.ready and not cmd.confirmed:
        await request.reply(build_publication_standing(check, lang),
                            t("materials.not_ready", lang, code=check.case.code))
    else:
        deps.wake_dispatcher()
        await request.reply_text("materials.published" if check.ready else "materials.published_early",
                                 code=check.case.code, to_go=bureau_names(check.to_go, lang))


async def _open_upload_form(cmd: grammar.MaterialAdd, request: CommandRequest) -> None:
    actor, refused = request.actor, None
    async with request.deps.uow() as uow:
        try:
            codes = await materials.upload_form_cases(uow, request.deps.clock.now(), actor, cmd.case)
        except Refusal as refusal:  # answered once the refusal's audit row is committed
            refused = refusal
    if refused is not None:
        await request.reply_text(refused.key, **refused.params)
        return
    await request.client.views_open(trigger_id=request.body["trigger_id"], view=build_upload_modal(request.lang, codes))
