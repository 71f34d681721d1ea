"""What the study-group services return."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from storage.models import Case, CaseSession, StudyGroup

# The longest title and place a self-run session may be proposed with.
TITLE_MAX = 100
PLACE_MAX = 150


MIN_GROUP, MAX_GROUP = 3, 6  # people in a study group


@dataclass
class MatchingReport:
    eligible: int = 0
    group_codes: list[str] = field(default_factory=list)
    nudged: int = 0
    nudges_due_at: datetime | None = None
    unmatched: Counter = field(default_factory=Counter)
    told: int = 0
    closed_groups: int = 0


@dataclass
class NudgeAnswer:
    outcome: str  # accepted | later | stopped | already_accepted | already_stopped | closed
    group_code: str
    accepted: int = 0
    needed: int = MIN_GROUP


@dataclass(frozen=True)
class Proposal:
    title: str
    theme: str
    place: str | None  # None: online
    start: datetime
    capacity: int
    url: str | None = None  # the meeting URL (online, or for those joining from afar)


@dataclass
class ProposeResult:
    session: CaseSession
    group: StudyGroup | None
    invited: int
    case: Case  # where the proposer's material goes (the same check and pledge-gated release)


@dataclass
class GroupLine:
    group: StudyGroup
    accepted: int
    needed: int = MIN_GROUP


@dataclass
class ProposalLine:
    session: CaseSession
    confirmed: int
    my_status: str | None


@dataclass
class GroupsOverview:
    groups: list[GroupLine]
    proposals: list[ProposalLine]
