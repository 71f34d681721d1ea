"""profile, profile set, pledge, pledge accept, admin role."""

from __future__ import annotations

from bot.core import grammar
from bot.people.blocks import build_pledge, build_pledge_accepted, build_profile_modal, build_profile_saved
from bot.core.i18n import t
from bot.kit import mention
from bot.people import service as people
from bot.core.bureaus import bureau_label
from handlers.commands.request import CommandRequest


async def open_profile(cmd: grammar.ProfileOpen, request: CommandRequest) -> None:
    async with request.deps.uow(read_only=True) as uow:
        person = await uow.coordinators.get(request.actor.user_id)
    await request.client.views_open(trigger_id=request.body["trigger_id"],
                                    view=build_profile_modal(person, request.lang))


async def set_profile(cmd: grammar.ProfileSet, request: CommandRequest) -> None:
    try:
        change = people.validate_profile(cmd.values)
    except people.ProfileError as err:
        await request.reply_text(err.key, **err.params)
        return
    async with request.deps.uow() as uow:
        person = await people.update_profile(uow, request.deps.clock.now(), request.actor.user_id, change)
    lang = person.lang  # a language change answers in the new language at once
    await request.reply(build_profile_saved(person, lang), t("profile.saved", lang))


async def show_pledge(cmd: grammar.PledgeShow, request: CommandRequest) -> None:
    async with request.deps.uow(read_only=True) as uow:
        person = await uow.coordinators.get(request.actor.user_id)
    await request.reply(build_pledge(person, request.lang), t("pledge.title", request.lang))


async def accept_pledge(cmd: grammar.PledgeAccept, request: CommandRequest) -> None:
    async with request.deps.uow() as uow:
        person, _ = await people.accept_pledge(uow, request.deps.clock.now(), request.actor.user_id)
    await request.reply(build_pledge_accepted(request.lang, person.profile_complete), t("pledge.accepted", request.lang))


async def grant_role(cmd: grammar.RoleGrantCmd, request: CommandRequest) -> None:
    actor = request.actor
    async with request.deps.uow() as uow:
        if not actor.is_admin:
            await uow.audit.record(request.deps.clock.now(), actor.user_id, "command.admin role", "refused",
                                   target=cmd.user)
            refused = True
        else:
            await people.grant_role(uow, request.deps.clock.now(), actor, cmd.user, cmd.role, cmd.bureau)
            refused = False
    if refused:
        await request.reply_text("auth.admin_only")
        return
    role = t(f"role.{cmd.role}", request.lang)
    if cmd.bureau:
        role = t("role.with_bureau", request.lang, role=role, bureau=bureau_label(cmd.bureau, request.lang))
    await request.reply_text("role.granted", user=mention(cmd.user), role=role)
