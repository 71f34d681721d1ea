"""読みました, the uploader's confirmation of findings, and the upload modal's opener."""

from __future__ import annotations

import re

from bot.core import grammar
from bot.materials.blocks import build_link_check_modal, build_upload_modal
from bot.deps import Deps
from bot.core.i18n import t
from bot.materials import service as materials
from bot.core.refusal import Refusal
from handlers.commands.request import CommandRequest
from handlers.commands.materials import publish
from handlers.context import NOT_DONE, actor_of, answer, button_value, deps_of, on_button, session_button


_MATERIAL = re.compile(r"M([1-9][0-9]{0,8})")


async def mark_read(ack, body, context, respond, client):
    await ack()
    first = await session_button(deps_of(context), body, context, respond, client, materials.mark_read)
    if first is NOT_DONE:
        return
    actor = actor_of(context)
    await answer(body, respond, client, actor.user_id,
                 text=t("materials.read_thanks" if first else "materials.read_already", actor.lang))


async def _confirm(deps: Deps, actor, match: re.Match) -> str:
    material_id = int(match.group(1))
    async with deps.uow() as uow:
        material = await materials.confirm_material(uow, deps.clock.now(), actor, material_id)
    return t("materials.confirmed", actor.lang, version=material.version)


async def confirm_findings(ack, body, context, respond, client):
    await ack()
    await on_button(body, context, respond, client, _MATERIAL, _confirm)


async def _accept(deps: Deps, actor, match: re.Match) -> str:
    material_id = int(match.group(1))
    async with deps.uow() as uow:
        data, filename, replaced = await materials.material_content(uow, deps.clock.now(), actor, material_id)
    today = deps.clock.now().astimezone(deps.tz).date()
    proposal = await materials.make_proposal(data, filename, today, actor.lang)  # outside a transaction
    async with deps.uow() as uow:
        result = await materials.accept_proposal(uow, deps.clock.now(), actor, material_id, proposal.content,
                                                 proposal.filename, proposal.remaining)
    key = "materials.proposal_accepted_findings" if proposal.remaining else "materials.proposal_accepted"
    return t(key, actor.lang, version=result.material.version, replaced=replaced, count=len(proposal.remaining))


async def accept_proposal(ack, body, context, respond, client):
    await ack()
    await on_button(body, context, respond, client, _MATERIAL, _accept)


async def _take_back(deps: Deps, actor, match: re.Match) -> str:
    material_id = int(match.group(1))
    async with deps.uow() as uow:
        material = await materials.withdraw_material(uow, deps.clock.now(), actor, material_id)
    return t("materials.withdrawn", actor.lang, version=material.version)


async def withdraw(ack, body, context, respond, client):
    await ack()
    await on_button(body, context, respond, client, _MATERIAL, _take_back)


async def open_link_check(ack, body, context, respond, client):
    await ack()

    async def open_form(deps: Deps, actor, match: re.Match) -> None:
        async with deps.uow() as uow:
            material = await materials.link_material(uow, deps.clock.now(), actor, int(match.group(1)))
        await client.views_open(trigger_id=body["trigger_id"],
                                view=build_link_check_modal(material.id, material.url or "", actor.lang))
        return None

    await on_button(body, context, respond, client, _MATERIAL, open_form)


async def publish_early(ack, body, context, respond, client):
    """The confirm step of `admin publish`: the same command, confirmed (the service checks the admin)."""
    await ack()
    actor = actor_of(context)
    code = grammar.parse_code(button_value(body, 40), "case")
    if code is None:
        await answer(body, respond, client, actor.user_id, text=t("sessions.error.bad_button", actor.lang))
        return
    request = CommandRequest(deps=deps_of(context), actor=actor, body=body, respond=respond, client=client)
    try:
        await publish(grammar.Publish(case=code, confirmed=True), request)
    except Refusal as err:
        await answer(body, respond, client, actor.user_id, text=t(err.key, actor.lang, **err.params))


async def open_upload(ack, body, context, client):
    """The upload modal, offering the cases the presser may add to (the button's own case first)."""
    await ack()
    actor = actor_of(context)
    async with deps_of(context).uow() as uow:
        codes = await materials.uploadable_case_codes(uow, actor, first=button_value(body, 40))
    await client.views_open(trigger_id=body["trigger_id"], view=build_upload_modal(actor.lang, codes))
