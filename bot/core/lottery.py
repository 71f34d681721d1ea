"""The lottery for sessions with more applicants than seats.

The rule, as shown to the secretariat:

1. **First-timers first.** Everyone who has never attended a case study meeting (0 previous
   attendances) is drawn before anyone who has attended before. Seats go to first-timers until
   they run out; only then are people who attended before drawn.
2. **A random order inside each group, that anyone can check.** Each applicant gets a ticket:
   the SHA-256 hash (hexadecimal) of the lottery seed followed directly by their Slack user id,
   ``sha256((seed + user_id).encode("utf-8"))``. Within each group, tickets are sorted from the
   smallest to the largest; that is the draw order. Neither the moment of applying (any time
   before the deadline) nor the exact number of past attendances changes anyone's place; only
   whether that number is zero counts.
3. **The seed is fixed in advance and recorded.** The caller chooses it from facts known to
   everyone, e.g. the session code and its application deadline (``"S3|2026-06-01T17:00+09:00"``),
   and writes it in the audit log. With the seed and the list of applicants, anyone can
   recompute every ticket and get the same result.
4. **The waitlist continues the same order.** The first ``capacity`` people in the draw order
   win a seat; everyone after them is waitlisted in that order and promoted in that order when
   a seat frees up.

``LotteryResult.trace`` holds, for every applicant in draw order, their position, tier, ticket
and outcome, so the audit log can show exactly how the result came about.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Tier(StrEnum):
    FIRST_TIME = "first_time"
    RETURNING = "returning"


class Outcome(StrEnum):
    WON = "won"
    WAITLISTED = "waitlisted"


@dataclass(frozen=True)
class Applicant:
    user_id: str
    applied_at: datetime
    previous_attendances: int


@dataclass(frozen=True)
class LotteryResult:
    winners: list[str]
    waitlist: list[str]
    # One entry per applicant in draw order: position (1-based), user_id, tier,
    # previous_attendances, applied_at (ISO 8601), ticket (hex SHA-256) and outcome.
    trace: list[dict]


def ticket(seed: str, user_id: str) -> str:
    """The applicant's lottery ticket: hex SHA-256 of the seed followed by the user id."""
    return hashlib.sha256((seed + user_id).encode("utf-8")).hexdigest()


def tier_of(applicant: Applicant) -> Tier:
    return Tier.FIRST_TIME if applicant.previous_attendances == 0 else Tier.RETURNING


_TIER_RANK = {Tier.FIRST_TIME: 0, Tier.RETURNING: 1}


def draw(applicants: Sequence[Applicant], capacity: int, seed: str) -> LotteryResult:
    """Draw ``capacity`` winners and order the waitlist, following the module's rule."""
    if capacity < 0:
        raise ValueError(f"capacity must not be negative, got {capacity}")
    user_ids = [a.user_id for a in applicants]
    if len(set(user_ids)) != len(user_ids):
        raise ValueError("each applicant may apply only once")
    if any(a.previous_attendances < 0 for a in applicants):
        raise ValueError("previous_attendances must not be negative")

    tickets = {a.user_id: ticket(seed, a.user_id) for a in applicants}
    # The user id breaks a (practically impossible) hash tie so the order is always total.
    draw_order = sorted(applicants, key=lambda a: (_TIER_RANK[tier_of(a)], tickets[a.user_id], a.user_id))

    trace = [
        {
            "position": position,
            "user_id": applicant.user_id,
            "tier": str(tier_of(applicant)),
            "previous_attendances": applicant.previous_attendances,
            "applied_at": applicant.applied_at.isoformat(),
            "ticket": tickets[applicant.user_id],
            "outcome": str(Outcome.WON if position <= capacity else Outcome.WAITLISTED),
        }
        for position, applicant in enumerate(draw_order, start=1)
    ]
    return LotteryResult(
        winners=[a.user_id for a in draw_order[:capacity]],
        waitlist=[a.user_id for a in draw_order[capacity:]],
        trace=trace,
    )
