"""chat.*: messages and ephemerals the bot posts, updates and deletes, and the posts to a
response_url (Slack's answer to a command or a click), checked against Block Kit's limits."""

from __future__ import annotations

import asyncio
import bisect
import copy
import json
import secrets
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.local.slack.blockkit import MAX_MESSAGE_TEXT, validate_message_blocks
from bot.local.slack.state import Call, Conversation, SlackError, public_message, truthy, ts_micros

RESPONSE_URL_LIFETIME_SECONDS = 30 * 60
RESPONSE_URL_MAX_USES = 5


@dataclass
class ResponseRecord:
    """One POST to a response_url."""

    url_id: str
    user_id: str
    channel_id: str | None
    body: dict[str, Any]
    status: int
    received_at: float = 0.0  # the fake's monotonic clock


@dataclass
class ResponseUrl:
    user_id: str
    channel_id: str | None
    message_ts: str | None
    ephemeral: bool
    issued_at: float
    uses: int = 0


class ChatMethods:
    """chat.postMessage, update, delete, postEphemeral, getPermalink; response_url posts."""

    def add_user_message(self, channel_id: str, user_id: str, text: str,
                         thread_ts: str | None = None) -> dict[str, Any]:
        """Store a message a person wrote (the driver calls this for DMs)."""
        conversation = self.conversations[channel_id]
        message: dict[str, Any] = {"type": "message", "user": user_id, "text": text, "team": self.team_id}
        if thread_ts:
            message["thread_ts"] = thread_ts
        return self._store_message(conversation, message)

    def post_as_bot(self, channel_id: str, text: str, blocks: list[dict] | None = None) -> dict[str, Any]:
        """Store a bot message without a Web API call (a command ack shown in_channel)."""
        return self._store_message(self.conversations[channel_id], self._bot_message(text, blocks, None))

    def add_ephemeral(self, user_id: str, channel_id: str | None, text: str | None,
                      blocks: list[dict] | None, source: str) -> dict[str, Any]:
        ephemeral = {
            "type": "message", "subtype": "ephemeral", "is_ephemeral": True, "ts": self._next_ts(),
            "channel": channel_id, "user": self.bot_user_id, "bot_id": self.bot_id, "text": text or "",
            "blocks": blocks or [], "source": source,
        }
        self._ephemerals.setdefault(user_id, []).append(ephemeral)
        self._emit("ephemeral", channel_id, user_id, ephemeral)
        return ephemeral

    def ephemerals(self, user_id: str) -> list[dict[str, Any]]:
        return copy.deepcopy(self._ephemerals.get(user_id, []))

    def issue_response_url(self, user_id: str, channel_id: str | None, message_ts: str | None = None,
                           *, ephemeral: bool = False) -> str:
        url_id = secrets.token_urlsafe(12)
        self._response_urls[url_id] = ResponseUrl(user_id, channel_id, message_ts, ephemeral, self._monotonic())
        return f"{self.root_url}/response/{url_id}"

    # ------------------------------------------------------------------ Web API

    def _chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        conversation = self._postable(params.get("channel"))
        text, blocks = params.get("text"), params.get("blocks")
        if not text and not blocks and not params.get("attachments"):
            raise SlackError("no_text")
        self._check_message_content(text, blocks)
        metadata = self._check_metadata(params.get("metadata"))
        thread_ts = self._thread_root(conversation, params.get("thread_ts"))
        message = self._bot_message(text, blocks, metadata)
        if params.get("attachments"):
            message["attachments"] = params["attachments"]
        if thread_ts:
            message["thread_ts"] = thread_ts
        stored = self._store_message(conversation, message)
        return {"channel": conversation.id, "ts": stored["ts"], "message": public_message(stored)}

    def _bots_own_message(self, conversation: Conversation, ts: str | None, not_ours: str) -> dict[str, Any]:
        """The message at `ts`: the bot may change or delete only its own (`not_ours` otherwise)."""
        message = conversation.by_ts.get(ts or "")
        if message is None:
            raise SlackError("message_not_found")
        if message.get("user") != self.bot_user_id:
            raise SlackError(not_ours)
        return message

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        conversation = self._postable(params.get("channel"))
        ts = params.get("ts")
        self._bots_own_message(conversation, ts, "cant_update_message")
        text, blocks = params.get("text"), params.get("blocks")
        self._check_message_content(text, blocks)
        metadata = self._check_metadata(params.get("metadata"))
        updated = self._update_message(conversation, ts, text, blocks, metadata)
        return {"channel": conversation.id, "ts": ts, "text": updated.get("text", ""),
                "message": public_message(updated)}

    def _chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        conversation = self._conversation(params.get("channel"))
        ts = params.get("ts")
        self._bots_own_message(conversation, ts, "cant_delete_message")
        self._delete_message(conversation, ts)
        return {"channel": conversation.id, "ts": ts}

    def _chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        conversation = self._postable(params.get("channel"))
        user_id = params.get("user")
        user = self.users.get(user_id or "")
        if user is None:
            raise SlackError("user_not_found")
        if user.deleted:
            raise SlackError("account_inactive")
        if user_id not in conversation.members:
            raise SlackError("user_not_in_channel")
        text, blocks = params.get("text"), params.get("blocks")
        if not text and not blocks:
            raise SlackError("no_text")
        self._check_message_content(text, blocks)
        ephemeral = self.add_ephemeral(user_id, conversation.id, text, blocks, source="chat.postEphemeral")
        return {"message_ts": ephemeral["ts"]}

    def _chat_get_permalink(self, params: dict[str, Any]) -> dict[str, Any]:
        conversation = self._conversation(params.get("channel"))
        ts = params.get("message_ts") or ""
        if ts not in conversation.by_ts:
            raise SlackError("message_not_found")
        return {"channel": conversation.id,
                "permalink": f"https://local.slack/archives/{conversation.id}/p{ts.replace('.', '')}"}

    # ------------------------------------------------------------------ response_url

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        url_id = request.match_info["url_id"]
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.Response(status=400, text="invalid_payload", content_type="text/plain")
        if self.latency:
            await asyncio.sleep(self.latency)
        registered = self._response_urls.get(url_id)
        if registered is None:
            status, answer = 404, "invalid_url"
        elif self._monotonic() - registered.issued_at > RESPONSE_URL_LIFETIME_SECONDS:
            status, answer = 404, "expired_url"
        elif registered.uses >= RESPONSE_URL_MAX_USES:
            status, answer = 404, "used_url"
        else:
            status, answer = self._apply_response(registered, body)
            if status == 200:
                registered.uses += 1
        self.responses.append(ResponseRecord(url_id, registered.user_id if registered else "",
                                             registered.channel_id if registered else None, body, status,
                                             self._monotonic()))
        self.calls.append(Call("response_url", body, {"ok": status == 200, "answer": answer}, status))
        return web.Response(status=status, text=answer, content_type="text/plain")

    def _apply_response(self, target: ResponseUrl, body: dict[str, Any]) -> tuple[int, str]:
        if not isinstance(body, dict):
            return 400, "invalid_payload"
        if truthy(body.get("delete_original")):
            if target.ephemeral:
                self._drop_ephemeral(target.user_id, target.message_ts)
            elif target.channel_id and target.message_ts:
                conversation = self.conversations.get(target.channel_id)
                if conversation and target.message_ts in conversation.by_ts:
                    self._delete_message(conversation, target.message_ts)
            return 200, "ok"
        text, blocks = body.get("text"), body.get("blocks")
        if not text and not blocks:
            return 400, "no_text"
        problems = validate_message_blocks(blocks) if blocks is not None else []
        if problems:
            self.violations.extend(f"response_url: {p}" for p in problems)
            return 400, "invalid_blocks"
        if truthy(body.get("replace_original")) and target.message_ts:
            if target.ephemeral:
                self._drop_ephemeral(target.user_id, target.message_ts)
            else:
                conversation = self.conversations.get(target.channel_id or "")
                if conversation and target.message_ts in conversation.by_ts:
                    self._update_message(conversation, target.message_ts, text, blocks, None)
                    return 200, "ok"
        if body.get("response_type") == "in_channel" and target.channel_id in self.conversations:
            self._store_message(self.conversations[target.channel_id], self._bot_message(text, blocks, None))
            return 200, "ok"
        self.add_ephemeral(target.user_id, target.channel_id, text, blocks, source="response_url")
        return 200, "ok"

    # ------------------------------------------------------------------ messages kept

    def _thread_root(self, conversation: Conversation, thread_ts: Any) -> str | None:
        """The ts a reply should carry: a reply's ts stands for its parent, as in Slack."""
        if not thread_ts:
            return None
        parent = conversation.by_ts.get(thread_ts)
        if parent is None:
            raise SlackError("thread_not_found")
        return parent.get("thread_ts") or parent["ts"]

    def _check_message_content(self, text: Any, blocks: Any) -> None:
        if isinstance(text, str) and len(text) > MAX_MESSAGE_TEXT:
            raise SlackError("msg_too_long")
        if blocks is None:
            return
        if isinstance(blocks, str):
            raise SlackError("invalid_blocks_format")
        problems = validate_message_blocks(blocks)
        if problems:
            self.violations.extend(problems)
            raise SlackError("invalid_blocks", errors=problems)

    def _check_metadata(self, metadata: Any) -> dict[str, Any] | None:
        if metadata in (None, "", {}):
            return None
        if not isinstance(metadata, dict) or not isinstance(metadata.get("event_type"), str) \
                or not isinstance(metadata.get("event_payload"), dict):
            raise SlackError("invalid_metadata_format")
        return metadata

    def _bot_message(self, text: Any, blocks: Any, metadata: dict[str, Any] | None) -> dict[str, Any]:
        message: dict[str, Any] = {"type": "message", "user": self.bot_user_id, "bot_id": self.bot_id,
                                   "app_id": self.app_id, "team": self.team_id, "text": text or ""}
        if blocks is not None:
            message["blocks"] = blocks
        if metadata is not None:
            message["metadata"] = metadata
        return message

    def _store_message(self, conversation: Conversation, message: dict[str, Any]) -> dict[str, Any]:
        ts = self._next_ts()
        message["ts"] = ts
        message["channel"] = conversation.id
        conversation.messages.append(message)
        conversation.ts_keys.append(ts_micros(ts))
        conversation.by_ts[ts] = message
        parent = conversation.by_ts.get(message.get("thread_ts", ""))
        if parent is not None and parent is not message:
            parent["thread_ts"] = parent["ts"]
            parent["reply_count"] = parent.get("reply_count", 0) + 1
            parent["latest_reply"] = ts
        self._emit("message", conversation.id, message.get("user"), message)
        return message

    def _update_message(self, conversation: Conversation, ts: str, text: Any, blocks: Any,
                        metadata: dict[str, Any] | None) -> dict[str, Any]:
        message = conversation.by_ts[ts]
        if text is not None:
            message["text"] = text
        if blocks is not None:
            message["blocks"] = blocks
        if metadata is not None:
            message["metadata"] = metadata
        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        self._emit("message_changed", conversation.id, message.get("user"), message)
        return message

    def _delete_message(self, conversation: Conversation, ts: str) -> None:
        message = conversation.by_ts.pop(ts)
        index = bisect.bisect_left(conversation.ts_keys, ts_micros(ts))
        del conversation.messages[index]
        del conversation.ts_keys[index]
        self._emit("message_deleted", conversation.id, message.get("user"), message)

    def _drop_ephemeral(self, user_id: str, ts: str | None) -> None:
        kept = [e for e in self._ephemerals.get(user_id, []) if e["ts"] != ts]
        self._ephemerals[user_id] = kept
