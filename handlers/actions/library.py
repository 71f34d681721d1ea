"""開く / Open on a library case, and a study group's 共有する / Share with its check."""

from __future__ import annotations

import asyncio

from bot.core import grammar
from bot.core.i18n import t
from bot.core.refusal import Refusal
from bot.library import service as library
from bot.library.blocks import build_needs_pledge, build_share_findings
from handlers.context import actor_of, answer, button_value, deps_of, message


async def open_case(ack, body, context, respond, client):
    await ack()
    deps, actor = deps_of(context), actor_of(context)
    code = grammar.parse_code(button_value(body, 20), "case")
    if code is None:
        await answer(body, respond, client, actor.user_id, text=t("sessions.error.bad_button", actor.lang))
        return
    try:
        async with deps.uow() as uow:
            opened = await library.open_case(uow, deps.clock.now(), actor, code)
    except Refusal as err:
        await answer(body, respond, client, actor.user_id, text=t(err.key, actor.lang, **err.params))
        return
    if opened.needs_pledge:
        await answer(body, respond, client, actor.user_id,
                     **message(build_needs_pledge(opened.entry, actor.lang),
                               t("library.needs_pledge", actor.lang, code=opened.entry.code)))
        return
    deps.wake_dispatcher()
    key = "library.sent" if opened.queued else "library.sent_already"
    await answer(body, respond, client, actor.user_id, text=t(key, actor.lang, code=opened.entry.code))


async def _share(body, context, respond, client, *, accept_proposal: bool) -> None:
    deps, actor = deps_of(context), actor_of(context)
    code = grammar.parse_code(button_value(body, 20), "session")
    if code is None:
        await answer(body, respond, client, actor.user_id, text=t("sessions.error.bad_button", actor.lang))
        return
    now = deps.clock.now()
    try:
        async with deps.uow() as uow:
            draft = await library.share_draft(uow, now, actor, code)
        # The check runs off the loop, with no transaction open.
        checked = await asyncio.to_thread(library.check_share, draft, now.astimezone(deps.tz).date(), actor.lang)
        if not checked.clean and not accept_proposal:
            await answer(body, respond, client, actor.user_id,
                         **message(build_share_findings(code, checked.proposal, actor.lang),
                                   t("library.share.findings", actor.lang, code=code,
                                     count=len(checked.proposal.replacements))))
            return
        async with deps.uow() as uow:
            entry = await library.share(uow, deps.clock.now(), deps.tz, actor, code, checked,
                                        accept_proposal=accept_proposal)
    except Refusal as err:
        await answer(body, respond, client, actor.user_id, text=t(err.key, actor.lang, **err.params))
        return
    key = "library.share.shared" if checked.clean else "library.share.shared_anonymised"
    await answer(body, respond, client, actor.user_id, text=t(key, actor.lang, code=code, case=entry.code))


async def share_case(ack, body, context, respond, client):
    await ack()
    await _share(body, context, respond, client, accept_proposal=False)


async def share_anonymised(ack, body, context, respond, client):
    await ack()
    await _share(body, context, respond, client, accept_proposal=True)
