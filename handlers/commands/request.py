"""What a /jirei handler receives: the deps, who asked, the payload, and how to answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from bot.core import grammar
from bot.deps import Deps
from bot.core.i18n import t
from bot.kit import section
from bot.people.results import Actor
from handlers.context import message


@dataclass
class CommandRequest:
    deps: Deps
    actor: Actor
    body: dict[str, Any]
    respond: Callable[..., Awaitable[Any]]
    client: Any

    @property
    def lang(self) -> str:
        return self.actor.lang

    async def reply(self, blocks: list[dict], fallback: str) -> None:
        await self.respond(response_type="ephemeral", replace_original=False, **message(blocks, fallback))

    async def reply_text(self, key: str, **params: object) -> None:
        text = t(key, self.lang, **params)
        await self.reply([section(text)], text)


Handler = Callable[[grammar.Command, CommandRequest], Awaitable[None]]
