"""読みました, the uploader's confirmation of findings, and the upload modal's opener."""

from __future__ import annotations

import asyncio
import re

from slack_bolt.async_app import AsyncApp

from bot import ids
from bot.core import grammar
from bot.materials.blocks import build_link_check_modal, build_upload_modal
from bot.deps import Deps
from bot.core.i18n import t
from bot.core.pseudonymisation import check_proposed, propose_file
from bot.materials import service as materials
from bot.core.refusal import Refusal
from handlers.commands.request import CommandRequest
from handlers.commands.materials import publish
from handlers.context import NOT_DONE, actor_of, answer, session_button


def _value(body: dict) -> str:
    return str((body.get("actions") or [{}])[0].get("value", ""))[:40]


async def _material_id(body: dict, respond, client, actor) -> int | None:
    """The material a button names ("M12"); a malformed value is answered and gives None."""
    match = re.fullmatch(r"M([1-9][0-9]{0,8})", _value(body))
    if match is None:
        await answer(body, respond, client, actor.user_id, text=t("sessions.error.bad_button", actor.lang))
        return None
    return int(match.group(1))


def register(app: AsyncApp, deps: Deps) -> None:

    @app.action(ids.MATERIAL_READ)
    async def mark_read(ack, body, context, respond, client):
        await ack()
        first = await session_button(deps, body, context, respond, client, materials.mark_read)
        if first is NOT_DONE:
            return
        actor = actor_of(context)
        await answer(body, respond, client, actor.user_id,
                     text=t("materials.read_thanks" if first else "materials.read_already", actor.lang))

    async def on_material_button(body, context, respond, client, work) -> None:
        """A button naming a material ("M12"): ``work(actor, material_id)`` returns the answer's
        text (None: nothing to say); a refusal (Refusal) is answered instead."""
        actor = actor_of(context)
        material_id = await _material_id(body, respond, client, actor)
        if material_id is None:
            return
        try:
            text = await work(actor, material_id)
        except Refusal as err:
            text = t(err.key, actor.lang, **err.params)
        if text is not None:
            await answer(body, respond, client, actor.user_id, text=text)

    @app.action(ids.MATERIAL_CONFIRM)
    async def confirm_findings(ack, body, context, respond, client):
        await ack()

        async def confirm(actor, material_id: int) -> str:
            async with deps.uow() as uow:
                material = await materials.confirm_material(uow, deps.clock.now(), actor, material_id)
            return t("materials.confirmed", actor.lang, version=material.version)

        await on_material_button(body, context, respond, client, confirm)

    @app.action(ids.MATERIAL_ACCEPT_PROPOSAL)
    async def accept_proposal(ack, body, context, respond, client):
        await ack()

        async def accept(actor, material_id: int) -> str:
            async with deps.uow() as uow:
                data, filename, replaced = await materials.material_content(uow, deps.clock.now(), actor, material_id)
            # The proposal is made again from the stored file, off the loop and outside a transaction.
            today = deps.clock.now().astimezone(deps.tz).date()
            proposed = await asyncio.to_thread(propose_file, data, filename, today, actor.lang)
            # What is stored is checked whole: every part of the accepted .docx, or the text.
            remaining = await asyncio.to_thread(check_proposed, proposed, filename, actor.lang)
            content = proposed.docx if proposed.docx is not None else proposed.proposal.text.encode("utf-8")
            async with deps.uow() as uow:
                result = await materials.accept_proposal(
                    uow, deps.clock.now(), actor, material_id, content,
                    materials.proposed_filename(filename, proposed.docx is not None), remaining)
            key = "materials.proposal_accepted_findings" if remaining else "materials.proposal_accepted"
            return t(key, actor.lang, version=result.material.version, replaced=replaced, count=len(remaining))

        await on_material_button(body, context, respond, client, accept)

    @app.action(ids.MATERIAL_WITHDRAW)
    async def withdraw(ack, body, context, respond, client):
        await ack()

        async def take_back(actor, material_id: int) -> str:
            async with deps.uow() as uow:
                material = await materials.withdraw_material(uow, deps.clock.now(), actor, material_id)
            return t("materials.withdrawn", actor.lang, version=material.version)

        await on_material_button(body, context, respond, client, take_back)

    @app.action(ids.MATERIAL_LINK_CHECK_OPEN)
    async def open_link_check(ack, body, context, respond, client):
        await ack()

        async def open_form(actor, material_id: int) -> str | None:
            async with deps.uow() as uow:
                material = await materials.link_material(uow, deps.clock.now(), actor, material_id)
            await client.views_open(trigger_id=body["trigger_id"],
                                    view=build_link_check_modal(material.id, material.url or "", actor.lang))
            return None

        await on_material_button(body, context, respond, client, open_form)

    @app.action(ids.PUBLISH_EARLY)
    async def publish_early(ack, body, context, respond, client):
        """The confirm step of `admin publish`: the same command, confirmed (the service checks the admin)."""
        await ack()
        actor = actor_of(context)
        code = grammar.parse_code(_value(body), "case")
        if code is None:
            await answer(body, respond, client, actor.user_id, text=t("sessions.error.bad_button", actor.lang))
            return
        request = CommandRequest(deps=deps, actor=actor, body=body, respond=respond, client=client)
        try:
            await publish(grammar.Publish(case=code, confirmed=True), request)
        except Refusal as err:
            await answer(body, respond, client, actor.user_id, text=t(err.key, actor.lang, **err.params))

    @app.action(ids.MATERIAL_UPLOAD_OPEN)
    async def open_upload(ack, body, context, client):
        await ack()
        actor = actor_of(context)
        async with deps.uow() as uow:
            cases = await uow.cases.all() if actor.is_admin else await uow.cases.uploadable_by(actor.user_id)
        codes = [c.code for c in cases]
        wanted = _value(body)  # the case the button was for (a proposal's own), chosen first
        if wanted in codes:
            codes = [wanted] + [code for code in codes if code != wanted]
        await client.views_open(trigger_id=body["trigger_id"], view=build_upload_modal(actor.lang, codes))
