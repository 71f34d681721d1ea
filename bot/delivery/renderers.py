"""Renderers: delivery kind -> the message to send, built at send time from the database.

    async def render_reminder(ctx: RenderContext) -> Message | None: ...

Each feature hands its renderers over by kind (bot/features.py); the dispatcher is given them all.

Returning None means the delivery is no longer owed (the person left, the session was
cancelled): the dispatcher marks it `skipped` instead of sending.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from bot.deps import Deps
from storage.models import Delivery
from storage.uow import UnitOfWork


@dataclass
class FileUpload:
    """A file to put beside a message (case material): decrypted only at send time."""

    filename: str
    content: bytes
    title: str


@dataclass
class Message:
    """What to post (or update, with `replaces`). `channel` None means the recipient's DM (recipient is a user id).

    With `upload`, the dispatcher first posts the message (text, blocks, metadata), then uploads
    the file into that message's thread in the same conversation (files_upload_v2 with
    `channel` and `thread_ts`). Slack no longer lets a bot re-share one uploaded file into
    other conversations, so each recipient's DM gets its own upload.
    """

    text: str
    blocks: list[dict] | None = None
    channel: str | None = None
    upload: FileUpload | None = None
    unfurl_links: bool = False
    # (channel, ts) of a message already posted: chat.update it in place instead of posting. An
    # update is idempotent, so one whose outcome is unknown is simply made again.
    replaces: tuple[str, str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class RenderContext:
    deps: Deps
    uow: UnitOfWork
    delivery: Delivery

    @property
    def payload(self) -> dict:
        return self.delivery.payload or {}


Renderer = Callable[[RenderContext], Awaitable[Message | None]]


class UnknownDeliveryKind(LookupError):
    pass
