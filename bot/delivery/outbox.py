"""Enqueueing, cancelling and moving deliveries. Runs inside the caller's unit of work."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update

from storage.models import Delivery
from storage.repositories import insert_unless_present
from storage.uow import UnitOfWork


def pending_delivery(
    *,
    kind: str,
    recipient: str,
    due_at: datetime,
    dedupe_key: str,
    now: datetime,
    payload: dict | None = None,
    session_id: int | None = None,
    batch_id: int | None = None,
    grace_seconds: int | None = None,
) -> dict:
    """The row of a delivery waiting to be sent, for `enqueue_many`.

    `payload` is a reference (codes and ids), never personal text: the renderer builds the
    message from the database at send time.
    """
    return dict(
        kind=kind, recipient=recipient, due_at=due_at, dedupe_key=dedupe_key, payload=payload or {},
        status="pending", attempts=0, session_id=session_id, batch_id=batch_id,
        grace_seconds=grace_seconds, created_at=now, outcome_unknown=False,
    )


async def enqueue(uow: UnitOfWork, **delivery: Any) -> bool:
    """Add a delivery (the fields of `pending_delivery`) unless one with the same dedupe key
    exists. True when added."""
    return bool(await enqueue_many(uow, [pending_delivery(**delivery)]))


async def enqueue_many(uow: UnitOfWork, rows: list[dict]) -> int:
    """Add deliveries (`pending_delivery` rows) in one statement, skipping any whose dedupe key
    exists. How many were added."""
    if not rows:
        return 0
    statement = insert_unless_present(uow.session, Delivery.__table__, ["dedupe_key"]).returning(Delivery.id)
    return len((await uow.session.execute(statement, rows)).all())


async def cancel_pending(uow: UnitOfWork, *, session_id: int | None = None, kinds: tuple[str, ...] = (),
                         recipient: str | None = None, key_prefix: str | None = None) -> int:
    """Drop deliveries that are no longer owed (a session cancelled, a person left)."""
    statement = update(Delivery).where(Delivery.status == "pending")
    if session_id is not None:
        statement = statement.where(Delivery.session_id == session_id)
    if kinds:
        statement = statement.where(Delivery.kind.in_(kinds))
    if recipient is not None:
        statement = statement.where(Delivery.recipient == recipient)
    if key_prefix is not None:
        statement = statement.where(Delivery.dedupe_key.startswith(key_prefix, autoescape=True))
    result = await uow.session.execute(statement.values(status="cancelled"))
    return result.rowcount or 0

