"""The shape of what Slack sends, checked once before any listener reads it.

    problem = payload_problem(body)   # None, or why the body is not something Slack sends
    clean_inputs(body)                # in place: no NUL, no lone surrogate, no control character typed

Handlers read payloads the way Slack writes them (`body["view"]["state"]["values"]`, an action's
`selected_date_time` as an integer). A signed body of another shape (a `view` that is null, a
`user` that is a string, a date of 1e20) is not from Slack's servers; it is answered 400 here
rather than becoming an error in a handler. Only the fields Jirei reads are described; anything
else passes as it is.

What people type is stored: PostgreSQL refuses NUL, and no driver encodes a lone surrogate, so both
are taken out of typed and picked values first (a name typed with one is kept without it). Text
typed as text (a command, a message, a form's text field) also loses what a terminal, a spreadsheet
or a reader would act on (bot.core.text.clean_input) before any listener reads it.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.core.text import clean_input

# Slack's ids: U…, W…, C…, D…, G…, T…, V…; event ids (Ev…) have a lower-case letter.
SlackId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
# A picked date and time, in seconds; anything outside 1970–2105 is no date a person picked.
Timestamp = Annotated[int, Field(ge=0, lt=2**32)]


class _Part(BaseModel):
    """A field left out is fine; a field given must have Slack's type (null included)."""

    model_config = ConfigDict(extra="allow")


class Named(_Part):
    id: SlackId


class Option(_Part):
    value: str | None = None


class FileRef(_Part):
    id: str


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
    values: dict[str, dict[str, Picked]] = None


class View(_Part):
    id: SlackId = None
    callback_id: str = None
    hash: str = None
    private_metadata: str = None
    state: State = None
    blocks: list[Any] = None


class Container(_Part):
    type: str = None
    message_ts: str = None
    channel_id: SlackId = None
    view_id: SlackId = None


class Message(_Part):
    ts: str = None
    text: str = None
    blocks: list[Any] = None


class Event(_Part):
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


class Body(_Part):
    """Commands (form fields), interactions and event envelopes, by the fields Jirei reads."""

    type: str = None
    command: str = None
    text: str = None
    user_id: SlackId = None
    channel_id: SlackId = None
    team_id: SlackId = None
    trigger_id: str = None
    response_url: Annotated[str, Field(pattern=r"^https?://")] = None
    user: Named = None
    team: Named | None = None  # null in some Enterprise Grid payloads
    channel: Named = None
    actions: Annotated[list[Action], Field(min_length=1)] = None
    view: View = None
    container: Container = None
    message: Message = None
    state: State = None
    event: Event = None
    event_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")] = None


# What each kind of payload cannot be without.
REQUIRED = {
    "block_actions": ("user", "actions"),
    "view_submission": ("user", "view"),
    "view_closed": ("user", "view"),
    "event_callback": ("event", "event_id"),
}
# What the events Jirei listens to always carry.
EVENT_REQUIRED = {
    "app_home_opened": ("user", "channel"),
    "message": ("channel", "ts"),
}


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
    if "command" in body:
        if not body.get("user_id"):
            return "malformed payload (user_id)"
    else:
        missing = [name for name in REQUIRED.get(body.get("type"), ()) if body.get(name) is None]
        event = body.get("event") or {}
        missing += [f"event.{name}" for name in EVENT_REQUIRED.get(event.get("type"), ()) if event.get(name) is None]
        if (body.get("type") == "block_actions" and (body.get("container") or {}).get("type") == "message"
                and not body.get("response_url")):
            missing.append("response_url")  # a button in a message is answered in place through it
        if missing:
            return f"malformed payload ({missing[0]})"
    return None


_FIELD_NAMES = frozenset(name for model in (Body, Event, View, State, Container, Message, Action, Picked, Named,
                                            Option, FileRef) for name in model.model_fields)


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
