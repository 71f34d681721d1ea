"""Enqueueing deliveries: the row of what is owed, added inside the caller's unit of work (the SQL is
`uow.outbox`'s, storage/outbox_repo.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

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
    """The row of a delivery waiting to be sent, for `uow.outbox.add_unless_present`.

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
    return bool(await uow.outbox.add_unless_present([pending_delivery(**delivery)]))
