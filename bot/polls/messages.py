"""Date polls' messages, rendered at send time from the database (bot/delivery/renderers.py)."""

from __future__ import annotations

from bot.core.i18n import t
from bot.delivery.renderers import Message, RenderContext
from bot.kit import escape
from bot.polls import blocks
from bot.polls import views
from storage.models import DatePoll


async def _space_lang(ctx: RenderContext, poll: DatePoll) -> str:
    """A group's space is in English only when every member chose English."""
    members = [m.user_id for m in await ctx.uow.study_groups.members(poll.group_id, "accepted")]
    people = await ctx.uow.coordinators.many(members)
    known = [people[u] for u in members if people.get(u) is not None]
    return "en" if known and all(p.lang == "en" for p in known) else "ja"


async def _table_message(ctx: RenderContext, poll: DatePoll) -> Message:
    lang = await _space_lang(ctx, poll)
    table = await views.table(ctx.uow, poll)
    return Message(text=t("polls.table.text", lang, title=escape(poll.title)), channel=ctx.delivery.recipient,
                   blocks=blocks.build_table(table, views.note_of(ctx.uow, poll), lang, ctx.deps.tz))


async def render_table(ctx: RenderContext) -> Message | None:
    poll = await ctx.uow.date_polls.get(int(ctx.payload.get("poll_id", 0)))
    return None if poll is None else await _table_message(ctx, poll)


async def render_table_refresh(ctx: RenderContext) -> Message | None:
    """The table already posted, brought up to date in place (chat.update)."""
    poll = await ctx.uow.date_polls.get(int(ctx.payload.get("poll_id", 0)))
    if poll is None:
        return None
    post = (await ctx.uow.outbox.by_dedupe_keys([views.table_key(poll)])).get(views.table_key(poll))
    if post is None or not (post.slack_channel and post.slack_ts):
        return None  # not out yet: it shows the answers of the moment it goes
    message = await _table_message(ctx, poll)
    message.replaces = (post.slack_channel, post.slack_ts)
    return message


async def _ballot_message(ctx: RenderContext, poll: DatePoll) -> Message:
    user_id = ctx.delivery.recipient
    lang = await ctx.uow.coordinators.lang_of(user_id)
    table = await views.table(ctx.uow, poll)
    return Message(text=t("polls.ballot.text", lang, title=escape(poll.title)),
                   blocks=blocks.build_ballot(table, user_id, views.note_of(ctx.uow, poll), lang, ctx.deps.tz))


async def render_ballot(ctx: RenderContext) -> Message | None:
    """The member's own DM with the poll's selects; not owed once the poll closed or they left the group."""
    poll = await views.ballot_of(ctx.uow, int(ctx.payload.get("poll_id", 0)), ctx.delivery.recipient)
    if poll is None or poll.status != "open":
        return None
    return await _ballot_message(ctx, poll)


async def render_ballot_refresh(ctx: RenderContext) -> Message | None:
    """That DM brought up to date in place (chat.update): the member's answers, or the poll closed."""
    poll = await views.ballot_of(ctx.uow, int(ctx.payload.get("poll_id", 0)), ctx.delivery.recipient)
    if poll is None:
        return None
    key = views.ballot_key(poll, ctx.delivery.recipient)
    post = (await ctx.uow.outbox.by_dedupe_keys([key])).get(key)
    if post is None or not (post.slack_channel and post.slack_ts):
        return None  # not out yet (it shows the answers of the moment it goes), or never sent
    message = await _ballot_message(ctx, poll)
    message.replaces = (post.slack_channel, post.slack_ts)
    return message


async def render_nudge(ctx: RenderContext) -> Message | None:
    """Once, to a member still silent: skipped if they answered meanwhile or the poll closed."""
    poll = await views.still_silent(ctx.uow, int(ctx.payload.get("poll_id", 0)), ctx.delivery.recipient)
    group = await ctx.uow.study_groups.get(poll.group_id) if poll else None
    if poll is None or group is None or not group.channel_id:
        return None
    lang = await ctx.uow.coordinators.lang_of(ctx.delivery.recipient)
    return Message(text=t("polls.nudge_text", lang, title=escape(poll.title)),
                   blocks=blocks.build_nudge(poll, group.channel_id, lang))


async def _chosen(ctx: RenderContext):
    poll = await ctx.uow.date_polls.get(int(ctx.payload.get("poll_id", 0)))
    if poll is None or poll.status != "closed" or poll.chosen_slot_id is None:
        return None, None
    slot = next((s for s in await ctx.uow.date_polls.slots(poll.id) if s.id == poll.chosen_slot_id), None)
    return poll, slot


async def render_decided(ctx: RenderContext) -> Message | None:
    poll, slot = await _chosen(ctx)
    if poll is None or slot is None:
        return None
    lang = await _space_lang(ctx, poll)
    table = await views.table(ctx.uow, poll)
    session = await ctx.uow.sessions.get(poll.session_id) if poll.session_id else None
    return Message(text=t("polls.decided.text", lang, title=escape(poll.title)), channel=ctx.delivery.recipient,
                   blocks=blocks.build_decided(poll, slot, table.line(slot.id), session, lang, ctx.deps.tz))


async def render_reminder(ctx: RenderContext) -> Message | None:
    poll, slot = await _chosen(ctx)
    if poll is None or slot is None or poll.outcome != "reminder":
        return None
    lang = await _space_lang(ctx, poll)
    return Message(text=t("polls.reminder_text", lang, title=escape(poll.title)), channel=ctx.delivery.recipient,
                   blocks=blocks.build_reminder(poll, slot, lang, ctx.deps.tz))
