"""FakeSlack: a local stand-in for Slack's Web API, for the console, the demo and the tests.

It is an aiohttp application on loopback. Point ``AsyncWebClient(base_url=fake_url)`` at it and
the bot cannot tell the difference for the methods Jirei uses: it keeps users, conversations,
messages, ephemerals, views and files; checks Block Kit limits (``blockkit.py``); and records
every call. Fault switches (failures, rate limits, outages, delays) let tests prove the bot
survives a bad day at Slack. A call answered with a fault never takes effect. ``latency`` plays
Slack over the internet: every Web API call, file upload and response_url post waits that many
seconds before it is taken.
"""

from __future__ import annotations

import asyncio
import base64
import bisect
import copy
import inspect
import itertools
import json
import math
import mimetypes
import random
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from aiohttp import web

from bot.local.slack.blockkit import MAX_MESSAGE_TEXT, validate_message_blocks, validate_view
from bot.local.slack.escaping import EscapingFault, payload_faults

TRIGGER_LIFETIME_SECONDS = 3.0
RESPONSE_URL_LIFETIME_SECONDS = 30 * 60
RESPONSE_URL_MAX_USES = 5
MAX_MODAL_STACK = 3
FIRST_TS_MICROS = 1_700_000_000_000_000
# A deterministic ts step keeps demo transcripts and test expectations stable.
TS_STEP_MICROS = 100

# Fields Slack's clients send as JSON strings inside form bodies.
_JSON_FIELDS = ("blocks", "attachments", "view", "metadata", "files")
_CHANNEL_NAME = re.compile(r"^[^\sA-Z.,#@]{1,80}$")


@dataclass
class Call:
    """One Web API call as the fake saw and answered it."""

    method: str
    params: dict[str, Any]
    response: dict[str, Any]
    status: int


@dataclass(frozen=True)
class Activity:
    """Something a person watching Slack would notice; fed to ``on_record``.

    kind: message, message_changed, message_deleted, ephemeral, view_opened, view_updated,
    view_pushed, view_closed, home_published.
    """

    kind: str
    conversation_id: str | None
    user_id: str | None
    item: dict[str, Any]


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
class FakeUser:
    id: str
    name: str
    real_name: str
    locale: str = "ja-JP"
    deleted: bool = False
    email: str | None = None
    tz: str = "Asia/Tokyo"
    is_bot: bool = False

    def to_api(self, team_id: str, *, include_locale: bool) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "real_name": self.real_name,
            "deleted": self.deleted,
            "is_bot": self.is_bot,
            "tz": self.tz,
            "profile": {"real_name": self.real_name, "display_name": self.name, "email": self.email},
        }
        if include_locale:
            data["locale"] = self.locale
        return data


@dataclass
class Conversation:
    id: str
    kind: str  # public | private | im | mpim
    name: str | None
    created: int
    creator: str
    members: dict[str, None] = field(default_factory=dict)  # an ordered set
    user: str | None = None  # the person on the other side of a DM
    is_archived: bool = False
    messages: list[dict[str, Any]] = field(default_factory=list)
    ts_keys: list[int] = field(default_factory=list)  # parallel to messages, for bisect
    by_ts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_api(self, bot_user_id: str) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "created": self.created,
            "creator": self.creator,
            "is_channel": self.kind in ("public", "private"),
            "is_group": False,
            "is_im": self.kind == "im",
            "is_mpim": self.kind == "mpim",
            "is_private": self.kind != "public",
            "is_archived": self.is_archived,
            "is_member": bot_user_id in self.members,
            "num_members": len(self.members),
        }
        if self.name is not None:
            data["name"] = data["name_normalized"] = self.name
        if self.user is not None:
            data["user"] = self.user
        return data


@dataclass
class _Trigger:
    user_id: str
    issued_at: float
    used: bool = False


@dataclass
class _ResponseUrl:
    user_id: str
    channel_id: str | None
    message_ts: str | None
    ephemeral: bool
    issued_at: float
    uses: int = 0


@dataclass
class _TokenBucket:
    per_second: float
    burst: float
    tokens: float
    updated_at: float

    def take(self, now: float) -> float | None:
        """Take one token; None when allowed, else the seconds until one is available."""
        self.tokens = min(self.burst, self.tokens + (now - self.updated_at) * self.per_second)
        self.updated_at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return None
        return (1 - self.tokens) / self.per_second


