"""The `/jirei check` modal: the pasted text or attached file is checked off the event loop and the
findings and proposal replace the modal, so only the asker sees them. Nothing of the text is stored
in the database or written to the log."""

from __future__ import annotations

import asyncio

from bot import ids
from bot.core.anonymisation import TextTooLong
from bot.checks.blocks import build_check_result, build_checking_view, build_refusal_view
from bot.deps import Deps
from bot.core.documents import UnreadableDocument, UnsupportedDocument
from bot.core.i18n import t
from bot.core.pseudonymisation import propose_file, propose_text
from bot.core.refusal import Refusal
from handlers.context import actor_of, deps_of
from handlers.views.materials import download_file

# Slack waits 3 seconds for a view_submission's ack.
ANSWER_IN_ACK_SECONDS = 2.0


async def submit_check(ack, body, context, client):
    deps = deps_of(context)
    actor = actor_of(context)
    lang = actor.lang
    values = body["view"]["state"]["values"]
    pasted = (values.get(ids.CHECK_TEXT_BLOCK, {}).get(ids.CHECK_TEXT_INPUT, {}).get("value") or "").strip()
    files = values.get(ids.CHECK_FILE_BLOCK, {}).get(ids.CHECK_FILE_INPUT, {}).get("files") or []
    if not pasted and not files:
        await ack(response_action="errors", errors={ids.CHECK_TEXT_BLOCK: t("checks.nothing_given", lang)})
        return
    # Answer in the ack when the check is quick (a pasted text almost always is), so no later
    # views.update can race the ack's own update; otherwise show "checking" and update after.
    work = asyncio.ensure_future(_check(deps, client, lang, pasted, files))
    done, _ = await asyncio.wait({work}, timeout=ANSWER_IN_ACK_SECONDS)
    if done:
        await ack(response_action="update", view=work.result())
        return
    await ack(response_action="update", view=build_checking_view(lang))
    await client.views_update(view_id=body["view"]["id"], view=await work)


async def _check(deps: Deps, client, lang: str, pasted: str, files: list[dict]) -> dict:
    today = deps.clock.now().astimezone(deps.tz).date()
    try:
        if files:
            data, filename = await download_file(deps, client, files[0]["id"])
            proposed = await asyncio.to_thread(propose_file, data, filename, today, lang)
            return build_check_result(proposed.proposal, lang, layout_lost=proposed.layout_lost)
        return build_check_result(await asyncio.to_thread(propose_text, pasted, today, lang), lang)
    except UnsupportedDocument as unsupported:
        return build_refusal_view(lang, "checks.unsupported", kind=unsupported.kind)
    except UnreadableDocument:
        return build_refusal_view(lang, "checks.unreadable")
    except TextTooLong as too_long:
        return build_refusal_view(lang, "checks.too_long", limit=too_long.limit)
    except Refusal as refusal:  # the file could not be fetched from Slack, or is over the size cap
        return build_refusal_view(lang, refusal.key, **refusal.params)
