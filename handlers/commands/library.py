"""/jirei cases: the case library."""

from __future__ import annotations

from bot.core import grammar
from bot.core.i18n import t
from bot.library import service as library
from bot.library.blocks import build_results
from bot.library.results import LibrarySearch
from handlers.commands.request import CommandRequest


async def search_cases(cmd: grammar.CasesSearch, request: CommandRequest) -> None:
    search = LibrarySearch(words=cmd.words, theme=cmd.theme, bureau=cmd.bureau, fiscal_year=cmd.fiscal_year)
    async with request.deps.uow(read_only=True) as uow:
        result = await library.search(uow, search)
    await request.reply(build_results(result, request.lang), t("library.title", request.lang))
