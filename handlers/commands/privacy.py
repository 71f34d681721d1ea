"""`/jirei forget-me`: first what will be deleted and a button; `forget-me confirm` (or the button) does it."""

from __future__ import annotations

from bot import ids
from bot.core import grammar
from bot.kit import Block, actions, button, header, plain, section
from bot.deps import Deps
from bot.core.i18n import t
from bot.privacy import service as privacy
from bot.people.results import Actor
from handlers.commands.request import CommandRequest


def build_forget_me_prompt(lang: str) -> list[Block]:
    confirm = {"title": plain(t("privacy.prompt.confirm_title", lang)),
               "text": plain(t("privacy.prompt.confirm_text", lang)),
               "confirm": plain(t("privacy.prompt.confirm_yes", lang)),
               "deny": plain(t("privacy.prompt.confirm_no", lang)), "style": "danger"}
    return [
        header(t("privacy.prompt.title", lang)),
        section(t("privacy.prompt.body", lang)),
        actions(button(t("privacy.prompt.button", lang), ids.FORGET_ME_CONFIRM, "confirm", style="danger",
                       confirm=confirm)),
    ]


def done_text(result: privacy.ForgetResult, lang: str) -> str:
    return t("privacy.done", lang, left=len(result.sessions_left), cancelled=result.deliveries_cancelled,
             kept=result.registrations_kept)


async def forget(deps: Deps, actor: Actor) -> privacy.ForgetResult:
    """Forget the person behind the request (never anyone named in a value)."""
    async with deps.uow() as uow:
        result = await privacy.forget_me(uow, deps.clock.now(), deps.tz, actor)
    if result.sessions_left:
        deps.wake_dispatcher()  # seats freed: the waitlist promotions are owed now
    return result


async def forget_me(cmd: grammar.ForgetMe, request: CommandRequest) -> None:
    if not cmd.confirmed:
        await request.reply(build_forget_me_prompt(request.lang), t("privacy.prompt.title", request.lang))
        return
    text = done_text(await forget(request.deps, request.actor), request.lang)
    await request.reply([section(text)], text)
