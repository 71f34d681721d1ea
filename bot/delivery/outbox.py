"""Enqueueing, cancelling and moving deliveries. Runs inside the caller's unit of work."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from storage.models import Delivery
from storage.repositories import insert_unless_present
from storage.uow import UnitOfWork


async def enqueue(
    uow: UnitOfWork,
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
) -> bool:
    """Add a delivery unless one with the same dedupe key exists. True when added.

    `payload` is a reference (codes and ids), never personal text: the renderer builds the
    message from the database at send time.
    """
    values = dict(
        kind=kind, recipient=recipient, due_at=due_at, dedupe_key=dedupe_key, payload=payload or {},
        status="pending", attempts=0, session_id=session_id, batch_id=batch_id,
        grace_seconds=grace_seconds, created_at=now, outcome_unknown=False,
    )
    statement = insert_unless_present(uow.session, Delivery.__table__, ["dedupe_key"], **values)
    result = await uow.session.execute(statement)
    return bool(result.rowcount)


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

