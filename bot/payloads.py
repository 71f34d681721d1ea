"""The shape of what Slack sends, checked once before any listener reads it.

    body = parse_body(raw, content_type)   # the form or JSON Slack posted (ValueError when it is neither)
    problem = payload_problem(body)   # None, or why the body is not something Slack sends (400)
    kind = unheard_kind(body)         # a kind Slack sends that no listener of Jirei takes (404), or None
    clean_inputs(body)                # in place: no NUL, no lone surrogate, no control character typed

Handlers read payloads the way Slack writes them (`body["view"]["state"]["values"]`, an action's
`selected_date_time` as an integer), and so does Bolt, before any listener runs (it reads
`body["view"]["type"]` of every view_submission and `body["workflow_step"]` of a workflow step, and
looks for ids in `user`, `team`, `channel`, `authorizations`… to build the request's context). A
signed body of another shape (a `view` that is null or has no `type`, a submitted view without its
`state`, a `user` that is a string, a date of 1e20, a command without its `response_url`) is not
from Slack's servers; it is answered 400 here rather than becoming an error in Bolt or a handler.
Only the fields Jirei and Bolt read are described; anything else passes as it is. A kind of payload
Slack does send but Jirei has no listener for (a shortcut, a view closed, a legacy workflow step…)
is answered 404 here, before Bolt reads the parts of it that it assumes.

Bolt decides that a form is an interaction's when its raw text contains the letters "payload"
anywhere, so `/jirei profile set name=payloadman` became an empty body; `parse_body` reads the
form's fields and takes the `payload` field only when there is one.

What people type is stored: PostgreSQL refuses NUL, and no driver encodes a lone surrogate, so both
are taken out of typed and picked values first (a name typed with one is kept without it). Text
typed as text (a command, a message, a form's text field) also loses what a terminal, a spreadsheet
or a reader would act on (bot.core.text.clean_input) before any listener reads it.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import parse_qsl

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.core.text import clean_input

# Slack's ids: U…, W…, C…, D…, G…, T…, V…; event ids (Ev…) have a lower-case letter.
SlackId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
# A picked date and time, in seconds; anything outside 1970–2105 is no date a person picked.
Timestamp = Annotated[int, Field(ge=0, lt=2**32, strict=True)]
Url = Annotated[str, Field(pattern=r"^https?://")]


class _Part(BaseModel):
    """A field left out is fine; a field given must have Slack's type (null included)."""

    model_config = ConfigDict(extra="allow")


class Named(_Part):
    id: SlackId


class _Ids(_Part):
    """Where Bolt looks for the ids of a request's context (slack_bolt.request.internals), at every
    depth it looks: a name it reads as an object or a string must be one of them."""

    enterprise: Named | SlackId | None = None
    enterprise_id: SlackId | None = None
    team: Named | SlackId | None = None
    team_id: SlackId | None = None
    user: Named | SlackId | None = None
    user_id: SlackId | None = None
    user_team: SlackId | None = None
    channel: Named | SlackId | None = None
    channel_id: SlackId | None = None
    thread_ts: str | None = None
    is_enterprise_install: bool | str | None = None
    authorizations: list[_Ids] | None = None
    message: _Ids | None = None
    previous_message: _Ids | None = None
    item: _Ids | None = None
    assistant_thread: _Ids | None = None
    function_execution_id: str | None = None
    function_data: _Ids | None = None
    execution_id: str | None = None
    bot_access_token: str | None = None
    inputs: dict[str, Any] | None = None


class Option(_Part):
    value: str = None


class FileRef(_Part):
    id: str


class Element(_Part):
    """An element of a block the bot built (Slack sends the bot's own message or view back)."""

    action_id: str = None
    multiline: bool = None
    options: list[Option] = None


class Block(_Part):
    block_id: str = None
    element: Element = None
    elements: list[Element] = None


class Picked(_Part):
    """An input's state in a view, or the element of an action: what the person chose or typed."""

    type: str = None
    value: str | None = None
    selected_option: Option | None = None
    selected_options: list[Option] = None
    selected_date_time: Timestamp | None = None
    selected_date: str | None = None
    selected_time: str | None = None
    selected_user: SlackId | None = None
    selected_users: list[SlackId] = None
    selected_conversation: SlackId | None = None
    selected_channel: SlackId | None = None
    files: list[FileRef] = None


class Action(Picked):
    action_id: str
    block_id: str = None
    action_ts: str = None


class State(_Part):
    values: dict[str, dict[str, Picked]]


class View(_Part):
    id: SlackId = None
    type: str = None
    callback_id: str = None
    hash: str = None
    private_metadata: str = None
    state: State = None
    blocks: list[Block] = None
    app_installed_team_id: SlackId | None = None
    team_id: SlackId | None = None


