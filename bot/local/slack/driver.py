"""SlackDriver: Slack's side of the conversation, played against the bot.

Slack drives a bot with signed HTTP requests (slash commands, interactivity, events) and
then watches what the bot does through the Web API. The driver builds those requests the
way Slack does, signs them, sends them through a ``dispatch`` function (straight into an
``AsyncApp`` or over HTTP), and returns the ack together with every Web API call the bot
made in reaction, which the FakeSlack recorded.
"""

from __future__ import annotations

import asyncio
import copy
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from bot.local.slack.elements import MAX_FILE_INPUT_FILES, build_action, find_button, find_element, is_view
from bot.local.slack.server import Call, FakeSlack
from bot.http_server import bolt_request

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@dataclass
class DispatchResult:
    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Reply:
    """What came of one interaction: the ack and every Web API call it caused."""

    status: int | None  # None when nothing was sent (view closed without notify_on_close)
    ack: dict[str, Any] | None
    calls: list[Call]
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def answer(self) -> list[dict[str, Any]]:
        """What the person was shown in reply: the ack's text or blocks, then whatever the bot
        posted to the response_url (an app may ack at once and answer a moment later)."""
        shown = [self.ack] if self.ack and (self.ack.get("text") or self.ack.get("blocks")) else []
        return shown + [call.params for call in self.calls if call.method == "response_url"]

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]


Dispatch = Callable[[str | bytes, dict[str, str]], Awaitable[DispatchResult]]


class SettleTimeout(TimeoutError):
    """Work started by an interaction was still running when settle() gave up."""


def dispatch_to_app(app: Any) -> Dispatch:
    """Dispatch straight into a slack_bolt ``AsyncApp``, as its own tests do."""
    async def dispatch(body: str, headers: dict[str, str]) -> DispatchResult:
        try:
            request = bolt_request(body, headers=headers)
        except (ValueError, TypeError, AttributeError, IndexError, KeyError, RecursionError):
            return DispatchResult(400, '{"error": "invalid request"}')  # as the HTTP mode answers it
        response = await app.async_dispatch(request)
        flat = {name: values[0] if isinstance(values, (list, tuple)) and values else str(values)
                for name, values in (response.headers or {}).items()}
        return DispatchResult(response.status, response.body or "", flat)

    return dispatch


def dispatch_over_http(url: str, *, timeout: float = 10.0) -> Dispatch:
    """Dispatch to a running bot's HTTP endpoint, e.g. ``http://127.0.0.1:3000/slack/events``."""

    async def dispatch(body: str | bytes, headers: dict[str, str]) -> DispatchResult:
        # A fresh closing connection each time: a kept-alive one would hold a server task open.
        connector = aiohttp.TCPConnector(force_close=True)
        raw = body if isinstance(body, bytes) else body.encode("utf-8")  # bytes: sent as they are, even invalid
        async with aiohttp.ClientSession(connector=connector) as session:
            async with session.post(url, data=raw, headers=headers,
                                    timeout=aiohttp.ClientTimeout(total=timeout)) as response:
                text = await response.text()
                return DispatchResult(response.status, text, dict(response.headers))

    return dispatch


