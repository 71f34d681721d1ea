"""Study groups' periodic jobs: the monthly matching, and the Slack spaces the outbox cannot make.

Opening a group DM or a private channel and inviting people is not a message, so it is done here,
with no transaction open: a group's space is claimed in one transaction (`space_claimed_until`, so
a second process keeps away), opened and invited with none open, and recorded in another. Every
step is safe to repeat: inviting someone already in answers `already_in_channel`, and opening a
group DM with the same people returns the same conversation.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.delivery import outbox
from bot.delivery.kinds import DeliveryKind
from bot.deps import Deps
from bot.study_groups.service import MATCHING_ACTION, MAX_GROUP_DM, matching_due, run_matching
from bot.study_groups.results import MIN_GROUP
from storage.models import StudyGroup

log = logging.getLogger(__name__)

SPACE_RETRY = timedelta(minutes=5)
# How long a process may take to open a group's space before another one may try.
SPACE_CLAIM = timedelta(minutes=10)
# Slack answers after which no retry helps the bot create a channel: use a group DM instead.
TRANSIENT_SLACK_ERRORS = frozenset({"ratelimited", "rate_limited", "internal_error", "fatal_error",
                                    "service_unavailable", "request_timeout", "transport_error"})


async def monthly_matching(deps: Deps) -> int:
    now = deps.clock.now()
    async with deps.uow() as uow:
        if not await matching_due(uow, now):
            return 0
        # Two processes ticking together: the first to claim the day's key runs the matching.
        if not await uow.processed.first_time(f"{MATCHING_ACTION}:{now:%Y%m%d}", now):
            return 0
        report = await run_matching(uow, now, deps.tz)
    log.info("study-group matching ran", extra={"groups": len(report.group_codes), "nudged": report.nudged})
    deps.wake_dispatcher()
    return report.nudged


@dataclass(frozen=True)
class Space:
    channel_id: str
    kind: str  # private_channel | group_dm


def _slack_error(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return str((exc.response or {}).get("error") or "unknown_error")
    return "transport_error"


SLACK_FAILURES = (SlackApiError, SlackClientError, aiohttp.ClientError, asyncio.TimeoutError)


async def open_group_dm(client, members: list[str]) -> str:
    answer = await client.conversations_open(users=",".join(members))
    return answer["channel"]["id"]


def channel_name(group: StudyGroup, attempt: int) -> str:
    """jirei-g3-osaka, then jirei-g3-osaka-2 … (lowercase, no spaces: Slack's rule for names)."""
    base = f"jirei-{group.code.lower()}-{(group.bureau or 'online').lower()}"
    return base if attempt == 0 else f"{base}-{attempt + 1}"


async def open_space(client, group: StudyGroup, members: list[str]) -> Space | None:
    """A private channel with the members; a group DM if channels cannot be created; None to retry later."""
    for attempt in range(5):
        try:
            created = await client.conversations_create(name=channel_name(group, attempt), is_private=True)
        except SLACK_FAILURES as exc:
            error = _slack_error(exc)
            if error == "name_taken":
                continue
            if error in TRANSIENT_SLACK_ERRORS:
                log.warning("study group %s: channel creation failed: %s", group.id, error)
                return None
            log.info("study group %s: no channel (%s), using a group DM", group.id, error)
            break
        else:
            return Space(created["channel"]["id"], "private_channel")
    try:
        return Space(await open_group_dm(client, members), "group_dm")
    except SLACK_FAILURES as exc:
        log.warning("study group %s: group DM failed: %s", group.id, _slack_error(exc))
        return None


async def open_study_group_spaces(deps: Deps) -> int:
    """Open what the outbox cannot: group DMs for introductions, spaces for groups that formed."""
    now = deps.clock.now()
    done = await _address_introductions(deps, now)
    done += await _open_group_spaces(deps, now)
    done += await _add_newcomers(deps, now)
    if done:
        deps.wake_dispatcher()
    return done


async def _address_introductions(deps: Deps, now: datetime) -> int:
    async with deps.uow() as uow:
        waiting = [(row.id, list((row.payload or {}).get("members", [])))
                   for row in await uow.study_group_activity.pending_deliveries(DeliveryKind.GROUP_INTRODUCTION)
                   if not (row.payload or {}).get("channel")]
    addressed = 0
    for delivery_id, members in waiting:
        try:
            channel = await open_group_dm(deps.client, members)
        except SLACK_FAILURES as exc:
            log.warning("introduction %s: group DM failed: %s", delivery_id, _slack_error(exc))
            async with deps.uow() as uow:
                await uow.study_group_activity.postpone_delivery(delivery_id, now + SPACE_RETRY)
            continue
        async with deps.uow() as uow:
            addressed += int(await uow.study_group_activity.address_delivery(delivery_id, channel))
    return addressed


async def _open_group_spaces(deps: Deps, now: datetime) -> int:
    async with deps.uow() as uow:
        forming = await uow.study_groups.with_status("forming")
        counts = await uow.study_groups.accepted_counts([g.id for g in forming])
    ready = [g.id for g in forming if counts.get(g.id, 0) >= MIN_GROUP and g.channel_id is None]
    opened = 0
    for group_id in ready:
        claimed = await _claim_space(deps, group_id, now)
        if claimed is None:
            continue
        group, user_ids = claimed
        # Slack is asked with no transaction open; the claim keeps a second process away meanwhile.
        space = await open_space(deps.client, group, user_ids)
        invited = space is not None and (space.kind == "group_dm"
                                         or await _invite(deps.client, group, space.channel_id, user_ids))
        async with deps.uow() as uow:
            group = await uow.study_groups.get(group_id, lock=True)
            if group is None or group.channel_id is not None:
                continue
            group.space_claimed_until = None
            if space is None:
                continue  # tried again on the next run
            group.channel_id, group.status = space.channel_id, "active"
            if invited:
                for member in await uow.study_groups.members(group.id, "accepted"):
                    if member.user_id in user_ids:
                        member.joined_at = now
            # Otherwise the newcomers step invites them on a later run; the kit waits in the channel.
            await outbox.enqueue(uow, kind=DeliveryKind.STUDY_GROUP_KIT, recipient=space.channel_id, due_at=now,
                                 dedupe_key=f"kit:{group.code}:{space.channel_id}", now=now,
                                 payload={"group_id": group.id})
            await uow.audit.record(now, "system", "study_group.space", "ok", target=group.code, kind=space.kind,
                                   members=len(user_ids))
            opened += 1
    return opened


async def _claim_space(deps: Deps, group_id: int, now: datetime) -> tuple[StudyGroup, list[str]] | None:
    """The group (if still waiting for its space and not claimed by another process) and who accepted."""
    async with deps.uow() as uow:
        group = await uow.study_groups.get(group_id, lock=True)
        if group is None or group.status != "forming" or group.channel_id is not None:
            return None
        if group.space_claimed_until is not None and group.space_claimed_until > now:
            return None
        group.space_claimed_until = now + SPACE_CLAIM
        return group, [m.user_id for m in await uow.study_groups.members(group.id, "accepted")]


async def _invite(client, group: StudyGroup, channel: str, user_ids: list[str]) -> bool:
    try:
        await client.conversations_invite(channel=channel, users=",".join(user_ids))
    except SLACK_FAILURES as exc:
        log.warning("study group %s: invite failed: %s", group.id, _slack_error(exc))
        return False
    return True


@dataclass(frozen=True)
class NewcomersAdded:
    channel: str  # where the newcomers are now
    kind: str | None  # STUDY_GROUP_KIT (a new space: the kit goes there), STUDY_GROUP_WELCOME, None (refused for good)
    error: str | None = None


async def _add_newcomers(deps: Deps, now: datetime) -> int:
    """Accepted members not yet in their group's space: invited to the channel, or a new group DM."""
    async with deps.uow() as uow:
        waiting: dict[int, tuple[StudyGroup, list[str]]] = {}
        for group, member in await uow.study_groups.awaiting_space():
            waiting.setdefault(group.id, (group, []))[1].append(member.user_id)
    added = 0
    for group_id, (group, newcomers) in waiting.items():
        outcome = await _bring_in(deps, group, newcomers)
        if outcome is None:
            continue
        async with deps.uow() as uow:
            current = await uow.study_groups.get(group_id, lock=True)
            if current is None or current.channel_id != group.channel_id:
                continue  # another process moved the group meanwhile; its newcomers are seen next run
            current.channel_id = outcome.channel
            if outcome.error:
                # Permanent (a deactivated account…): recorded, and not tried on every run.
                await uow.audit.record(now, "system", "study_group.invite", "error", target=current.code,
                                       error=outcome.error)
            for member in await uow.study_groups.members(current.id, "accepted"):
                if member.user_id in newcomers:
                    member.joined_at = now
            if outcome.kind == DeliveryKind.STUDY_GROUP_KIT:
                await outbox.enqueue(uow, kind=DeliveryKind.STUDY_GROUP_KIT, recipient=outcome.channel, due_at=now,
                                     dedupe_key=f"kit:{current.code}:{outcome.channel}", now=now,
                                     payload={"group_id": current.id})
            elif outcome.kind == DeliveryKind.STUDY_GROUP_WELCOME:
                await outbox.enqueue(uow, kind=DeliveryKind.STUDY_GROUP_WELCOME, recipient=outcome.channel, due_at=now,
                                     dedupe_key=f"welcome:{current.code}:{'-'.join(sorted(newcomers))}"[:200],
                                     now=now, payload={"group_id": current.id, "users": sorted(newcomers)})
            added += len(newcomers)
    return added


async def _bring_in(deps: Deps, group: StudyGroup, newcomers: list[str]) -> NewcomersAdded | None:
    """Slack's side of adding newcomers (no transaction open); None to try again on the next run.

    Safe to repeat: inviting someone already in is `already_in_channel`, and opening a group DM
    with the same people returns the same conversation."""
    try:
        await deps.client.conversations_invite(channel=group.channel_id, users=",".join(newcomers))
        return NewcomersAdded(group.channel_id, DeliveryKind.STUDY_GROUP_WELCOME)
    except SLACK_FAILURES as exc:
        error = _slack_error(exc)
    if error == "already_in_channel":
        return NewcomersAdded(group.channel_id, DeliveryKind.STUDY_GROUP_WELCOME)
    if error == "method_not_supported_for_channel_type":
        # A group DM cannot grow: open a new one with everyone and hand out the kit there.
        async with deps.uow() as uow:
            everyone = [m.user_id for m in await uow.study_groups.members(group.id, "accepted")]
        channel = await open_space_dm_only(deps.client, everyone)
        return NewcomersAdded(channel, DeliveryKind.STUDY_GROUP_KIT) if channel else None
    if error in TRANSIENT_SLACK_ERRORS:
        log.warning("study group %s: invite failed: %s", group.id, error)
        return None
    log.warning("study group %s: invite refused: %s", group.id, error)
    return NewcomersAdded(group.channel_id, None, error)


async def open_space_dm_only(client, members: list[str]) -> str | None:
    try:
        return await open_group_dm(client, members[:MAX_GROUP_DM])
    except SLACK_FAILURES as exc:
        log.warning("group DM failed: %s", _slack_error(exc))
        return None
