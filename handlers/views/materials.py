"""The upload modal: the file is fetched from Slack, checked and stored encrypted; the
uploader sees the findings in a DM and must fix or confirm them before release."""

from __future__ import annotations

import asyncio

import aiohttp
from slack_bolt.async_app import AsyncApp

from bot import ids
from bot.blocks.materials import build_findings
from bot.deps import Deps
from bot.i18n import t
from bot.pseudonymisation import propose_file
from bot.services import materials
from bot.services.sessions import SessionError
from handlers.context import actor_of, message


async def download_file(deps: Deps, client, file_id: str) -> tuple[bytes, str]:
    info = await client.files_info(file=file_id)
    meta = info["file"]
    token = deps.settings.slack_bot_token.get_secret_value() if deps.settings.slack_bot_token else ""
    async with aiohttp.ClientSession() as http:
        async with http.get(meta["url_private"], headers={"Authorization": f"Bearer {token}"}) as response:
            response.raise_for_status()
            data = await response.content.read(materials.MAX_FILE_BYTES + 1)
    return data, meta.get("name") or "material"


def register(app: AsyncApp, deps: Deps) -> None:
    @app.view(ids.MATERIAL_UPLOAD_VIEW)
    async def submit_upload(ack, body, context, client):
        actor = actor_of(context)
        values = body["view"]["state"]["values"]
        case_code = (values.get(ids.MATERIAL_CASE_BLOCK, {}).get(ids.MATERIAL_CASE_INPUT, {})
                     .get("selected_option") or {}).get("value", "")
        kind = (values.get(ids.MATERIAL_KIND_BLOCK, {}).get(ids.MATERIAL_KIND_INPUT, {})
                .get("selected_option") or {}).get("value", "material")
        files = values.get(ids.MATERIAL_FILE_BLOCK, {}).get(ids.MATERIAL_FILE_INPUT, {}).get("files") or []
        if not files:
            await ack(response_action="errors", errors={ids.MATERIAL_FILE_BLOCK: t("materials.error.no_file", actor.lang)})
            return
        if kind not in ("material", "commentary"):
            kind = "material"
        await ack()
        data, filename = await download_file(deps, client, files[0]["id"])
        try:
            async with deps.uow() as uow:
                result = await materials.add_material_file(uow, deps.clock.now(), actor, case_code, data, filename, kind)
        except SessionError as err:
            await client.chat_postMessage(channel=actor.user_id, text=t(err.key, actor.lang, **err.params))
            return
        proposal = None
        if result.findings:  # the anonymised version to offer, made off the event loop
            today = deps.clock.now().astimezone(deps.tz).date()
            proposal = (await asyncio.to_thread(propose_file, data, filename, today, actor.lang)).proposal
        blocks = build_findings(result.case, result.material, result.findings, actor.lang, proposal)
        await client.chat_postMessage(channel=actor.user_id, **message(blocks, t("materials.checked", actor.lang)))
