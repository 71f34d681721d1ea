"""FakeSlack: a local stand-in for Slack's Web API, for the console, the demo and the tests.

It is an aiohttp application on loopback. Point ``AsyncWebClient(base_url=fake_url)`` at it and
the bot cannot tell the difference for the methods Jirei uses: it keeps users, conversations,
messages, ephemerals, views and files; checks Block Kit limits (``blockkit.py``); and records
every call. Fault switches (failures, rate limits, outages, delays) let tests prove the bot
survives a bad day at Slack. A call answered with a fault never takes effect. ``latency`` plays
Slack over the internet: every Web API call, file upload and response_url post waits that many
seconds before it is taken.

This module is the core: the server, the table of Web API methods, the record of calls and
Socket Mode. Each family of methods lives in a module of its own: ``chat.py``, ``conversations.py``,
``views.py``, ``files.py``, ``users.py``; the fault switches in ``faults.py``; the records and the
wire's conventions in ``state.py``.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import itertools
import json
import random
import secrets
import time
from typing import Any, Callable

from aiohttp import web

from bot.local.slack.chat import ChatMethods, ResponseRecord, ResponseUrl
from bot.local.slack.conversations import ConversationMethods
from bot.local.slack.escaping import EscapingFault, payload_faults
from bot.local.slack.faults import FaultSwitches, TokenBucket
from bot.local.slack.files import FileMethods
from bot.local.slack.state import (FIRST_TS_MICROS, TS_STEP_MICROS, Activity, Call, Conversation, FakeUser,
                                   ManualMonotonic, RecordHook, SlackError, format_ts)
from bot.local.slack.users import UserMethods
from bot.local.slack.views import Trigger, ViewMethods

# Fields Slack's clients send as JSON strings inside form bodies.
_JSON_FIELDS = ("blocks", "attachments", "view", "metadata", "files")


class FakeSlack(ChatMethods, ConversationMethods, ViewMethods, FileMethods, UserMethods, FaultSwitches):
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
        self._triggers: dict[str, Trigger] = {}
        self._response_urls: dict[str, ResponseUrl] = {}
        self._ids = itertools.count(1)
        self._hook_tasks: set[asyncio.Task] = set()

        self._fail_next: dict[str, list[list[int]]] = {}
        self._fail_ratio: dict[str, tuple[float, int, random.Random]] = {}
        self._buckets: dict[str, TokenBucket] = {}
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

    # ------------------------------------------------------------------ the record

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def reset_calls(self) -> None:
        self.calls.clear()

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

    # ------------------------------------------------------------------ Web API

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

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": "https://local.slack/", "team": "Local", "user": self.users[self.bot_user_id].name,
                "team_id": self.team_id, "user_id": self.bot_user_id, "bot_id": self.bot_id,
                "app_id": self.app_id, "is_enterprise_install": False}

    # ------------------------------------------------------------------ time and activity

    def _next_ts(self) -> str:
        if self._wall_clock is not None:
            candidate = int(self._wall_clock() * 1_000_000)
        else:
            candidate = self._last_ts_micros + TS_STEP_MICROS
        self._last_ts_micros = max(candidate, self._last_ts_micros + 1)
        return format_ts(self._last_ts_micros)

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


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


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
