"""Talking to Slack for the dispatcher: paced calls, a verdict for every answer, reconciliation.

Every answer becomes a `CallResult` whose `verdict` says what the dispatcher should do:

- ok         the call took effect;
- retry      worth trying again later (5xx, 429, connection trouble, timeouts);
- failed     permanent (the person is gone, the channel archived, the blocks invalid…).

`outcome_unknown` is set when the call may have taken effect even though we got no clean
answer (a timeout, a dropped connection after the request went out, a 500 — Slack documents
that "some aspect of the operation" may have succeeded). Such a delivery is reconciled —
looked for in the conversation's history by the dedupe key in its metadata — before any resend.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery.pacing import Pacer
from bot.delivery.renderers import FileUpload, Message
from storage.models import Delivery

log = logging.getLogger(__name__)

METADATA_EVENT_TYPE = "jirei_delivery"

# Slack error codes a retry may fix; any other error is recorded on the row as permanent.
TRANSIENT_ERRORS = frozenset({
    "ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout",
    "rate_limited", "team_not_found_temporarily", "file_upload_not_complete",
})
# HTTP statuses after which the request certainly had no effect. Other 5xx may have had one.
NO_EFFECT_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class CallResult:
    verdict: str  # ok | retry | failed
    data: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    retry_after: float | None = None
    outcome_unknown: bool = False
    status: int | None = None

    @property
    def ok(self) -> bool:
        return self.verdict == "ok"


def classify_answer(status: int, data: dict[str, Any] | None, headers: Any = None) -> CallResult:
    """The verdict for one HTTP answer from the Web API. Pure, so it is tested on its own."""
    data = data if isinstance(data, dict) else {}
    error = data.get("error")
    retry_after = _retry_after_seconds(headers)
    if status == 200 and data.get("ok"):
        return CallResult("ok", data=data, status=status)
    if status == 429 or error in ("ratelimited", "rate_limited"):
        return CallResult("retry", error="ratelimited", retry_after=retry_after or 1.0, status=status)
    if status >= 500:
        return CallResult("retry", error=error or f"http_{status}", retry_after=retry_after,
                          outcome_unknown=status not in NO_EFFECT_STATUSES, status=status)
    if error in TRANSIENT_ERRORS:
        return CallResult("retry", error=error, retry_after=retry_after, status=status,
                          outcome_unknown=error in ("internal_error", "fatal_error", "request_timeout"))
    if status == 200 and error:
        # Unknown codes are treated as permanent: retrying blindly could loop for ever.
        return CallResult("failed", error=str(error), status=status)
    return CallResult("failed", error=str(error or f"http_{status}"), status=status)


def classify_exception(exc: BaseException) -> CallResult:
    """Transport trouble: could not connect (no effect) or lost the answer (effect unknown)."""
    if isinstance(exc, aiohttp.ClientConnectorError):
        return CallResult("retry", error="connect_error")
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return CallResult("retry", error="timeout", outcome_unknown=True)
    if isinstance(exc, aiohttp.ClientError):
        return CallResult("retry", error="connection_error", outcome_unknown=True)
    return CallResult("failed", error="client_error")


def _retry_after_seconds(headers: Any) -> float | None:
    if not headers:
        return None
    value = headers.get("Retry-After") or headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except (TypeError, ValueError):
        return None


def sending_client(client: AsyncWebClient) -> AsyncWebClient:
    """A twin of the bot's client without the SDK's automatic retries.

    The SDK retries a dropped connection by sending again, which could post twice; the
    dispatcher retries itself, reconciling first when the outcome is unknown.
    """
    if not isinstance(client, AsyncWebClient):
        return client
    return AsyncWebClient(token=client.token, base_url=client.base_url, timeout=client.timeout, ssl=client.ssl,
                          proxy=client.proxy, session=client.session, retry_handlers=[])


def delivery_metadata(delivery: Delivery) -> dict[str, Any]:
    return {"event_type": METADATA_EVENT_TYPE, "event_payload": {"dedupe_key": delivery.dedupe_key}}


def carries_key(message: dict[str, Any], dedupe_key: str) -> bool:
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return metadata.get("event_type") == METADATA_EVENT_TYPE and payload.get("dedupe_key") == dedupe_key


@dataclass(frozen=True)
class Found:
    channel: str
    ts: str


class SlackSender:
    """Paced Web API calls with verdicts; one per dispatcher (it caches DM channels and files)."""

    def __init__(self, client: AsyncWebClient, pacer: Pacer, *, timeout: float = 15.0) -> None:
        self.client = client
        self.pacer = pacer
        self.timeout = timeout
        self._dm_channels: dict[str, str] = {}

    async def call(self, method: str, *, paced: bool = True, **params: Any) -> CallResult:
        if paced:
            await self.pacer.acquire(method)
        try:
            response = await asyncio.wait_for(self.client.api_call(method, json=params), timeout=self.timeout)
            result = classify_answer(response.status_code, response.data, response.headers)
        except SlackApiError as error:
            answer = error.response
            result = classify_answer(answer.status_code, answer.data if isinstance(answer.data, dict) else {},
                                     answer.headers)
        except (aiohttp.ClientError, asyncio.TimeoutError, TimeoutError, SlackClientError) as error:
            result = classify_exception(error)
        if result.error == "ratelimited":
            self.pacer.rate_limited(method, result.retry_after or 1.0)
        return result

    # --- sending -----------------------------------------------------------------------

    async def post(self, delivery: Delivery, message: Message) -> CallResult:
        """chat.postMessage with the dedupe key in the metadata. `data` has channel and ts."""
        blocks = message.blocks
        params: dict[str, Any] = {
            "channel": message.channel or delivery.recipient,
            "text": message.text,
            "metadata": delivery_metadata(delivery),
            "unfurl_links": message.unfurl_links,
            "unfurl_media": message.unfurl_links,
            **message.extra,
        }
        if blocks:
            params["blocks"] = blocks
        result = await self.call("chat.postMessage", paced=False, **params)
        if result.ok and params["channel"] != result.data.get("channel") and result.data.get("channel"):
            self._dm_channels[params["channel"]] = result.data["channel"]
        return result

    async def upload_into_thread(self, channel: str, thread_ts: str, upload: FileUpload) -> CallResult:
        """Upload a file into the thread of a posted message (Slack cannot re-share a bot's file).

        files_upload_v2 is three requests (get URL, upload bytes, complete); a lost answer from
        the last one means the file may be in the thread, so a retry checks the thread first.
        """
        await self.pacer.acquire("files.getUploadURLExternal")
        await self.pacer.acquire("files.completeUploadExternal")
        try:
            response = await asyncio.wait_for(
                self.client.files_upload_v2(filename=upload.filename, content=upload.content, title=upload.title,
                                            channel=channel, thread_ts=thread_ts),
                timeout=self.timeout * 2)
            return classify_answer(response.status_code, response.data, response.headers)
        except SlackApiError as error:
            answer = error.response
            return classify_answer(answer.status_code, answer.data if isinstance(answer.data, dict) else {},
                                   answer.headers)
        except SlackRequestError:
            # The bytes were refused by the upload URL; nothing was shared yet.
            return CallResult("retry", error="upload_failed")
        except (aiohttp.ClientError, asyncio.TimeoutError, TimeoutError, SlackClientError) as error:
            return classify_exception(error)

    async def thread_has_upload(self, channel: str, thread_ts: str, filename: str) -> CallResult:
        """Whether a reply in the thread already carries the file (`data["found"]`)."""
        result = await self.call("conversations.replies", channel=channel, ts=thread_ts, limit=200)
        if not result.ok:
            return result
        found = any(file.get("name") == filename
                    for reply in result.data.get("messages") or [] if reply.get("ts") != thread_ts
                    for file in reply.get("files") or [])
        return CallResult("ok", data={"found": found})

    # --- reconciling ---------------------------------------------------------------------

    async def conversation_for(self, target: str) -> CallResult:
        """The conversation id a post to `target` lands in (a user id means their DM)."""
        if not target[:1] in ("U", "W"):
            return CallResult("ok", data={"channel": target})
        cached = self._dm_channels.get(target)
        if cached:
            return CallResult("ok", data={"channel": cached})
        result = await self.call("conversations.open", users=target)
        if not result.ok:
            return result
        channel = (result.data.get("channel") or {}).get("id")
        if not channel:
            return CallResult("failed", error="channel_not_found")
        self._dm_channels[target] = channel
        return CallResult("ok", data={"channel": channel})

    async def find_posted(self, delivery: Delivery, target: str, *, oldest: datetime | None,
                          max_pages: int = 3, page_size: int = 200) -> tuple[CallResult, Found | None]:
        """Look for a message carrying this delivery's dedupe key, newest first.

        The window is bounded: at most `max_pages` pages, and no page older than `oldest` (the
        earliest the first attempt can have happened). `oldest` only stops the paging rather than
        going into the query, so a Slack clock that disagrees with ours (a ManualClock console)
        can narrow the search to the newest page but never hide a recent message.
        """
        where = await self.conversation_for(target)
        if not where.ok:
            return where, None
        channel = where.data["channel"]
        cursor: str | None = None
        floor = oldest.timestamp() if oldest is not None else None
        for _ in range(max_pages):
            params: dict[str, Any] = {"channel": channel, "limit": page_size, "include_all_metadata": True}
            if cursor:
                params["cursor"] = cursor
            page = await self.call("conversations.history", **params)
            if not page.ok:
                return page, None
            messages = page.data.get("messages") or []
            for message in messages:
                if carries_key(message, delivery.dedupe_key):
                    return page, Found(channel=channel, ts=message["ts"])
            cursor = (page.data.get("response_metadata") or {}).get("next_cursor") or None
            reached_floor = floor is not None and any(_ts_seconds(m.get("ts")) < floor for m in messages)
            if not cursor or not page.data.get("has_more") or reached_floor:
                break
        return CallResult("ok", data={"channel": channel}), None

    # --- progress messages ---------------------------------------------------------------

    async def update(self, channel: str, ts: str, text: str, blocks: list[dict] | None, *,
                     optional: bool, paced: bool = True) -> CallResult | None:
        """chat.update; an optional update is dropped (None) rather than waiting for the rate.
        `paced=False`: the caller has waited for the pacer already."""
        if optional and not self.pacer.try_acquire("chat.update"):
            return None
        params: dict[str, Any] = {"channel": channel, "ts": ts, "text": text}
        if blocks is not None:
            params["blocks"] = blocks
        return await self.call("chat.update", paced=paced and not optional, **params)


def _ts_seconds(ts: Any) -> float:
    try:
        return float(ts)
    except (TypeError, ValueError):
        return float("inf")
