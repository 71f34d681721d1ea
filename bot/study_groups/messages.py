"""Study groups' messages: nudges, the starter kit, welcomes, introductions and self-run invitations,
rendered at send time."""

from __future__ import annotations

from bot.core import matching
from bot.study_groups import blocks
from bot.kit import escape
from bot.delivery.renderers import Message, RenderContext
from bot.core.i18n import t
from bot.core.timefmt import format_date
from storage.models import CaseSession, Coordinator, StudyGroup


class IntroductionNotAddressed(RuntimeError):
    """An introduction reached the dispatcher before its group DM was opened (never expected)."""


def _lang_for(people: list[Coordinator | None]) -> str:
    """A shared conversation is in English only when everyone in it chose English."""
    known = [p for p in people if p is not None]
    return "en" if known and all(p.lang == "en" for p in known) else "ja"


async def _person_lang(ctx: RenderContext) -> tuple[Coordinator | None, str]:
    person = await ctx.uow.coordinators.get(ctx.delivery.recipient)
    return person, person.lang if person else "ja"


async def render_nudge(ctx: RenderContext) -> Message | None:
    nudge = await ctx.uow.nudges.get(int(ctx.payload.get("nudge_id", 0)))
    person, lang = await _person_lang(ctx)
    if nudge is None or nudge.status != "sent" or person is None or not person.nudges_enabled:
        return None
    group = await ctx.uow.study_groups.get(nudge.group_id)
    if group is None or group.status == "closed":
        return None
    others = len(await ctx.uow.study_groups.members(group.id, "invited", "accepted")) - 1
    return Message(text=t("groups.nudge.title", lang),
                   blocks=blocks.build_nudge(nudge.id, max(others, 0), group.bureau, group.themes or [], lang))


async def render_unmatched(ctx: RenderContext) -> Message | None:
    person, lang = await _person_lang(ctx)
    reason = str(ctx.payload.get("reason", ""))
    if person is None or not person.nudges_enabled or reason not in {r.value for r in matching.UnmatchedReason}:
        return None
    return Message(text=t("groups.nudge.title", lang), blocks=blocks.build_unmatched(reason, lang))


async def _group_and_lang(ctx: RenderContext) -> tuple[StudyGroup | None, list[str], str]:
    group = await ctx.uow.study_groups.get(int(ctx.payload.get("group_id", 0)))
    if group is None:
        return None, [], "ja"
    members = [m.user_id for m in await ctx.uow.study_groups.members(group.id, "accepted")]
    people = await ctx.uow.coordinators.many(members)
    return group, members, _lang_for([people.get(u) for u in members])


async def render_kit(ctx: RenderContext) -> Message | None:
    group, members, lang = await _group_and_lang(ctx)
    if group is None or group.status == "closed" or group.channel_id != ctx.delivery.recipient:
        return None  # the group moved to another space; that space gets its own kit
    return Message(text=t("groups.kit.title", lang, code=group.code), channel=group.channel_id,
                   blocks=blocks.build_kit(group.code, group.bureau, group.themes or [], members, lang))


async def render_welcome(ctx: RenderContext) -> Message | None:
    group, _members, lang = await _group_and_lang(ctx)
    if group is None or group.channel_id != ctx.delivery.recipient:
        return None
    newcomers = [str(u) for u in ctx.payload.get("users", [])]
    return Message(text=t("groups.kit.title", lang, code=group.code), channel=group.channel_id,
                   blocks=blocks.build_welcome(group.code, newcomers, lang))


async def render_introduction(ctx: RenderContext) -> Message | None:
    channel = ctx.payload.get("channel")
    if not channel:
        raise IntroductionNotAddressed(ctx.delivery.id)
    item = await ctx.uow.sessions.get(int(ctx.payload.get("session_id", 0)))
    if item is None:
        return None
    members = [str(u) for u in ctx.payload.get("members", [])]
    people = await ctx.uow.coordinators.many(members)
    lang = _lang_for([people.get(u) for u in members])
    case = await ctx.uow.cases.get(item.case_id) if item.case_id else None
    if case is not None:
        title = escape(case.title)
    elif item.kind == "exchange":
        title = t("groups.intro.exchange", lang)
    else:
        title = escape(item.title or item.code)
    held_on = format_date(item.starts_at, lang, ctx.deps.tz)
    return Message(text=t("groups.intro.text", lang, code=item.code), channel=str(channel),
                   blocks=blocks.build_introduction(item.code, title, held_on, int(ctx.payload.get("group_no", 0)),
                                                    members, lang))


async def _open_self_run(ctx: RenderContext) -> CaseSession | None:
    item = await ctx.uow.sessions.get(int(ctx.payload.get("session_id", 0)))
    return item if item is not None and item.kind == "self_run" and item.status == "open" else None


async def render_self_run_invitation(ctx: RenderContext) -> Message | None:
    item = await _open_self_run(ctx)
    person, lang = await _person_lang(ctx)
    if item is None or person is None or not person.nudges_enabled:
        return None
    mine = await ctx.uow.registrations.get(item.id, person.slack_user_id)
    if mine is not None and mine.status != "cancelled":
        return None  # already registered
    group = await ctx.uow.study_groups.get(item.study_group_id) if item.study_group_id else None
    return Message(text=t("groups.proposal.invitation_text", lang, code=item.code),
                   blocks=blocks.build_self_run_invitation(item, group.code if group else None, lang, ctx.deps.tz))


async def render_self_run_announcement(ctx: RenderContext) -> Message | None:
    item = await _open_self_run(ctx)
    if item is None:
        return None
    group = await ctx.uow.study_groups.get(item.study_group_id) if item.study_group_id else None
    members = [m.user_id for m in await ctx.uow.study_groups.members(group.id, "accepted")] if group else []
    people = await ctx.uow.coordinators.many(members)
    lang = _lang_for([people.get(u) for u in members])
    return Message(text=t("groups.proposal.invitation_text", lang, code=item.code), channel=ctx.delivery.recipient,
                   blocks=blocks.build_self_run_announcement(item, lang, ctx.deps.tz))