class Container(_Part):
    type: str = None
    message_ts: str = None
    channel_id: SlackId = None
    view_id: SlackId = None


class Message(_Ids):
    ts: str = None
    text: str = None
    blocks: list[Block] = None


class Event(_Ids):
    type: str
    user: SlackId = None
    channel: SlackId = None
    text: str | None = None
    channel_type: str = None
    subtype: str = None
    bot_id: str | None = None
    tab: str = None
    ts: str = None
    event_ts: str = None
    message: Message = None
    previous_message: Message = None


class ResponseUrl(_Part):
    response_url: Url = None


class Body(_Ids):
    """Commands (form fields), interactions and event envelopes, by the fields Jirei and Bolt read."""

    type: str = None
    command: str = None
    text: str = None
    user: Named = None
    team: Named | None = None  # null in some Enterprise Grid payloads
    channel: Named = None
    trigger_id: str = None
    response_url: Url = None
    response_urls: list[ResponseUrl] = None
    callback_id: str = None
    action_id: str = None
    value: str = None
    actions: Annotated[list[Action], Field(min_length=1)] = None
    view: View = None
    container: Container = None
    message: Message = None
    state: State = None
    event: Event = None
    event_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")] = None
    challenge: str = None
    workflow_step: dict[str, Any] = None
    is_ext_shared_channel: bool | None = None
    context_team_id: SlackId | None = None
    context_enterprise_id: SlackId | None = None
    ssl_check: str = None


# Every kind of request Slack sends to a request URL: what it cannot be without, and whether a
# listener of Jirei takes it. "command" is a slash command (form fields, no `type`).
Kind = tuple[tuple[str, ...], bool]
KINDS: dict[str, Kind] = {
    "command": (("command", "user_id", "response_url", "trigger_id"), True),
    "block_actions": (("user", "actions", "trigger_id", "container"), True),
    "view_submission": (("user", "view"), True),
    "view_closed": (("user", "view"), False),
    "shortcut": (("user", "callback_id", "trigger_id"), False),
    "message_action": (("user", "callback_id", "trigger_id", "channel", "message"), False),
    "block_suggestion": (("user", "action_id", "value"), False),
    "interactive_message": (("user", "callback_id", "actions"), False),
    "dialog_submission": (("user", "callback_id"), False),
    "dialog_cancellation": (("user", "callback_id"), False),
    "dialog_suggestion": (("user", "callback_id"), False),
    "workflow_step_edit": (("user", "callback_id", "trigger_id", "workflow_step"), False),
    "event_callback": (("event", "event_id"), True),
    "url_verification": (("challenge",), True),
    "app_rate_limited": (("team_id",), True),
    "ssl_check": ((), True),
}
# What the events Jirei listens to always carry.
EVENT_REQUIRED = {
    "app_home_opened": ("user", "channel"),
    "message": ("channel", "ts"),
}
# What every view Slack sends carries; a submitted or closed view also carries what was filled in.
VIEW_REQUIRED = ("id", "type", "callback_id")
VIEW_TYPES = ("modal", "home", "workflow_step")
# The views a person can submit or close. Jirei's are modals; a "workflow_step" view belonged to
# Slack's retired Steps from Apps, which Jirei never offered: Slack's, but nobody listens.
SUBMITTED_VIEW_TYPES = ("modal", "workflow_step")


def parse_body(raw: str, content_type: str | None) -> Any:
    """The body Slack posted: JSON (events), a form whose one `payload` field is JSON
    (interactions), or a form (slash commands). ValueError when it is none of these."""
    if content_type == "application/json" or raw.lstrip().startswith("{"):
        return json.loads(raw)
    fields = parse_qsl(raw, keep_blank_values=True, strict_parsing=bool(raw))
    names = [name for name, _ in fields]
    if len(set(names)) != len(names):
        raise ValueError("a form field given twice")
    form = dict(fields)
    if "payload" in form:
        return json.loads(form["payload"])
    return form


def kind_of(body: dict) -> str | None:
    """Which of KINDS `body` is, or None for no kind Slack sends."""
    if "command" in body:
        return "command"
    if "ssl_check" in body and "type" not in body:
        return "ssl_check"
    kind = body.get("type")
    return kind if isinstance(kind, str) and kind in KINDS and kind not in ("command", "ssl_check") else None