class SlackError(Exception):
    """An ``{"ok": false}`` answer; raised inside method handlers."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


class ManualMonotonic:
    """A monotonic clock that moves only when told; inject it to expire triggers or outages."""

    def __init__(self, start: float = 1000.0) -> None:
        self.value = start

    def __call__(self) -> float:
        return self.value

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("monotonic time only moves forward")
        self.value += seconds


RecordHook = Callable[[Activity], Any] | asyncio.Queue


class FakeSlack:
    """Slack's Web API on loopback: state, Block Kit checks, recording and fault switches."""

    def __init__(
        self,
        bot_token: str = "xoxb-local",
        bot_user_id: str = "UBOT",
        team_id: str = "TLOCAL",
        *,
        monotonic: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] | None = None,
        on_record: RecordHook | None = None,
        bot_name: str = "jirei",
        latency: float = 0.0,
    ) -> None:
        self.latency = latency
        self.bot_token = bot_token
        self.app_token = "xapp-local"  # Socket Mode's app-level token (apps.connections.open)
        self._sockets: list[web.WebSocketResponse] = []
        self._socket_acks: dict[str, asyncio.Future] = {}
        self.bot_user_id = bot_user_id
        self.bot_id = "B" + bot_user_id.removeprefix("U")
        self.team_id = team_id
        self.app_id = "ALOCAL"
        self.on_record = on_record
        self._monotonic = monotonic
        self._wall_clock = wall_clock
        self._last_ts_micros = FIRST_TS_MICROS

        self.calls: list[Call] = []
        self.acks: list[dict[str, Any]] = []  # what the app answered in its acks (commands, submissions)
        self.violations: list[str] = []
        self.responses: list[ResponseRecord] = []
        self.rate_limited_count = 0

        self.users: dict[str, FakeUser] = {}
        self.conversations: dict[str, Conversation] = {}
        self._mpim_ids: dict[frozenset[str], str] = {}
        self._ephemerals: dict[str, list[dict[str, Any]]] = {}
        self._views: dict[str, dict[str, Any]] = {}
        self._view_owner: dict[str, str] = {}
        self._modal_stacks: dict[str, list[str]] = {}
        self._home_views: dict[str, str] = {}
        self._files: dict[str, dict[str, Any]] = {}
        self._file_content: dict[str, bytes] = {}
        self._triggers: dict[str, _Trigger] = {}
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._ids = itertools.count(1)
        self._hook_tasks: set[asyncio.Task] = set()

        self._fail_next: dict[str, list[list[int]]] = {}
        self._fail_ratio: dict[str, tuple[float, int, random.Random]] = {}
        self._buckets: dict[str, _TokenBucket] = {}
        self._outage: tuple[int, float] | None = None
        self._delays: dict[str, float] = {}
        self._downloads_stall: asyncio.Event | None = None  # set: file downloads stall after a few bytes

        self._runner: web.AppRunner | None = None
        self.root_url = ""
        self.base_url = ""

        self.users[bot_user_id] = FakeUser(bot_user_id, bot_name, bot_name, is_bot=True)
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "api.test": lambda params: {},
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.open": self._conversations_open,
            "conversations.create": self._conversations_create,
            "conversations.invite": self._conversations_invite,
            "conversations.join": self._conversations_join,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "conversations.info": self._conversations_info,
            "conversations.list": self._conversations_list,
            "conversations.members": self._conversations_members,
            "conversations.archive": self._conversations_archive,
            "views.open": self._views_open,
            "views.update": self._views_update,
            "views.push": self._views_push,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "users.lookupByEmail": self._users_lookup_by_email,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "files.info": self._files_info,
        }

    # ------------------------------------------------------------------ lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0, *, keep_alive: bool = False) -> str:
        """Serve on loopback; returns the Web API base URL (``http://127.0.0.1:PORT/api/``).

        Connections close after each answer unless `keep_alive` (as Slack keeps them): an idle
        kept-alive connection keeps a server task alive, which settle() would wait for. The
        benchmarks keep them alive, as the real Slack does."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/upload/{file_id}", self._handle_upload)
        app.router.add_post("/response/{url_id}", self._handle_response_url)
        app.router.add_get("/files/{file_id}", self._handle_download)
        app.router.add_get("/socket-mode", self._handle_socket_mode)
        if not keep_alive:
            app.middlewares.append(_close_connection)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.root_url = f"http://{host}:{bound_port}"
        self.base_url = f"{self.root_url}/api/"
        return self.base_url

    async def stop(self) -> None:
        self._release_stalled_downloads()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> "FakeSlack":
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ workspace setup

    def add_user(self, user_id: str, name: str, real_name: str | None = None, locale: str = "ja-JP",
                 deleted: bool = False, email: str | None = None, tz: str = "Asia/Tokyo") -> FakeUser:
        user = FakeUser(user_id, name, real_name or name, locale=locale, deleted=deleted, email=email, tz=tz)
        self.users[user_id] = user
        return user

    def deactivate_user(self, user_id: str) -> None:
        self.users[user_id].deleted = True

    def add_channel(self, name: str, is_private: bool = False, members: Iterable[str] = (),
                    bot_member: bool = True) -> str:
        conversation = self._new_channel(name, is_private=is_private, creator=self.bot_user_id)
        if bot_member:
            conversation.members[self.bot_user_id] = None
        for user_id in members:
            conversation.members[user_id] = None
        return conversation.id

    def add_member(self, channel_id: str, user_id: str) -> None:
        self.conversations[channel_id].members[user_id] = None

    def channel_id(self, name: str) -> str:
        for conversation in self.conversations.values():
            if conversation.name == name.lstrip("#"):
                return conversation.id
        raise KeyError(name)

    def dm_channel_id(self, user_id: str) -> str:
        """The DM between the bot and ``user_id``, opened if it does not exist yet."""
        return self._open_dm(user_id).id

    def issue_trigger(self, user_id: str) -> str:
        trigger_id = f"{next(self._ids)}.{secrets.randbelow(10**10)}.{secrets.token_hex(8)}"
        self._triggers[trigger_id] = _Trigger(user_id, self._monotonic())
        return trigger_id

    def issue_response_url(self, user_id: str, channel_id: str | None, message_ts: str | None = None,
                           *, ephemeral: bool = False) -> str:
        url_id = secrets.token_urlsafe(12)
        self._response_urls[url_id] = _ResponseUrl(user_id, channel_id, message_ts, ephemeral, self._monotonic())
        return f"{self.root_url}/response/{url_id}"

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

    def add_user_file(self, user_id: str, filename: str, content: bytes, filetype: str | None = None) -> str:
        """A file ``user_id`` uploaded into a modal's file_input; returns its id.

        It is shared nowhere and private to the person, yet the bot may read it (``files.info``,
        then ``GET url_private`` with the bot token), as Slack allows for files submitted in a modal.
        ``filetype`` is Slack's short type (``pdf``, ``text``…); guessed from the name when omitted.
        """
        if user_id not in self.users:
            raise KeyError(user_id)
        file_id = f"F{next(self._ids):08d}"
        record = self._file_record(file_id, filename, owner=user_id, size=len(content), filetype=filetype)
        record.update(uploaded=True, completed=True)
        self._files[file_id] = record
        self._file_content[file_id] = bytes(content)
        return file_id

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

    # ------------------------------------------------------------------ inspection

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def reset_calls(self) -> None:
        self.calls.clear()

    def messages(self, channel_id: str, *, include_replies: bool = True) -> list[dict[str, Any]]:
        """Copies of the conversation's messages, oldest first."""
        conversation = self.conversations.get(channel_id)
        if conversation is None:
            return []
        return [copy.deepcopy(m) for m in conversation.messages if include_replies or _is_top_level(m)]

    def dm_messages(self, user_id: str) -> list[dict[str, Any]]:
        return self.messages("D" + user_id)

    def message(self, channel_id: str, ts: str) -> dict[str, Any]:
        return copy.deepcopy(self.conversations[channel_id].by_ts[ts])

    def ephemerals(self, user_id: str) -> list[dict[str, Any]]:
        return copy.deepcopy(self._ephemerals.get(user_id, []))

    def current_view(self, user_id: str) -> dict[str, Any] | None:
        """The modal on top of the user's stack, or None."""
        stack = self._modal_stacks.get(user_id)
        return copy.deepcopy(self._views[stack[-1]]) if stack else None

    def modal_stack(self, user_id: str) -> list[dict[str, Any]]:
        return [copy.deepcopy(self._views[v]) for v in self._modal_stacks.get(user_id, [])]

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        view_id = self._home_views.get(user_id)
        return copy.deepcopy(self._views[view_id]) if view_id else None

    def view(self, view_id: str) -> dict[str, Any]:
        return copy.deepcopy(self._views[view_id])

    def file_content(self, file_id: str) -> bytes:
        return self._file_content[file_id]

    def file(self, file_id: str) -> dict[str, Any]:
        return copy.deepcopy(self._files[file_id])

    def public_file(self, file_id: str) -> dict[str, Any]:
        """The file object as the Web API and interaction payloads show it; KeyError if unknown."""
        return copy.deepcopy(_public_file(self._files[file_id]))

    # ------------------------------------------------------------------ view stack (used by the driver)

    def record_view_state(self, view_id: str, state: dict[str, Any]) -> None:
        if view_id in self._views:
            self._views[view_id]["state"] = copy.deepcopy(state)

    def record_ack(self, ack: dict[str, Any] | None) -> None:
        """Keep an ack's content (a command's answer, a submission's new view) beside the calls."""
        if ack:
            self.acks.append(copy.deepcopy(ack))

    def escaping_faults(self) -> list[EscapingFault]:
        """Escaping faults in everything the bot sent so far: Web API calls, response_url posts
        and acks (rules in ``escaping.py``): raw ``<!…>`` or a ``<@…>`` of no user, a cut or raw
        ``&``, an unbalanced code fence."""
        users, channels = set(self.users), set(self.conversations)
        return [fault for method, payload in self.sent_payloads()
                for fault in payload_faults(payload, method, users=users, channels=channels)]

    def sent_payloads(self) -> list[tuple[str, dict[str, Any]]]:
        """(method, payload) for everything the bot sent: Web API calls' parameters, response_url
        bodies (method ``response_url``) and acks (method ``ack``)."""
        sent = [(call.method, call.params) for call in self.calls if call.method not in ("upload", "download")]
        return sent + [("ack", ack) for ack in self.acks]

    def apply_submission_ack(self, user_id: str, view_id: str, ack: dict[str, Any] | None) -> None:
        """What Slack does with a view_submission ack: close, update, push, clear or show errors."""
        self.record_ack(ack)
        action = (ack or {}).get("response_action")
        if action == "errors":
            known = {b.get("block_id") for b in self._views.get(view_id, {}).get("blocks", [])}
            for block_id in (ack or {}).get("errors", {}):
                if block_id not in known:
                    self.violations.append(f"view_submission errors name an unknown block_id {block_id!r}")
            return
        if action in ("update", "push"):
            new_view = (ack or {}).get("view")
            problems = validate_view(new_view)
            if problems:
                self.violations.extend(f"response_action {action}: {p}" for p in problems)
                return
            if action == "update":
                self._replace_view(view_id, new_view, kind="view_updated")
            else:
                self._push_modal(user_id, new_view)
            return
        if action == "clear":
            for stacked in list(self._modal_stacks.get(user_id, [])):
                self.close_view(user_id, stacked)
            return
        self.close_view(user_id, view_id)

    def close_view(self, user_id: str, view_id: str) -> None:
        stack = self._modal_stacks.get(user_id, [])
        if view_id in stack:
            stack.remove(view_id)
            self._emit("view_closed", None, user_id, self._views[view_id])

    # ------------------------------------------------------------------ fault switches

    def fail(self, method: str, status: int = 500, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` answer HTTP ``status`` and take no effect."""
        self._fail_next.setdefault(method, []).append([status, times])

    def fail_ratio(self, method: str, ratio: float, status: int = 500, seed: int = 0) -> None:
        """A reproducible share of ``method`` calls answer ``status``."""
        self._fail_ratio[method] = (ratio, status, random.Random(seed))

    def set_rate_limit(self, method: str, per_second: float, burst: float | None = None) -> None:
        burst = burst if burst is not None else max(1.0, per_second)
        self._buckets[method] = _TokenBucket(per_second, burst, burst, self._monotonic())

    def outage(self, status: int = 503, seconds: float = 60.0) -> None:
        self._outage = (status, self._monotonic() + seconds)

    def end_outage(self) -> None:
        self._outage = None

    def delay(self, method: str, seconds: float) -> None:
        self._delays[method] = seconds

    def stall_downloads(self) -> None:
        """File downloads (url_private) send their headers and a few bytes, then nothing more until
        the faults are cleared or the fake stops: a stalled transfer."""
        self._downloads_stall = asyncio.Event()

    def _release_stalled_downloads(self) -> None:
        if self._downloads_stall is not None:
            self._downloads_stall.set()
            self._downloads_stall = None

    def clear_faults(self) -> None:
        self._release_stalled_downloads()
        self._fail_next.clear()
        self._fail_ratio.clear()
        self._buckets.clear()
        self._delays.clear()
        self._outage = None

    def _fault_for(self, method: str) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        if self._outage is not None:
            status, until = self._outage
            if self._monotonic() < until:
                return status, {"ok": False, "error": "service_unavailable"}, _retry_after(status, 1)
            self._outage = None
        pending = self._fail_next.get(method)
        if pending:
            status, _ = pending[0]
            pending[0][1] -= 1
            if pending[0][1] <= 0:
                pending.pop(0)
            return status, _fault_body(status), _retry_after(status, 1)
        ratio_rule = self._fail_ratio.get(method)
        if ratio_rule is not None:
            ratio, status, rng = ratio_rule
            if rng.random() < ratio:
                return status, _fault_body(status), _retry_after(status, 1)
        bucket = self._buckets.get(method)
        if bucket is not None:
            wait = bucket.take(self._monotonic())
            if wait is not None:
                return 429, _fault_body(429), _retry_after(429, math.ceil(wait))
        return None

    # ------------------------------------------------------------------ Socket Mode

    @property
    def socket_connected(self) -> bool:
        return any(not ws.closed for ws in self._sockets)

    async def socket_send(self, envelope_type: str, payload: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
        """Deliver an envelope (slash_commands, interactive, events_api) over Socket Mode, as Slack
        does, and return the app's acknowledgement ({"envelope_id", "payload"?})."""
        ws = next(ws for ws in self._sockets if not ws.closed)
        envelope_id = secrets.token_hex(8)
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._socket_acks[envelope_id] = future
        await ws.send_json({"envelope_id": envelope_id, "type": envelope_type, "payload": payload,
                            "accepts_response_payload": envelope_type != "events_api", "retry_attempt": 0,
                            "retry_reason": ""})
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self._socket_acks.pop(envelope_id, None)

    async def _handle_socket_mode(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": len(self._sockets),
                            "connection_info": {"app_id": self.app_id}, "debug_info": {"host": "jirei-fake"}})
        try:
            async for frame in ws:
                if frame.type != web.WSMsgType.TEXT:
                    continue
                ack = json.loads(frame.data)
                future = self._socket_acks.get(ack.get("envelope_id", ""))
                if future is not None and not future.done():
                    future.set_result(ack)
        finally:
            self._sockets.remove(ws)
        return ws

    # ------------------------------------------------------------------ HTTP handlers

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _read_params(request)
        token = params.pop("token", None)
        auth_header = request.headers.get("Authorization", "")
        if auth_header.startswith("Bearer "):
            token = auth_header.removeprefix("Bearer ").strip()

        seconds = self.latency
        if self._outage is None or self._monotonic() >= self._outage[1]:
            seconds += self._delays.get(method, 0.0)
        if seconds:
            await asyncio.sleep(seconds)
        status, body, headers = 200, None, {}
        if method == "apps.connections.open":
            # Socket Mode: the app-level token, answered with the WebSocket URL.
            body = ({"ok": True, "url": self.root_url.replace("http://", "ws://") + "/socket-mode"}
                    if token == self.app_token else {"ok": False, "error": "invalid_auth"})
            return web.json_response(body)
        if token is None:
            body = {"ok": False, "error": "not_authed"}
        elif token != self.bot_token:
            body = {"ok": False, "error": "invalid_auth"}
        elif method not in self._methods:
            body = {"ok": False, "error": "unknown_method"}
        else:
            fault = self._fault_for(method)
            if fault is not None:
                status, body, headers = fault
                if status == 429:
                    self.rate_limited_count += 1
            else:
                body = self._run_method(method, params)
        self.calls.append(Call(method, params, body, status))
        return web.json_response(body, status=status, headers=headers, dumps=_dumps)

    def _run_method(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        try:
            result = self._methods[method](params)
        except SlackError as refusal:
            return {"ok": False, "error": refusal.error, **refusal.extra}
        return {"ok": True, **result}

    async def _handle_upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        file = self._files.get(file_id)
        if file is None:
            return web.Response(status=404, text="file_not_found", content_type="text/plain")
        data = await _read_upload(request)
        if self.latency:
            await asyncio.sleep(self.latency)
        self._file_content[file_id] = data
        file["size"] = len(data)
        file["uploaded"] = True
        self.calls.append(Call("upload", {"file_id": file_id, "size": len(data)}, {"ok": True}, 200))
        return web.Response(status=200, text=f"OK - {len(data)}", content_type="text/plain")

    async def _handle_download(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization", "") != f"Bearer {self.bot_token}":
            return web.Response(status=403, text="forbidden", content_type="text/plain")
        file_id = request.match_info["file_id"]
        if file_id not in self._file_content:
            return web.Response(status=404, text="file_not_found", content_type="text/plain")
        content = self._file_content[file_id]
        self.calls.append(Call("download", {"file_id": file_id}, {"ok": True, "size": len(content)}, 200))
        mimetype = self._files[file_id].get("mimetype", "application/octet-stream")
        if self._downloads_stall is not None:
            stalled = web.StreamResponse(status=200, headers={"Content-Type": mimetype})
            stalled.content_length = len(content)
            await stalled.prepare(request)
            await stalled.write(content[:4])
            await self._downloads_stall.wait()
            return stalled
        return web.Response(status=200, body=content, content_type=mimetype)

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

    def _apply_response(self, target: _ResponseUrl, body: dict[str, Any]) -> tuple[int, str]:
        if not isinstance(body, dict):
            return 400, "invalid_payload"
        if _truthy(body.get("delete_original")):
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
        if _truthy(body.get("replace_original")) and target.message_ts:
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

    # ------------------------------------------------------------------ Web API methods

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": "https://local.slack/", "team": "Local", "user": self.users[self.bot_user_id].name,
                "team_id": self.team_id, "user_id": self.bot_user_id, "bot_id": self.bot_id,
                "app_id": self.app_id, "is_enterprise_install": False}

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
        return {"channel": conversation.id, "ts": stored["ts"], "message": _public_message(stored)}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        conversation = self._postable(params.get("channel"))
        ts = params.get("ts")
        existing = conversation.by_ts.get(ts or "")
        if existing is None:
            raise SlackError("message_not_found")
        if existing.get("user") != self.bot_user_id:
            raise SlackError("cant_update_message")
        text, blocks = params.get("text"), params.get("blocks")
        self._check_message_content(text, blocks)
        metadata = self._check_metadata(params.get("metadata"))
        updated = self._update_message(conversation, ts, text, blocks, metadata)
        return {"channel": conversation.id, "ts": ts, "text": updated.get("text", ""),
                "message": _public_message(updated)}

    def _chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        conversation = self._conversation(params.get("channel"))
        ts = params.get("ts")
        existing = conversation.by_ts.get(ts or "")
        if existing is None:
            raise SlackError("message_not_found")
        if existing.get("user") != self.bot_user_id:
            raise SlackError("cant_delete_message")
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

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("channel"):
            conversation = self._conversation(params["channel"])
            return {"channel": conversation.to_api(self.bot_user_id)}
        user_ids = _split(params.get("users"))
        if not user_ids:
            raise SlackError("users_list_not_supplied")
        for user_id in user_ids:
            if user_id not in self.users:
                raise SlackError("user_not_found")
        if len(user_ids) == 1:
            conversation = self._open_dm(user_ids[0])
        else:
            conversation = self._open_mpim(user_ids)
        return {"channel": conversation.to_api(self.bot_user_id)}

    def _conversations_create(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params.get("name") or ""
        if not name:
            raise SlackError("invalid_name_required")
        if len(name) > 80:
            raise SlackError("invalid_name_maxlength")
        if not _CHANNEL_NAME.match(name):
            raise SlackError("invalid_name_specials")
        if any(c.name == name for c in self.conversations.values()):
            raise SlackError("name_taken")
        conversation = self._new_channel(name, is_private=_truthy(params.get("is_private")),
                                         creator=self.bot_user_id)
        conversation.members[self.bot_user_id] = None
        return {"channel": conversation.to_api(self.bot_user_id)}

    def _conversations_invite(self, params: dict[str, Any]) -> dict[str, Any]:
        conversation = self._conversation(params.get("channel"))
        if conversation.kind in ("im", "mpim"):
            raise SlackError("method_not_supported_for_channel_type")
        if conversation.is_archived:
            raise SlackError("is_archived")
        user_ids = _split(params.get("users"))
        if not user_ids:
            raise SlackError("no_user")
        for user_id in user_ids:
            user = self.users.get(user_id)
            if user is None:
                raise SlackError("user_not_found")
            if user_id == self.bot_user_id:
                raise SlackError("cant_invite_self")
            if user.deleted:
                raise SlackError("cant_invite")
        if not _truthy(params.get("force")) and any(u in conversation.members for u in user_ids):
            raise SlackError("already_in_channel")
        for user_id in user_ids:
            conversation.members[user_id] = None
        return {"channel": conversation.to_api(self.bot_user_id)}

    def _conversations_join(self, params: dict[str, Any]) -> dict[str, Any]:
        conversation = self._conversation(params.get("channel"))
        if conversation.kind != "public":
            raise SlackError("method_not_supported_for_channel_type")
        if conversation.is_archived:
            raise SlackError("is_archived")
        conversation.members[self.bot_user_id] = None
        return {"channel": conversation.to_api(self.bot_user_id)}

    def _conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        conversation = self._readable(params.get("channel"))
        include_metadata = _truthy(params.get("include_all_metadata"))
        return self._page_of_messages(conversation.messages, conversation.ts_keys, params, include_metadata,
                                      top_level_only=True)

    def _conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        conversation = self._readable(params.get("channel"))
        parent_ts = params.get("ts") or ""
        if parent_ts not in conversation.by_ts:
            raise SlackError("thread_not_found")
        thread = [m for m in conversation.messages if m["ts"] == parent_ts or m.get("thread_ts") == parent_ts]
        keys = [_ts_micros(m["ts"]) for m in thread]
        page = self._page_of_messages(thread, keys, params, _truthy(params.get("include_all_metadata")),
                                      top_level_only=False)
        page["messages"].reverse()  # replies read oldest first, unlike history
        return page

    def _page_of_messages(self, messages: list[dict], keys: list[int], params: dict[str, Any],
                          include_metadata: bool, *, top_level_only: bool) -> dict[str, Any]:
        inclusive = _truthy(params.get("inclusive"))
        limit = _int(params.get("limit"), 100)
        limit = max(1, min(limit, 999))
        oldest = params.get("oldest")
        latest = params.get("latest")
        cursor = params.get("cursor")
        if cursor:
            latest, inclusive_latest = _decode_cursor(cursor), False
        else:
            inclusive_latest = inclusive
        low = 0
        if oldest:
            oldest_key = _ts_micros(str(oldest))
            low = bisect.bisect_left(keys, oldest_key) if inclusive else bisect.bisect_right(keys, oldest_key)
        high = len(keys)
        if latest:
            latest_key = _ts_micros(str(latest))
            high = bisect.bisect_right(keys, latest_key) if inclusive_latest else bisect.bisect_left(keys,
                                                                                                    latest_key)
        page: list[dict[str, Any]] = []
        index = high - 1
        while index >= low and len(page) < limit:
            message = messages[index]
            if not top_level_only or _is_top_level(message):
                page.append(_public_message(message, include_metadata=include_metadata))
            index -= 1
        has_more = any(not top_level_only or _is_top_level(messages[i])
                       for i in range(index, low - 1, -1)) if index >= low else False
        result: dict[str, Any] = {"messages": page, "has_more": has_more, "pin_count": 0}
        if has_more and page:
            result["response_metadata"] = {"next_cursor": _encode_cursor(page[-1]["ts"])}
        else:
            result["response_metadata"] = {"next_cursor": ""}
        return result

    def _conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        conversation = self._readable(params.get("channel"))
        return {"channel": conversation.to_api(self.bot_user_id)}

    def _conversations_list(self, params: dict[str, Any]) -> dict[str, Any]:
        wanted = set(_split(params.get("types")) or ["public_channel"])
        kinds = {"public_channel": "public", "private_channel": "private", "im": "im", "mpim": "mpim"}
        exclude_archived = _truthy(params.get("exclude_archived"))
        matching = [
            c for c in self.conversations.values()
            if any(kinds.get(w) == c.kind for w in wanted)
            and (c.kind == "public" or self.bot_user_id in c.members)
            and not (exclude_archived and c.is_archived)
        ]
        page, next_cursor = _paginate(matching, params)
        return {"channels": [c.to_api(self.bot_user_id) for c in page],
                "response_metadata": {"next_cursor": next_cursor}}

    def _conversations_members(self, params: dict[str, Any]) -> dict[str, Any]:
        conversation = self._readable(params.get("channel"))
        page, next_cursor = _paginate(list(conversation.members), params)
        return {"members": page, "response_metadata": {"next_cursor": next_cursor}}

    def _conversations_archive(self, params: dict[str, Any]) -> dict[str, Any]:
        conversation = self._conversation(params.get("channel"))
        if conversation.kind in ("im", "mpim"):
            raise SlackError("method_not_supported_for_channel_type")
        if conversation.is_archived:
            raise SlackError("already_archived")
        conversation.is_archived = True
        return {}

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = self._exchange_trigger(params.get("trigger_id"))
        view = self._checked_view(params.get("view"), expected_type="modal")
        if self._modal_stacks.get(user_id):
            # Opening a new modal over an open one replaces the whole stack, as Slack does.
            for stacked in list(self._modal_stacks[user_id]):
                self.close_view(user_id, stacked)
        stored = self._push_modal(user_id, view)
        return {"view": copy.deepcopy(stored)}

    def _views_push(self, params: dict[str, Any]) -> dict[str, Any]:
        trigger_id = params.get("trigger_id")
        user_id = self._exchange_trigger(trigger_id)
        view = self._checked_view(params.get("view"), expected_type="modal")
        if not self._modal_stacks.get(user_id):
            raise SlackError("not_found")
        if len(self._modal_stacks[user_id]) >= MAX_MODAL_STACK:
            raise SlackError("push_limit_reached")
        stored = self._push_modal(user_id, view)
        return {"view": copy.deepcopy(stored)}

    def _views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        view_id = params.get("view_id")
        if not view_id and params.get("external_id"):
            view_id = next((v["id"] for v in self._views.values()
                            if v.get("external_id") == params["external_id"]), None)
        if not view_id or view_id not in self._views:
            raise SlackError("not_found")
        existing = self._views[view_id]
        if params.get("hash") and params["hash"] != existing["hash"]:
            raise SlackError("hash_conflict")
        view = self._checked_view(params.get("view"), expected_type=existing["type"])
        stored = self._replace_view(view_id, view, kind="view_updated")
        return {"view": copy.deepcopy(stored)}

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = params.get("user_id") or ""
        user = self.users.get(user_id)
        if user is None:
            raise SlackError("user_not_found")
        if user.deleted:
            raise SlackError("account_inactive")
        view = self._checked_view(params.get("view"), expected_type="home")
        existing_id = self._home_views.get(user_id)
        if existing_id:
            if params.get("hash") and params["hash"] != self._views[existing_id]["hash"]:
                raise SlackError("hash_conflict")
            stored = self._replace_view(existing_id, view, kind="home_published")
        else:
            stored = self._new_view(user_id, view)
            self._home_views[user_id] = stored["id"]
            self._emit("home_published", None, user_id, stored)
        return {"view": copy.deepcopy(stored)}

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(params.get("user") or "")
        if user is None:
            raise SlackError("user_not_found")
        return {"user": user.to_api(self.team_id, include_locale=_truthy(params.get("include_locale")))}

    def _users_list(self, params: dict[str, Any]) -> dict[str, Any]:
        page, next_cursor = _paginate(list(self.users.values()), params)
        include_locale = _truthy(params.get("include_locale"))
        return {"members": [u.to_api(self.team_id, include_locale=include_locale) for u in page],
                "response_metadata": {"next_cursor": next_cursor}}

    def _users_lookup_by_email(self, params: dict[str, Any]) -> dict[str, Any]:
        email = (params.get("email") or "").lower()
        for user in self.users.values():
            if user.email and user.email.lower() == email:
                return {"user": user.to_api(self.team_id, include_locale=False)}
        raise SlackError("users_not_found")

    def _files_get_upload_url(self, params: dict[str, Any]) -> dict[str, Any]:
        filename = params.get("filename")
        length = _int(params.get("length"), -1)
        if not filename or length < 0:
            raise SlackError("invalid_arguments")
        file_id = f"F{next(self._ids):08d}"
        record = self._file_record(file_id, filename, owner=self.bot_user_id, size=length)
        record["alt_txt"] = params.get("alt_txt")
        self._files[file_id] = record
        return {"upload_url": f"{self.root_url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        entries = params.get("files")
        if not isinstance(entries, list) or not entries:
            raise SlackError("invalid_arguments")
        targets: list[Conversation] = []
        channel_ids = _split(params.get("channels")) or _split(params.get("channel_id"))
        for channel_id in channel_ids:
            targets.append(self._postable(channel_id))
        thread_ts = None
        if params.get("thread_ts"):
            if len(targets) != 1:
                # Slack's docs: a thread belongs to one conversation, so name exactly one.
                raise SlackError("invalid_arguments")
            thread_ts = self._thread_root(targets[0], params["thread_ts"])
        completed = []
        for entry in entries:
            file = self._files.get(entry.get("id", "")) if isinstance(entry, dict) else None
            if file is None or file["user"] != self.bot_user_id:
                # A person's upload is theirs to share; the bot can only complete its own.
                raise SlackError("file_not_found")
            if not file["uploaded"]:
                raise SlackError("file_upload_not_complete")  # Slack: the bytes never arrived
            completed.append((file, entry))
        shared = []
        for file, entry in completed:
            if entry.get("title"):
                file["title"] = entry["title"]
            file["completed"] = True
            for conversation in targets:
                bucket = "ims" if conversation.kind == "im" else "channels"
                file[bucket].append(conversation.id)
            shared.append(file)
        for conversation in targets:
            message = self._bot_message(params.get("initial_comment") or "", params.get("blocks"), None)
            message["files"] = [_public_file(f) for f in shared]
            message["upload"] = True
            if thread_ts is not None:
                message["thread_ts"] = thread_ts
            stored = self._store_message(conversation, message)
            for file in shared:
                self._record_share(file, conversation, stored)
        return {"files": [_public_file(f) for f in shared]}

    def _files_info(self, params: dict[str, Any]) -> dict[str, Any]:
        file = self._files.get(params.get("file") or "")
        if file is None or not file["completed"]:
            raise SlackError("file_not_found")
        return {"file": _public_file(file)}

    # ------------------------------------------------------------------ state helpers

    def _file_record(self, file_id: str, filename: str, *, owner: str, size: int,
                     filetype: str | None = None) -> dict[str, Any]:
        created = int(self._wall_seconds())
        return {
            "id": file_id, "created": created, "timestamp": created, "name": filename, "title": filename,
            "mimetype": _guess_mimetype(filename), "filetype": filetype or _slack_filetype(filename),
            "size": size, "user": owner, "user_team": self.team_id, "mode": "hosted", "is_external": False,
            "is_public": False, "channels": [], "groups": [], "ims": [], "shares": {},
            "url_private": f"{self.root_url}/files/{file_id}",
            "url_private_download": f"{self.root_url}/files/{file_id}",
            "permalink": f"https://local.slack/files/{owner}/{file_id}/{filename}",
            "uploaded": False, "completed": False,
        }

    def _record_share(self, file: dict[str, Any], conversation: Conversation, message: dict[str, Any]) -> None:
        # files.info's ``shares`` is how a bot finds the message (and thread) its upload landed in.
        visibility = "public" if conversation.kind == "public" else "private"
        share: dict[str, Any] = {"ts": message["ts"], "team_id": self.team_id}
        if conversation.name is not None:
            share["channel_name"] = conversation.name
        if message.get("thread_ts") not in (None, message["ts"]):
            share["thread_ts"] = message["thread_ts"]
        file["shares"].setdefault(visibility, {}).setdefault(conversation.id, []).append(share)
        file["is_public"] = file["is_public"] or conversation.kind == "public"

    def _thread_root(self, conversation: Conversation, thread_ts: Any) -> str | None:
        """The ts a reply should carry: a reply's ts stands for its parent, as in Slack."""
        if not thread_ts:
            return None
        parent = conversation.by_ts.get(thread_ts)
        if parent is None:
            raise SlackError("thread_not_found")
        return parent.get("thread_ts") or parent["ts"]

    def _new_channel(self, name: str, *, is_private: bool, creator: str) -> Conversation:
        channel_id = f"C{next(self._ids):04d}"
        conversation = Conversation(channel_id, "private" if is_private else "public", name,
                                    int(self._wall_seconds()), creator)
        self.conversations[channel_id] = conversation
        return conversation

    def _open_dm(self, user_id: str) -> Conversation:
        channel_id = "D" + user_id
        conversation = self.conversations.get(channel_id)
        if conversation is None:
            if user_id not in self.users:
                raise SlackError("user_not_found")
            conversation = Conversation(channel_id, "im", None, int(self._wall_seconds()), self.bot_user_id,
                                        user=user_id)
            conversation.members.update({self.bot_user_id: None, user_id: None})
            self.conversations[channel_id] = conversation
        return conversation

    def _open_mpim(self, user_ids: list[str]) -> Conversation:
        key = frozenset([*user_ids, self.bot_user_id])
        channel_id = self._mpim_ids.get(key)
        if channel_id is None:
            channel_id = f"G{next(self._ids):04d}"
            name = "mpdm-" + "--".join(self.users[u].name for u in user_ids) + "-1"
            conversation = Conversation(channel_id, "mpim", name, int(self._wall_seconds()), self.bot_user_id)
            conversation.members.update(dict.fromkeys([self.bot_user_id, *user_ids]))
            self.conversations[channel_id] = conversation
            self._mpim_ids[key] = channel_id
        return self.conversations[channel_id]

    def _conversation(self, channel: Any) -> Conversation:
        conversation = self.conversations.get(channel or "")
        if conversation is None and isinstance(channel, str) and channel.startswith("D") and channel[1:] in self.users:
            # The ids are derived from the user, so a DM the bot names is one it could have opened.
            conversation = self._open_dm(channel[1:])
        if conversation is None or (conversation.kind != "public" and self.bot_user_id not in conversation.members):
            raise SlackError("channel_not_found")
        return conversation

    def _readable(self, channel: Any) -> Conversation:
        return self._conversation(channel)

    def _postable(self, channel: Any) -> Conversation:
        """The conversation a post lands in; a user id means that user's DM, as in Slack."""
        channel = channel or ""
        if channel in self.users:
            conversation = self._open_dm(channel)
        else:
            conversation = self._conversation(channel)
        if conversation.is_archived:
            raise SlackError("is_archived")
        if conversation.kind == "im" and self.users[conversation.user or ""].deleted:
            raise SlackError("account_inactive")
        return conversation

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

    def _checked_view(self, view: Any, *, expected_type: str) -> dict[str, Any]:
        problems = validate_view(view)
        if not problems and view.get("type") != expected_type:
            problems = [f"must be {expected_type} here [json-pointer:/view/type]"]
        if problems:
            self.violations.extend(problems)
            raise SlackError("invalid_arguments", errors=problems,
                             response_metadata={"messages": [f"[ERROR] {p}" for p in problems]})
        return view

    def _exchange_trigger(self, trigger_id: Any) -> str:
        trigger = self._triggers.get(trigger_id or "")
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        if self._monotonic() - trigger.issued_at >= TRIGGER_LIFETIME_SECONDS:
            raise SlackError("expired_trigger_id")
        trigger.used = True
        return trigger.user_id

    def _new_view(self, user_id: str, view: dict[str, Any]) -> dict[str, Any]:
        view_id = f"V{next(self._ids):08d}"
        stored = self._view_record(view_id, view, root_view_id=view_id, previous_view_id=None)
        self._views[view_id] = stored
        self._view_owner[view_id] = user_id
        return stored

    def _view_record(self, view_id: str, view: dict[str, Any], *, root_view_id: str,
                     previous_view_id: str | None) -> dict[str, Any]:
        record = copy.deepcopy(view)
        record.update({
            "id": view_id,
            "team_id": self.team_id,
            "app_id": self.app_id,
            "bot_id": self.bot_id,
            "hash": f"{int(self._wall_seconds())}.{secrets.token_hex(4)}",
            "state": {"values": {}},
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
            "root_view_id": root_view_id,
            "previous_view_id": previous_view_id,
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "clear_on_close": bool(view.get("clear_on_close", False)),
        })
        return record

    def _push_modal(self, user_id: str, view: dict[str, Any]) -> dict[str, Any]:
        stack = self._modal_stacks.setdefault(user_id, [])
        stored = self._new_view(user_id, view)
        if stack:
            stored["root_view_id"] = self._views[stack[0]]["id"]
            stored["previous_view_id"] = stack[-1]
        stack.append(stored["id"])
        self._emit("view_pushed" if len(stack) > 1 else "view_opened", None, user_id, stored)
        return stored

    def _replace_view(self, view_id: str, view: dict[str, Any], *, kind: str) -> dict[str, Any]:
        old = self._views[view_id]
        stored = self._view_record(view_id, view, root_view_id=old["root_view_id"],
                                   previous_view_id=old["previous_view_id"])
        self._views[view_id] = stored
        self._emit(kind, None, self._view_owner.get(view_id), stored)
        return stored

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
        conversation.ts_keys.append(_ts_micros(ts))
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
        index = bisect.bisect_left(conversation.ts_keys, _ts_micros(ts))
        del conversation.messages[index]
        del conversation.ts_keys[index]
        self._emit("message_deleted", conversation.id, message.get("user"), message)

    def _drop_ephemeral(self, user_id: str, ts: str | None) -> None:
        kept = [e for e in self._ephemerals.get(user_id, []) if e["ts"] != ts]
        self._ephemerals[user_id] = kept

    def _next_ts(self) -> str:
        if self._wall_clock is not None:
            candidate = int(self._wall_clock() * 1_000_000)
        else:
            candidate = self._last_ts_micros + TS_STEP_MICROS
        self._last_ts_micros = max(candidate, self._last_ts_micros + 1)
        return _format_ts(self._last_ts_micros)

    def _wall_seconds(self) -> float:
        return self._last_ts_micros / 1_000_000 if self._wall_clock is None else self._wall_clock()

    def _emit(self, kind: str, conversation_id: str | None, user_id: str | None, item: dict[str, Any]) -> None:
        hook = self.on_record
        if hook is None:
            return
        activity = Activity(kind, conversation_id, user_id, copy.deepcopy(item))
        if isinstance(hook, asyncio.Queue):
            hook.put_nowait(activity)
            return
        result = hook(activity)
        if inspect.isawaitable(result):
            task = asyncio.ensure_future(result)
            self._hook_tasks.add(task)
            task.add_done_callback(self._hook_tasks.discard)


# ---------------------------------------------------------------------- module helpers


@web.middleware
async def _close_connection(request: web.Request, handler: Callable) -> web.StreamResponse:
    # An idle keep-alive connection keeps a server task alive; settle() would wait for it.
    response = await handler(request)
    if not isinstance(response, web.WebSocketResponse):
        response.force_close()
    return response


async def _read_params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            params.update({key: value for key, value in form.items() if isinstance(value, str)})
    for key in _JSON_FIELDS:
        value = params.get(key)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            try:
                params[key] = json.loads(value)
            except json.JSONDecodeError:
                pass  # left as a string; the method answers invalid_blocks_format / invalid_arguments
    return params


async def _read_upload(request: web.Request) -> bytes:
    if request.content_type == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if part.filename is not None or part.name == "file":
                return bytes(await part.read())
        return b""
    return await request.read()


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


def _fault_body(status: int) -> dict[str, Any]:
    if status == 429:
        return {"ok": False, "error": "ratelimited"}
    return {"ok": False, "error": "fatal_error" if status >= 500 else "request_failed"}


def _retry_after(status: int, seconds: int) -> dict[str, str]:
    return {"Retry-After": str(max(1, seconds))} if status in (429, 503) else {}


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _split(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value if v]
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return []


def _paginate(items: list, params: dict[str, Any]) -> tuple[list, str]:
    limit = max(1, _int(params.get("limit"), 100) or 100)
    start = _int(_decode_cursor(params["cursor"]), 0) if params.get("cursor") else 0
    page = items[start:start + limit]
    more = start + limit < len(items)
    return page, _encode_cursor(str(start + limit)) if more else ""


def _encode_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(f"next:{value}".encode()).decode()


def _decode_cursor(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor.encode()).decode().removeprefix("next:")
    except (ValueError, UnicodeDecodeError) as error:
        raise SlackError("invalid_cursor") from error


def _ts_micros(ts: str) -> int:
    seconds, _, fraction = ts.partition(".")
    try:
        return int(seconds) * 1_000_000 + int((fraction + "000000")[:6])
    except ValueError as error:
        raise SlackError("invalid_ts_latest") from error


def _format_ts(micros: int) -> str:
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def _is_top_level(message: dict[str, Any]) -> bool:
    thread_ts = message.get("thread_ts")
    return thread_ts is None or thread_ts == message["ts"]


def _public_message(message: dict[str, Any], *, include_metadata: bool = True) -> dict[str, Any]:
    public = {key: value for key, value in message.items() if key != "channel"}
    if not include_metadata:
        public.pop("metadata", None)
    # Shallow is enough: stored messages are changed by replacing keys, never by mutating blocks.
    return public


def _public_file(file: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in file.items() if key not in ("uploaded", "completed")}


def _guess_mimetype(filename: str) -> str:
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


# Where Slack's short filetype differs from the file's extension.
_FILETYPE_BY_EXTENSION = {"txt": "text", "jpeg": "jpg", "md": "markdown", "yml": "yaml", "htm": "html",
                          "gz": "gzip", "tgz": "gzip", "py": "python", "js": "javascript", "sh": "shell"}


def _slack_filetype(filename: str) -> str:
    stem, dot, extension = filename.rpartition(".")
    if not dot or not stem or not extension:
        return "binary"
    extension = extension.lower()
    return _FILETYPE_BY_EXTENSION.get(extension, extension)


__all__ = [
    "Activity",
    "Call",
    "Conversation",
    "FakeSlack",
    "FakeUser",
    "ManualMonotonic",
    "ResponseRecord",
    "SlackError",
]
