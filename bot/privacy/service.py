"""Forgetting a person (`/jirei forget-me`) and the retention of case material.

forget_me removes what exists only for the person (profile, roles, survey progress, read receipts,
nudges, study-group memberships), gives up their seats in sessions still ahead (the waitlist moves
up as if they had left), cancels what the bot still owed them, and replaces their user id by a
random tombstone everywhere a row must stay for the counts to stay right (registrations, survey
invitations, sent deliveries, the audit log, and inside a lottery's trace or a delivery's payload);
their DM channel id goes from sent deliveries. The times of what they did, in the rows that keep
the tombstone, are cut to the day (Japan time), so none matches the moment of the request. The one
record left with their id is the audit entry saying that they asked and when (operators need it to
forget them again after restoring a backup); it holds no count the tombstone's rows would match.
The database's freed pages and its write-ahead log are wiped after the commit.

Retention: a case's material and commentary are deleted a number of days after the case was
published to the portal (JIREI_MATERIAL_RETENTION_DAYS, default 90).
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta, tzinfo

from bot.sessions import service as sessions
from bot.people.results import Actor
from bot.core.refusal import Refusal
from bot.privacy.results import TOMBSTONE_PREFIX, ForgetResult, RetentionResult
from storage.privacy_repos import FORGET_ME_ACTION
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)



def new_tombstone() -> str:
    """A random stand-in user id: unique per forgotten person, unrelated to who they were."""
    return TOMBSTONE_PREFIX + secrets.token_hex(6).upper()


async def forget_me(uow: UnitOfWork, now: datetime, tz: tzinfo, actor: Actor, *,
                    tombstone: str | None = None) -> ForgetResult:
    """Remove or anonymise everything the bot holds about `actor`. Idempotent; always allowed.
    Kept times are cut to the day in `tz` (Japan time)."""
    repo = uow.privacy
    result = ForgetResult()
    # Called off before leaving: leaving a session cancels its reminders too, which must still count.
    result.deliveries_cancelled = await uow.outbox.cancel_pending(recipient=actor.user_id)
    for code in await repo.future_registrations(actor.user_id, now):
        try:
            await sessions.leave(uow, now, actor, code)
        except Refusal as err:
            # Too late to leave (it is starting): the seat stays, anonymised, as history.
            log.info("forget-me kept a registration in %s: %s", code, err.key)
            continue
        result.sessions_left.append(code)
    result.deliveries_cancelled += await uow.outbox.cancel_pending(recipient=actor.user_id)
    result.deleted = await repo.delete_personal_rows(actor.user_id)
    tombstone = tombstone or new_tombstone()
    result.anonymised = await repo.replace_user_id(actor.user_id, tombstone)
    await repo.blur_times(tombstone, tz)
    # The request itself is the one thing kept under their id, with its time: never the tombstone,
    # and no count that the tombstone's rows would match (seats given up, registrations kept).
    await uow.audit.record(now, actor.user_id, FORGET_ME_ACTION, "ok", deleted=sum(result.deleted.values()))
    uow.wipe_freed_pages()
    return result


# --- retention ------------------------------------------------------------------------------


def material_retention_days(settings) -> int:
    """Days a published case keeps its material: JIREI_MATERIAL_RETENTION_DAYS (Settings, default 90)."""
    return settings.material_retention_days


async def delete_expired_materials(uow: UnitOfWork, now: datetime, retention_days: int) -> RetentionResult:
    """Delete the content of every material whose case was published `retention_days` ago or more."""
    result = RetentionResult()
    for material in await uow.privacy.materials_past_retention(now - timedelta(days=retention_days)):
        material.content_encrypted = material.filename_encrypted = None
        material.deleted_at = now
        result.materials.append(material.id)
        case_code = f"C{material.case_id}"
        if case_code not in result.cases:
            result.cases.append(case_code)
    for case_code in result.cases:
        await uow.audit.record(now, "system", "material.retention_delete", "ok", target=case_code,
                               retention_days=retention_days)
    return result