def payload_problem(body: Any) -> str | None:
    """None when `body` has the shape Slack gives it; else a short reason, naming no value."""
    if not isinstance(body, dict):
        return "payload is not an object"
    try:
        Body.model_validate(body)
    except (ValidationError, RecursionError) as error:
        first = error.errors()[0]["loc"] if isinstance(error, ValidationError) and error.errors() else ()
        # Only the place, from our own field names: the body's keys are the sender's text.
        where = ".".join(str(part) for part in first if isinstance(part, str) and part in _FIELD_NAMES)
        return f"malformed payload ({where or 'structure'})"
    kind = kind_of(body)
    if kind is None:
        return "not a kind of payload Slack sends"
    missing = [name for name in KINDS[kind][0] if body.get(name) is None]
    missing += [f"event.{name}" for name in _event_needs(body) if body["event"].get(name) is None]
    missing += [f"view.{name}" for name in _view_needs(body, kind) if body["view"].get(name) is None]
    container = body.get("container", {}).get("type") if kind == "block_actions" else None
    if container == "message" and not body.get("response_url"):
        missing.append("response_url")  # a button in a message is answered in place through it
    if container == "view" and body.get("view") is None:
        missing.append("view")
    if missing:
        return f"malformed payload ({missing[0]})"
    view_type = (body.get("view") or {}).get("type")
    if view_type is not None and view_type not in (SUBMITTED_VIEW_TYPES if kind in ("view_submission", "view_closed")
                                                   else VIEW_TYPES):
        return "malformed payload (view.type)"
    return None


def unheard_kind(body: dict) -> str | None:
    """The kind of a payload Slack sends (one `payload_problem` accepted) that no listener of Jirei
    takes, such as a shortcut or a closed view; None when one may."""
    kind = kind_of(body)
    if kind is not None and not KINDS[kind][1]:
        return kind
    if kind == "view_submission" and body["view"]["type"] != "modal":
        return f"{body['view']['type']} view_submission"
    return None


def _event_needs(body: dict) -> tuple[str, ...]:
    event = body.get("event")
    return EVENT_REQUIRED.get(event.get("type"), ()) if isinstance(event, dict) else ()


def _view_needs(body: dict, kind: str) -> tuple[str, ...]:
    if not isinstance(body.get("view"), dict):
        return ()
    if kind in ("view_submission", "view_closed"):
        return (*VIEW_REQUIRED, "state")
    if kind == "block_actions" and body.get("container", {}).get("type") == "view":
        return ("id", "type")
    return ()


_FIELD_NAMES = frozenset(name for model in (Body, Event, View, State, Container, Message, Action, Picked, Named,
                                            Option, FileRef, Block, Element, ResponseUrl, _Ids)
                         for name in model.model_fields)


def clean_inputs(body: dict) -> None:
    """Clean what people typed or picked, in place. Everywhere (a command's text, actions' values, a
    view's inputs and private_metadata, a message event's text): no NUL and no lone surrogate. What
    was typed as text (a command, a message, a form's text field) also loses control and format
    characters; line breaks stay only where people can type them: messages and multiline fields.
    Call it on a body `payload_problem` accepted."""
    _clean_field(body, "text", typed="command" in body)
    for action in body.get("actions") or ():
        _clean_picked(action)
    view = body.get("view") or {}
    _clean_field(view, "private_metadata")
    multiline = _multiline_inputs(view)
    for block_id, inputs in ((view.get("state") or {}).get("values") or {}).items():
        for action_id, picked in inputs.items():
            _clean_picked(picked, typed=True, multiline=(block_id, action_id) in multiline)
    for inputs in ((body.get("state") or {}).get("values") or {}).values():
        for picked in inputs.values():
            _clean_picked(picked)
    _clean_field(body.get("event") or {}, "text", typed=True, multiline=True)


def _multiline_inputs(view: dict) -> set[tuple[Any, Any]]:
    """(block_id, action_id) of the form's multiline text fields."""
    blocks = view.get("blocks")
    return {(block.get("block_id"), block["element"].get("action_id")) for block in blocks
            if isinstance(block, dict) and isinstance(block.get("element"), dict)
            and block["element"].get("multiline")} if isinstance(blocks, list) else set()


def _clean_picked(picked: dict, *, typed: bool = False, multiline: bool = False) -> None:
    _clean_field(picked, "value", typed=typed, multiline=multiline)
    _clean_field(picked.get("selected_option") or {}, "value")
    for option in picked.get("selected_options") or ():
        _clean_field(option, "value")


def _clean_field(holder: dict, name: str, *, typed: bool = False, multiline: bool = False) -> None:
    if isinstance(holder.get(name), str):
        text = _clean(holder[name])
        holder[name] = clean_input(text, multiline=multiline) if typed else text


def _clean(text: str) -> str:
    if "\x00" in text:
        text = text.replace("\x00", "")
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join("\ufffd" if "\ud800" <= char <= "\udfff" else char for char in text)
    return text
