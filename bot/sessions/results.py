"""What the session services return."""

from __future__ import annotations

from dataclasses import dataclass, field

from storage.models import Case, CaseSession


@dataclass
class EditResult:
    session: CaseSession
    changed: list[str]  # SessionSpec field names, in EDITABLE's order
    told: int  # registrants told of the change


@dataclass
class CancelResult:
    session: CaseSession
    told: int


@dataclass
class AnnounceResult:
    session: CaseSession
    invited: int
    channel_posted: bool
    batch_id: int | None
    again: bool = False  # announced before: only those not yet invited were invited now


@dataclass
class SessionSummary:
    session: CaseSession
    case: Case | None
    confirmed: int
    waitlisted: int
    my_status: str | None
    my_position: int | None = None  # the person's place on the waitlist, where it was looked up


@dataclass
class SessionPage:
    summaries: list[SessionSummary]
    total: int  # open sessions in all; the page holds the first few


@dataclass
class JoinResult:
    outcome: str  # confirmed | waitlisted | applied | already | elsewhere (asked to confirm; nothing done)
    session: CaseSession
    position: int | None = None  # place on the waitlist
    status: str | None = None
    home_bureau: str | None = None  # the person's own bureau, for "elsewhere"


@dataclass
class LeaveResult:
    session: CaseSession
    previous_status: str
    promoted: str | None


@dataclass
class Decision:
    session: CaseSession
    outcome: str  # confirmed | cancelled
    participants: int
    groups: list[list[str]] = field(default_factory=list)
    substitute: CaseSession | None = None


@dataclass
class AttendResult:
    session: CaseSession
    marked: list[str]
    # Among `marked`: people who came without a confirmed seat (waitlisted, not drawn, withdrawn,
    # or never registered); they are recorded as attended all the same.
    walk_ins: list[str]
    already: list[str] = field(default_factory=list)  # checked in before: nothing recorded again
    forgotten: list[str] = field(default_factory=list)  # asked to be forgotten: nothing recorded


@dataclass
class UndoResult:
    session: CaseSession
    user_id: str
    status: str  # what the registration is now: what the check-in replaced (cancelled for someone who only walked in)
    undone: bool  # False: the person was not checked in


@dataclass
class MessageResult:
    session: CaseSession
    sent: int  # registrants the message goes to


@dataclass
class RosterLine:
    user_id: str
    name: str | None
    affiliation: str | None
    status: str
    group_no: int | None
    read_material: bool
    pledged: bool


@dataclass
class Roster:
    session: CaseSession
    case: Case | None
    lines: list[RosterLine]
