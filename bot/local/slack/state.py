"""What the fake Slack keeps and how Slack's Web API writes it: the records (calls, activity, users,
conversations), the refusal a method raises, a clock tests move by hand, and the wire's conventions
(ts values, cursors, flags, lists of ids) shared by every family of methods."""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass, field
from typing import Any, Callable

FIRST_TS_MICROS = 1_700_000_000_000_000
# A deterministic ts step keeps demo transcripts and test expectations stable.
TS_STEP_MICROS = 100


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


def truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)


def as_int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def split_ids(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value if v]
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return []


def paginate(items: list, params: dict[str, Any]) -> tuple[list, str]:
    limit = max(1, as_int(params.get("limit"), 100) or 100)
    start = as_int(decode_cursor(params["cursor"]), 0) if params.get("cursor") else 0
    page = items[start:start + limit]
    more = start + limit < len(items)
    return page, encode_cursor(str(start + limit)) if more else ""


def encode_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(f"next:{value}".encode()).decode()


def decode_cursor(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor.encode()).decode().removeprefix("next:")
    except (ValueError, UnicodeDecodeError) as error:
        raise SlackError("invalid_cursor") from error


def ts_micros(ts: str) -> int:
    seconds, _, fraction = ts.partition(".")
    try:
        return int(seconds) * 1_000_000 + int((fraction + "000000")[:6])
    except ValueError as error:
        raise SlackError("invalid_ts_latest") from error


def format_ts(micros: int) -> str:
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def is_top_level(message: dict[str, Any]) -> bool:
    thread_ts = message.get("thread_ts")
    return thread_ts is None or thread_ts == message["ts"]


def public_message(message: dict[str, Any], *, include_metadata: bool = True) -> dict[str, Any]:
    public = {key: value for key, value in message.items() if key != "channel"}
    if not include_metadata:
        public.pop("metadata", None)
    # Shallow is enough: stored messages are changed by replacing keys, never by mutating blocks.
    return public
