"""groups, propose, and admin nudge."""

from __future__ import annotations

from bot.core import grammar
from bot.study_groups.blocks import build_groups_overview, build_matching_report, build_propose_modal
from bot.core.i18n import t
from bot.study_groups import service as study_groups
from handlers.commands.request import CommandRequest


async def my_groups(cmd: grammar.Groups, request: CommandRequest) -> None:
    async with request.deps.uow() as uow:
        overview = await study_groups.overview(uow, request.actor)
    await request.reply(build_groups_overview(overview, request.lang, request.deps.tz),
                        t("groups.overview.title", request.lang))


async def open_propose_modal(cmd: grammar.Propose, request: CommandRequest) -> None:
    async with request.deps.uow() as uow:
        await study_groups.check_may_propose(uow, request.deps.clock.now(), request.deps.tz, request.actor,
                                             request.deps.settings.proposals_per_month)
        group = await study_groups.proposer_group(uow, request.actor.user_id)
    view = build_propose_modal(request.lang, request.deps.clock.now(), request.deps.tz, group.code if group else None)
    await request.client.views_open(trigger_id=request.body["trigger_id"], view=view)


async def nudge_now(cmd: grammar.NudgeNow, request: CommandRequest) -> None:
    async with request.deps.uow() as uow:
        report = await study_groups.run_matching_now(uow, request.deps.clock.now(), request.deps.tz,
                                                     request.actor)
    request.deps.wake_dispatcher()
    blocks = build_matching_report(report, request.lang, request.deps.tz)
    await request.reply(blocks, blocks[0]["text"]["text"])
