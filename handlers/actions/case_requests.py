"""The lecturer's 引き受ける / 辞退する and the secretariat's 承認 / 差し戻し buttons."""

from __future__ import annotations

import re

from bot.core.i18n import t
from bot.deps import Deps
from bot.requests import service as requests
from bot.requests.blocks import build_reason_modal, build_return_modal
from handlers.context import on_button

_REQUEST = re.compile(r"Q[1-9][0-9]{0,8}")
_REVIEW = re.compile(r"(Q[1-9][0-9]{0,8}):M([1-9][0-9]{0,8})")


async def _take_on(deps: Deps, actor, match) -> str:
    async with deps.uow() as uow:
        request = await requests.answer_request(uow, deps.clock.now(), deps.tz, actor, match.group(0),
                                                accept=True, secretariat=deps.settings.admin_ids)
    deps.wake_dispatcher()
    return t("requests.accepted", actor.lang, code=request.code, case=f"C{request.case_id}")


async def accept(ack, body, context, respond, client):
    await ack()
    await on_button(body, context, respond, client, _REQUEST, _take_on)


async def decline(ack, body, context, respond, client):
    await ack()

    async def open_reason(deps: Deps, actor, match) -> None:
        async with deps.uow() as uow:
            request = await requests.request_to_answer(uow, deps.clock.now(), actor, match.group(0))
        await client.views_open(trigger_id=body["trigger_id"], view=build_reason_modal(request.code, actor.lang))

    await on_button(body, context, respond, client, _REQUEST, open_reason)


async def _approve_version(deps: Deps, actor, match) -> str:
    async with deps.uow() as uow:
        request = await requests.review_material(uow, deps.clock.now(), actor, match.group(1),
                                                 int(match.group(2)), approve=True)
    deps.wake_dispatcher()
    return t("requests.approved", actor.lang, code=request.code, case=f"C{request.case_id}")


async def approve(ack, body, context, respond, client):
    await ack()
    await on_button(body, context, respond, client, _REVIEW, _approve_version)


async def give_back(ack, body, context, respond, client):
    await ack()

    async def open_note(deps: Deps, actor, match) -> None:
        async with deps.uow() as uow:
            request, material = await requests.review_target(uow, deps.clock.now(), actor, match.group(1),
                                                             int(match.group(2)))
        await client.views_open(trigger_id=body["trigger_id"],
                                view=build_return_modal(request.code, material.id, actor.lang))

    await on_button(body, context, respond, client, _REVIEW, open_note)
