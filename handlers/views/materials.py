"""The upload modal: the submitter's right is checked, then the file is fetched from Slack (to its
end, within the size limit), checked off the event loop and stored encrypted; the uploader sees
the findings in a DM and must fix or confirm them before release."""

from __future__ import annotations

import asyncio
import re

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError

from bot import ids
from bot.materials.blocks import build_findings
from bot.deps import Deps
from bot.core.i18n import t
from bot.core.pseudonymisation import propose_file
from bot.materials import service as materials
from bot.people.results import Actor
from bot.core.refusal import Refusal
from handlers.context import actor_of, deps_of, message, refuse_in_dm

DOWNLOAD_CHUNK_BYTES = 256 * 1024
DOWNLOAD_PAUSE_SECONDS = 30.0  # the longest Slack may go without sending a byte of the file


def download_timeout(seconds: float) -> aiohttp.ClientTimeout:
    """The whole download within `seconds` (JIREI_DOWNLOAD_TIMEOUT_SECONDS), no pause longer than
    DOWNLOAD_PAUSE_SECONDS: a stalled or trickling download is given up."""
    return aiohttp.ClientTimeout(total=seconds, sock_connect=min(seconds, DOWNLOAD_PAUSE_SECONDS),
                                 sock_read=min(seconds, DOWNLOAD_PAUSE_SECONDS))


async def download_file(deps: Deps, client, file_id: str, limit: int | None = None) -> tuple[bytes, str]:
    """The whole file and its name; a file over `limit` bytes (materials.MAX_FILE_BYTES unless given)
    is refused without being read further.

    One read() returns only what has arrived so far, so the body is read chunk by chunk to its end."""
    limit = materials.MAX_FILE_BYTES if limit is None else limit
    try:
        meta = (await client.files_info(file=file_id))["file"]
        if int(meta.get("size") or 0) > limit:
            raise materials.too_large()
        token = deps.settings.slack_bot_token.get_secret_value() if deps.settings.slack_bot_token else ""
        async with aiohttp.ClientSession(timeout=download_timeout(deps.settings.download_timeout_seconds)) as http:
            async with http.get(meta["url_private"], headers={"Authorization": f"Bearer {token}"}) as response:
                response.raise_for_status()
                if (response.content_length or 0) > limit:
                    raise materials.too_large()
                chunks, size = [], 0
                async for chunk in response.content.iter_chunked(DOWNLOAD_CHUNK_BYTES):
                    size += len(chunk)
                    if size > limit:
                        raise materials.too_large()
                    chunks.append(chunk)
    except (SlackApiError, SlackClientError, aiohttp.ClientError, asyncio.TimeoutError, KeyError):
        raise Refusal("materials.error.download_failed") from None
    return b"".join(chunks), str(meta.get("name") or "material")


async def receive_upload(deps: Deps, client, actor: Actor, case_code: str, file_id: str,
                         kind: str) -> tuple[materials.MaterialResult, materials.CheckedFile]:
    """Right first, then the file; the check runs outside any transaction; then it is stored."""
    async with deps.uow() as uow:
        await materials.case_for_upload(uow, deps.clock.now(), actor, case_code)
    data, filename = await download_file(deps, client, file_id)
    checked = await materials.check_file(data, filename, actor.lang)
    async with deps.uow() as uow:
        return await materials.add_material_file(uow, deps.clock.now(), actor, case_code, checked, kind), checked


async def submit_upload(ack, body, context, client):
    deps = deps_of(context)
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
    try:
        result, checked = await receive_upload(deps, client, actor, case_code, files[0]["id"], kind)
    except Refusal as err:
        await refuse_in_dm(client, actor, err)
        return
    proposal = None
    if result.findings:  # the anonymised version to offer, made off the event loop
        today = deps.clock.now().astimezone(deps.tz).date()
        proposal = (await asyncio.to_thread(propose_file, checked.data, checked.filename, today,
                                            actor.lang)).proposal
    blocks = build_findings(result.case, result.material, result.findings, actor.lang, proposal,
                            result.name_findings)
    await client.chat_postMessage(channel=actor.user_id, **message(blocks, t("materials.checked", actor.lang)))


async def submit_link_check(ack, body, context, client):
    deps = deps_of(context)
    actor = actor_of(context)
    view = body["view"]
    chosen = (view["state"]["values"].get(ids.MATERIAL_LINK_CHECK_BLOCK, {})
              .get(ids.MATERIAL_LINK_CHECK_INPUT, {}).get("selected_options") or [])
    if not any(option.get("value") == "checked" for option in chosen):
        await ack(response_action="errors",
                  errors={ids.MATERIAL_LINK_CHECK_BLOCK: t("materials.link_check_option", actor.lang)})
        return
    await ack()
    match = re.fullmatch(r"M([1-9][0-9]{0,8})", str(view.get("private_metadata") or ""))
    try:
        if match is None:
            raise Refusal("materials.error.not_found")
        async with deps.uow() as uow:
            material = await materials.link_material(uow, deps.clock.now(), actor, int(match.group(1)))
            await materials.confirm_material(uow, deps.clock.now(), actor, material.id)
    except Refusal as err:
        await refuse_in_dm(client, actor, err)
        return
    await client.chat_postMessage(channel=actor.user_id, text=t("materials.link_checked", actor.lang,
                                                                version=material.version))
