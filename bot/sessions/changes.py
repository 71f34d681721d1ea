"""What a session's changes owe people (rules only: no Slack, no SQL).

- Each change has its own id, so a second `admin session edit` reaches every registrant again, even
  when the clock has not moved; the notice carries what changed, before → after (sealed: a place or
  a URL is free text the staff wrote).
- The posts already out about a session (the announcement in the channel, the invitation DMs) are
  updated in place (chat.update, through the outbox) after an edit or a cancellation; the
  announcement shows the seats left, refreshed after joins and leaves at most once per
  SEATS_WINDOW per session, so a burst of joins stays within chat.update's rate.
- A roster that changes after the deadline is told to the facilitator.
- `admin message S1 …`: a message from the staff to every registrant.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

from bot.delivery import outbox
from bot.delivery.kinds import DeliveryKind
from storage.models import CaseSession
from storage.uow import UnitOfWork

SEATS_WINDOW = timedelta(seconds=20)
# Who a change or a message concerns: everyone still registered.
REGISTERED = ("confirmed", "waitlisted", "applied", "attended")
MAX_MESSAGE_CHARS = 2000


def change_id() -> str:
    """One change (an edit, a message, a roster change): the part of the dedupe key that makes each
    change reach people once, however close together two changes come."""
    return uuid.uuid4().hex[:16]


def announcement_key(code: str) -> str:
    return f"announce:{code}"


def invitation_key(code: str, user_id: str) -> str:
    return f"invite:{code}:{user_id}"


# --- before → after -----------------------------------------------------------------------------


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    return value


def seal_changes(uow: UnitOfWork, before: dict[str, object], after: dict[str, object]) -> str:
    """{field: [before, after]} as ciphertext for the payload (times as UTC ISO strings)."""
    pairs = {name: [_plain(before[name]), _plain(after[name])] for name in after}
    return uow.cipher.encrypt(json.dumps(pairs, ensure_ascii=False).encode()).decode()


def open_changes(uow: UnitOfWork, token: str | None) -> dict[str, tuple[object, object]]:
    if not token:
        return {}
    pairs = json.loads(uow.cipher.decrypt(token.encode()).decode())
    return {str(name): (pair[0], pair[1]) for name, pair in pairs.items()}


async def tell_registrants_of_edit(uow: UnitOfWork, now: datetime, item: CaseSession, changed: list[str],
                                   before: dict[str, object], after: dict[str, object]) -> int:
    """Every registrant hears of this change once (its own change id), with before → after."""
    change = change_id()
    sealed = seal_changes(uow, {k: before[k] for k in changed}, {k: after[k] for k in changed})
    told = 0
    for reg in await uow.registrations.for_session(item.id, "confirmed", "waitlisted", "applied"):
        told += await outbox.enqueue(uow, kind=DeliveryKind.SESSION_CHANGED, recipient=reg.user_id, due_at=now,
                                     dedupe_key=f"changed:{item.code}:{change}:{reg.user_id}", now=now,
                                     payload={"session_id": item.id, "changed": changed, "change": change,
                                              "changes_encrypted": sealed}, session_id=item.id)
    await refresh_posts(uow, now, item, change)
    return told


# --- posts updated in place ---------------------------------------------------------------------


async def refresh_posts(uow: UnitOfWork, now: datetime, item: CaseSession, change: str) -> int:
    """The announcement and the invitations already posted are brought up to date in place."""
    refreshed = 0
    posts = (DeliveryKind.SESSION_ANNOUNCEMENT, DeliveryKind.SESSION_INVITATION)
    for post in await uow.outbox.posted_for_session(item.id, posts):
        refreshed += await outbox.enqueue(uow, kind=DeliveryKind.SESSION_POST_REFRESH, recipient=post.recipient,
                                          due_at=now,
                                          dedupe_key=f"refresh:{post.id}:{change}", now=now,
                                          payload={"session_id": item.id, "post_id": post.id}, session_id=item.id)
    return refreshed


async def seats_changed(uow: UnitOfWork, now: datetime, item: CaseSession) -> None:
    """Someone joined or left: the announcement's seats are refreshed at the end of this window (one
    update per window, however many join; rendered then, so it shows the count of that moment)."""
    if item.kind == "self_run" or item.announced_at is None:
        return
    post = (await uow.outbox.by_dedupe_keys([announcement_key(item.code)])).get(announcement_key(item.code))
    if post is None or post.status in ("failed", "skipped", "cancelled"):
        return
    window = int(SEATS_WINDOW.total_seconds())
    bucket = int(now.timestamp()) // window
    due = datetime.fromtimestamp((bucket + 1) * window, tz=timezone.utc)
    await outbox.enqueue(uow, kind=DeliveryKind.SESSION_POST_REFRESH, recipient=post.recipient, due_at=due,
                         dedupe_key=f"seats:{item.code}:{bucket}", now=now,
                         payload={"session_id": item.id, "post_id": post.id}, session_id=item.id)


# --- the roster after the deadline --------------------------------------------------------------


async def roster_changed(uow: UnitOfWork, now: datetime, item: CaseSession, user_id: str, change: str) -> None:
    """After the deadline the facilitator has the groups: a join, a leave or a promotion is news.
    `change`: joined | waitlisted | left | promoted."""
    if item.status != "confirmed" or not item.facilitator_user_id or item.facilitator_user_id == user_id:
        return
    await outbox.enqueue(uow, kind=DeliveryKind.FACILITATOR_ROSTER_CHANGED, recipient=item.facilitator_user_id,
                         due_at=now,
                         dedupe_key=f"roster:{item.code}:{change_id()}", now=now,
                         payload={"session_id": item.id, "user_id": user_id, "change": change}, session_id=item.id)


# --- a message from the staff -------------------------------------------------------------------


async def message_registrants(uow: UnitOfWork, now: datetime, item: CaseSession, sender: str, text: str) -> int:
    """The staff's text (sealed: free text) to every registrant, once each; how many it goes to."""
    message = change_id()
    sealed = uow.cipher.encrypt(text.encode()).decode()
    sent = 0
    for reg in await uow.registrations.for_session(item.id, *REGISTERED):
        sent += await outbox.enqueue(uow, kind=DeliveryKind.SESSION_MESSAGE, recipient=reg.user_id, due_at=now,
                                     dedupe_key=f"message:{item.code}:{message}:{reg.user_id}", now=now,
                                     payload={"session_id": item.id, "sender": sender, "text_encrypted": sealed},
                                     session_id=item.id)
    return sent