def sign(signing_secret: str, body: str | bytes, timestamp: int | str) -> str:
    """Slack's request signature: ``v0=`` + HMAC-SHA256 of ``v0:{timestamp}:{body}``. Slack signs
    UTF-8 text: bytes that are not are signed with their bad bytes replaced, which no bot accepts."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    return SignatureVerifier(signing_secret).generate_signature(timestamp=str(timestamp), body=body)


class SlackDriver:
    """Plays Slack: sends signed commands, clicks, submissions and events to the bot."""

    def __init__(self, fake: FakeSlack, dispatch: Dispatch, signing_secret: str, team_id: str = "TLOCAL",
                 api_app_id: str = "ALOCAL", *, now: Callable[[], float] = time.time,
                 team_domain: str = "local", settle_timeout: float = 30.0) -> None:
        self.fake = fake
        self.dispatch = dispatch
        self.signing_secret = signing_secret
        self.team_id = team_id
        self.api_app_id = api_app_id
        self.team_domain = team_domain
        # A deadlock detector, not a speed check: generous, so a loaded CI machine never trips it.
        self.settle_timeout = settle_timeout
        self._now = now
        self._baseline: set[asyncio.Task] | None = None  # tasks alive when the current window began
        self._in_flight = 0  # interactions under way; concurrent ones share one settle window

    # ------------------------------------------------------------------ slash commands

    def command_body(self, user_id: str, text: str, command: str = "/jirei", channel_id: str | None = None) -> str:
        """The form body Slack sends for a slash command (issues a trigger_id and a response_url)."""
        channel_id = channel_id or self.fake.dm_channel_id(user_id)
        conversation = self.fake.conversations.get(channel_id)
        fields = {
            "token": "local-verification-token",
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel_id,
            "channel_name": (conversation.name if conversation and conversation.name else "directmessage"),
            "user_id": user_id,
            "user_name": self._user_name(user_id),
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": self.fake.issue_response_url(user_id, channel_id),
            "trigger_id": self.fake.issue_trigger(user_id),
        }
        return urlencode(fields)

    async def command(self, user_id: str, text: str, command: str = "/jirei", channel_id: str | None = None,
                      *, settle: bool = True) -> Reply:
        channel_id = channel_id or self.fake.dm_channel_id(user_id)
        body = self.command_body(user_id, text, command, channel_id)

        def show_ack(result: DispatchResult, ack: dict[str, Any] | None) -> None:
            self._show_command_ack(user_id, channel_id, result, ack)

        return await self._interact(body, FORM, settle=settle, after_ack=show_ack)

    def _show_command_ack(self, user_id: str, channel_id: str, result: DispatchResult,
                          ack: dict[str, Any] | None) -> None:
        # Slack shows a command's ack text to the user, ephemerally unless it asks for in_channel.
        if result.status != 200:
            return
        self.fake.record_ack(ack)
        text, blocks = (ack or {}).get("text"), (ack or {}).get("blocks")
        if not text and not blocks:
            return
        if (ack or {}).get("response_type") == "in_channel":
            self.fake.post_as_bot(channel_id, text or "", blocks)
        else:
            self.fake.add_ephemeral(user_id, channel_id, text, blocks, source="command_ack")

    # ------------------------------------------------------------------ interactivity

    async def click(self, user_id: str, action_id: str, value: Any = None, *, message: dict[str, Any] | None = None,
                    view: dict[str, Any] | None = None, block_id: str | None = None,
                    selected_options: list[dict[str, Any]] | None = None,
                    selected_option: dict[str, Any] | None = None, settle: bool = True) -> Reply:
        """A ``block_actions`` payload for the element ``action_id`` in a stored message or view."""
        if (message is None) == (view is None):
            raise ValueError("click needs exactly one of message= or view=")
        source = message if message is not None else view
        block, element = find_element(source.get("blocks", []), action_id, block_id)
        action = build_action(block, element, value, selected_option=selected_option,
                              selected_options=selected_options, action_ts=self._ts())
        payload = self._interaction("block_actions", user_id, trigger_id=self.fake.issue_trigger(user_id),
                                    actions=[action])
        if message is not None:
            channel_id = message["channel"]
            ephemeral = bool(message.get("is_ephemeral"))
            conversation = self.fake.conversations.get(channel_id)
            payload["container"] = {"type": "message", "message_ts": message["ts"], "channel_id": channel_id,
                                    "is_ephemeral": ephemeral}
            payload["channel"] = {"id": channel_id,
                                  "name": conversation.name if conversation and conversation.name else "directmessage"}
            payload["message"] = {k: v for k, v in message.items() if k not in ("channel", "source", "is_ephemeral")}
            payload["state"] = {"values": {}}
            payload["response_url"] = self.fake.issue_response_url(user_id, channel_id, message["ts"],
                                                                   ephemeral=ephemeral)
        else:
            payload["container"] = {"type": "view", "view_id": view["id"]}
            payload["view"] = copy.deepcopy(view)
            payload["state"] = copy.deepcopy(view.get("state", {"values": {}}))
        return await self._interact(_form_payload(payload), FORM, settle=settle)

    async def press(self, user_id: str, message_or_view: dict[str, Any], label_or_action_id: str,
                    *, settle: bool = True) -> Reply:
        """Press the button whose visible text or action_id is ``label_or_action_id``."""
        block, element = find_button(message_or_view.get("blocks", []), label_or_action_id)
        target = {"view": message_or_view} if is_view(message_or_view) else {"message": message_or_view}
        return await self.click(user_id, element["action_id"], block_id=block.get("block_id"), settle=settle,
                                **target)

    async def submit_view(self, user_id: str, view: dict[str, Any],
                          values: dict[str, dict[str, Any]] | None = None, *, settle: bool = True) -> Reply:
        """A ``view_submission``; ``values`` maps block_id → action_id → value dict (or a plain value).

        For a ``file_input`` the plain value is a list of file ids (from ``FakeSlack.add_user_file``)
        or file dicts; it becomes Slack's ``{"type": "file_input", "files": [...]}``. A choice Slack's
        client would not allow (too many files, a type outside ``filetypes``, someone else's file)
        raises ValueError.

        The ack's response_action (errors, update, push, clear, or none = close) is applied to the
        fake's view stack as Slack would, before the bot's background work is awaited.
        """
        state = {"values": {block_id: {action_id: self._state_value(user_id, view, block_id, action_id, value)
                                       for action_id, value in actions.items()}
                            for block_id, actions in (values or {}).items()}}
        self.fake.record_view_state(view["id"], state)
        submitted = copy.deepcopy(view)
        submitted["state"] = state
        payload = self._interaction("view_submission", user_id, trigger_id=self.fake.issue_trigger(user_id),
                                    view=submitted, response_urls=[])

        def apply_ack(result: DispatchResult, ack: dict[str, Any] | None) -> None:
            if result.status == 200:
                self.fake.apply_submission_ack(user_id, view["id"], ack)

        return await self._interact(_form_payload(payload), FORM, settle=settle, after_ack=apply_ack)

    async def close_view(self, user_id: str, view: dict[str, Any], *, settle: bool = True) -> Reply:
        """The user closes a modal; ``view_closed`` is sent only if the view asked for it."""
        self.fake.close_view(user_id, view["id"])
        if not view.get("notify_on_close"):
            return Reply(status=None, ack=None, calls=[])
        payload = self._interaction("view_closed", user_id, view=copy.deepcopy(view), is_cleared=False)
        return await self._interact(_form_payload(payload), FORM, settle=settle)

    # ------------------------------------------------------------------ events

    async def send_dm(self, user_id: str, text: str, *, settle: bool = True) -> Reply:
        """The user writes to the bot in their DM: stored in history, then a ``message`` event."""
        channel_id = self.fake.dm_channel_id(user_id)
        stored = self.fake.add_user_message(channel_id, user_id, text)
        event = {
            "type": "message",
            "channel": channel_id,
            "user": user_id,
            "text": text,
            "ts": stored["ts"],
            "event_ts": stored["ts"],
            "channel_type": "im",
            "client_msg_id": str(uuid.uuid4()),
            "team": self.team_id,
            "blocks": [{"type": "rich_text", "block_id": uuid.uuid4().hex[:5], "elements": [
                {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}]}],
        }
        return await self.event(event, settle=settle)

    async def open_home(self, user_id: str, *, settle: bool = True) -> Reply:
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": self.fake.dm_channel_id(user_id),
            "tab": "home",
            "event_ts": self._ts(),
        }
        home = self.fake.home_view(user_id)
        if home is not None:
            event["view"] = home
        return await self.event(event, settle=settle)

    def event_body(self, event: dict[str, Any], event_id: str | None = None) -> str:
        envelope = {
            "token": "local-verification-token",
            "team_id": self.team_id,
            "api_app_id": self.api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or "Ev" + uuid.uuid4().hex[:10].upper(),
            "event_time": int(self._now()),
            "authorizations": [{"enterprise_id": None, "team_id": self.team_id, "user_id": self.fake.bot_user_id,
                                "is_bot": True, "is_enterprise_install": False}],
            "is_ext_shared_channel": False,
            "event_context": "local-" + uuid.uuid4().hex[:12],
        }
        return json.dumps(envelope, ensure_ascii=False)

    async def event(self, event: dict[str, Any], retry_num: int | None = None, event_id: str | None = None,
                    *, retry_reason: str = "http_timeout", settle: bool = True) -> Reply:
        """A raw event; ``retry_num`` adds Slack's retry headers, as when Slack re-sends a missed event."""
        extra = {}
        if retry_num is not None:
            extra = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        return await self._interact(self.event_body(event, event_id), JSON, settle=settle, extra_headers=extra)

    # ------------------------------------------------------------------ raw sending

    async def send_raw(self, body: str | bytes, content_type: str = JSON, *, signature: str | None = "auto",
                       timestamp: int | None = None, extra_headers: dict[str, str] | None = None,
                       settle: bool = True) -> Reply:
        """Send ``body`` as is (bytes: even invalid UTF-8). signature: "auto" signs correctly, None omits
        it, any other string is sent."""
        return await self._interact(body, content_type, settle=settle, extra_headers=extra_headers,
                                    signature=signature, timestamp=timestamp)

    async def unsigned(self, body: str, content_type: str = JSON, *, settle: bool = True) -> Reply:
        return await self.send_raw(body, content_type, signature=None, settle=settle)

    def headers_for(self, body: str | bytes, content_type: str, *, timestamp: int | None = None) -> dict[str, str]:
        timestamp = int(self._now()) if timestamp is None else timestamp
        return {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(timestamp),
            "X-Slack-Signature": sign(self.signing_secret, body, timestamp),
        }

    # ------------------------------------------------------------------ settling

    def mark(self) -> None:
        """Begin a settle window now, for work started outside the driver (e.g. a clock move)."""
        self._baseline = set(asyncio.all_tasks())

    async def settle(self, timeout: float | None = None) -> None:
        """Wait until every task created since the last interaction began has finished.

        Bolt acks first and runs the rest of a listener as a background task, so the effect of an
        interaction is only complete once those tasks (and the tasks they start) are done. Tasks
        that existed before the interaction — servers, schedulers — are left alone.
        """
        if self._baseline is None:
            self.mark()  # no interaction yet: nothing of ours can be running
        baseline = self._baseline or set()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self.settle_timeout if timeout is None else timeout)
        current = asyncio.current_task()
        quiet_rounds = 0
        while True:
            pending = {task for task in asyncio.all_tasks()
                       if task is not current and task not in baseline and not task.done()}
            if not pending:
                # A finished task may have scheduled a callback that starts another: look twice.
                quiet_rounds += 1
                if quiet_rounds >= 2:
                    return
                await asyncio.sleep(0)
                continue
            quiet_rounds = 0
            remaining = deadline - loop.time()
            if remaining <= 0:
                names = ", ".join(sorted(_describe(task) for task in pending))
                raise SettleTimeout(f"still running after settle timeout: {names}")
            await asyncio.wait(pending, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)

    async def _interact(self, body: str | bytes, content_type: str, *, settle: bool,
                        after_ack: Callable[[DispatchResult, dict[str, Any] | None], None] | None = None,
                        extra_headers: dict[str, str] | None = None, signature: str | None = "auto",
                        timestamp: int | None = None) -> Reply:
        headers = self.headers_for(body, content_type, timestamp=timestamp)
        if signature is None:
            headers.pop("X-Slack-Signature")
        elif signature != "auto":
            headers["X-Slack-Signature"] = signature
        headers.update(extra_headers or {})

        # Interactions sent concurrently share one settle window: a later one must not count the
        # earlier ones' background work as "already running before" and stop waiting for it.
        if self._in_flight == 0:
            self.mark()
        self._in_flight += 1
        first_call = len(self.fake.calls)
        try:
            result = await self.dispatch(body, headers)
            ack = _parse_ack(result.body, result.headers)
            if after_ack is not None:
                after_ack(result, ack)
            if settle:
                await self.settle()
        finally:
            self._in_flight -= 1
        return Reply(result.status, ack, self.fake.calls[first_call:], result.body, result.headers)

    # ------------------------------------------------------------------ helpers

    def _interaction(self, kind: str, user_id: str, **fields: Any) -> dict[str, Any]:
        """An interactive payload of `kind` from `user_id` in this workspace, with `fields`."""
        return {"type": kind, "team": {"id": self.team_id, "domain": self.team_domain}, "user": self._user(user_id),
                "api_app_id": self.api_app_id, "token": "local-verification-token", "enterprise": None,
                "is_enterprise_install": False, **fields}

    def _user(self, user_id: str) -> dict[str, Any]:
        name = self._user_name(user_id)
        return {"id": user_id, "username": name, "name": name, "team_id": self.team_id}

    def _user_name(self, user_id: str) -> str:
        user = self.fake.users.get(user_id)
        return user.name if user else user_id

    def _ts(self) -> str:
        return f"{self._now():.6f}"

    def _state_value(self, user_id: str, view: dict[str, Any], block_id: str, action_id: str,
                     value: Any) -> dict[str, Any]:
        if isinstance(value, dict):
            return value
        block, element = find_element(view.get("blocks", []), action_id, block_id)
        if element.get("type") == "file_input":
            return {"type": "file_input", "files": self._submitted_files(user_id, element, value)}
        action = build_action(block, element, value, action_ts="")
        return {key: item for key, item in action.items()
                if key not in ("action_id", "block_id", "action_ts", "text")}

    def _submitted_files(self, user_id: str, element: dict[str, Any], value: Any) -> list[dict[str, Any]]:
        """The files a person attached to a file_input, as Slack's payload lists them."""
        chosen = [] if value is None else [value] if isinstance(value, str) else list(value)
        limit = element.get("max_files", MAX_FILE_INPUT_FILES)
        if len(chosen) > limit:
            raise ValueError(f"{element.get('action_id')!r} takes at most {limit} files, not {len(chosen)}")
        allowed = {extension.lower().lstrip(".") for extension in element.get("filetypes") or []}
        files = []
        for item in chosen:
            file = self._file_object(user_id, item)
            _, dot, extension = str(file.get("name", "")).rpartition(".")
            if allowed and (not dot or extension.lower() not in allowed):
                raise ValueError(f"{file.get('name')!r} is not one of {sorted(allowed)} "
                                 f"that {element.get('action_id')!r} accepts")
            files.append(file)
        return files

    def _file_object(self, user_id: str, item: str | dict[str, Any]) -> dict[str, Any]:
        if isinstance(item, str):
            try:
                file = self.fake.public_file(item)
            except KeyError as error:
                raise LookupError(f"no file {item!r}; add it with FakeSlack.add_user_file") from error
        else:
            try:
                file = self.fake.public_file(item.get("id"))
            except KeyError:
                return copy.deepcopy(item)  # a file the fake never saw is sent as written
            file.update(copy.deepcopy(item))
        if file.get("user") != user_id:
            raise ValueError(f"{user_id} cannot attach {file['id']!r}: a file_input holds only their own uploads")
        return file


def _form_payload(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload, ensure_ascii=False)})


def _parse_ack(body: str, headers: dict[str, str]) -> dict[str, Any] | None:
    """The ack as JSON; a plain-text ack (Bolt's ``ack("text")``) means ``{"text": body}`` to Slack."""
    if not body or not body.strip():
        return None
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if not content_type.startswith("application/json"):
        return {"text": body}
    try:
        parsed = json.loads(body)
    except json.JSONDecodeError:
        return {"text": body}
    return parsed if isinstance(parsed, dict) else None


def _describe(task: asyncio.Task) -> str:
    coro = task.get_coro()
    return f"{task.get_name()}({getattr(coro, '__qualname__', repr(coro))})"
