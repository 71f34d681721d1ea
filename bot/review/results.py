"""What the Home tab and the yearly review are built from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.library.results import Shelf
from bot.people.results import Actor
from bot.sessions.results import SessionSummary
from bot.core.bureaus import bureau_label
from bot.core.i18n import t
from bot.surveys.report import MIN_CELL
from storage.models import Case, CaseSession, Coordinator, StudyGroup
from storage.outbox_repo import FailedDelivery


@dataclass(frozen=True)
class SessionRow:
    """A session as staff, lecturers and the secretariat see it: status and how full it is."""

    session: CaseSession
    case: Case | None
    seats_taken: int
    queued: int

    @property
    def fill_rate(self) -> float:
        return self.seats_taken / self.session.capacity if self.session.capacity else 0.0


@dataclass(frozen=True)
class MaterialToRead:
    session: CaseSession
    case: Case


@dataclass(frozen=True)
class SurveyToAnswer:
    code: str
    survey_id: str
    deadline_at: datetime
    # Begun (or paused) already: the Home tab's button goes on where the person stopped.
    started: bool = False


@dataclass(frozen=True)
class MyStudyGroup:
    group: StudyGroup
    members: int


@dataclass
class CoordinatorHome:
    sessions: list[SessionSummary]
    materials_to_read: list[MaterialToRead]
    surveys_to_answer: list[SurveyToAnswer]
    study_groups: list[MyStudyGroup]


@dataclass
class StaffHome:
    bureaus: tuple[str, ...]
    sessions: list[SessionRow]


@dataclass(frozen=True)
class MaterialVersion:
    """One uploaded version and where it stands in the anonymisation check."""

    kind: str
    version: int
    findings: int
    state: str  # clean | needs_confirmation | confirmed | deleted | link_unchecked | link_confirmed
    uploaded_at: datetime


@dataclass
class LecturerCase:
    case: Case
    materials: list[MaterialVersion]
    sessions: list[SessionRow]


@dataclass
class LecturerHome:
    cases: list[LecturerCase]
    # The requests to write a case addressed to this lecturer (bot/requests), by state.
    requests: list = field(default_factory=list)


@dataclass(frozen=True)
class BureauGlance:
    bureau: str
    by_status: dict[str, int]
    seats_taken: int
    capacity: int

    @property
    def fill_rate(self) -> float | None:
        return self.seats_taken / self.capacity if self.capacity else None

    @property
    def cancelled(self) -> int:
        return self.by_status.get("cancelled", 0)


@dataclass(frozen=True)
class SurveyRate:
    code: str
    survey_id: str
    status: str
    invited: int
    completed: int

    @property
    def rate(self) -> float | None:
        return self.completed / self.invited if self.invited else None


@dataclass(frozen=True)
class StudyGroupGlance:
    groups_by_status: dict[str, int]
    members: int
    self_run_planned: int
    self_run_held: int


@dataclass
class AdminHome:
    fiscal_year: int
    bureaus: list[BureauGlance]
    surveys: list[SurveyRate]
    study_groups: StudyGroupGlance
    failed: list[FailedDelivery]
    failed_total: int
    # Cases not yet on the portal, each with the bureaus that have held it and those to go.
    cases: list = field(default_factory=list)
    # The lecturer's requests (bot/requests), by state.
    requests: list = field(default_factory=list)


@dataclass
class HomeData:
    actor: Actor
    person: Coordinator | None
    coordinator: CoordinatorHome
    staff: StaffHome | None = None
    lecturer: LecturerHome | None = None
    admin: AdminHome | None = None
    library: Shelf | None = None  # あなたのテーマの事例


@dataclass
class Tally:
    """Official 事例検討会 of one bureau or theme (or all), and the substitute exchanges held."""

    key: str
    planned: int = 0
    held: int = 0
    cancelled: int = 0
    participants: int = 0
    attended: int = 0
    expected: int = 0  # seats held at sessions where attendance was taken
    exchanges: int = 0  # substitute 意見交換会 created for called-off sessions
    exchanges_held: int = 0
    exchange_participants: int = 0

    @property
    def attendance_rate(self) -> float | None:
        """Checked in / seats held, over the held sessions where attendance was taken."""
        return self.attended / self.expected if self.expected else None

    def add(self, item: CaseSession, by_status: dict[str, int]) -> None:
        attended, no_show, confirmed = (by_status.get(s, 0) for s in ("attended", "no_show", "confirmed"))
        # Without a check-in everyone with a seat counts as a participant (as in sessions.attendees).
        participants = attended if attended + no_show else confirmed
        if item.kind == "exchange":
            self.exchanges += 1
            if item.status == "held":
                self.exchanges_held += 1
                self.exchange_participants += participants
            return
        self.planned += 1
        self.cancelled += int(item.status == "cancelled")
        if item.status != "held":
            return
        self.held += 1
        self.participants += participants
        if attended + no_show:
            self.attended += attended
            self.expected += attended + no_show + confirmed


@dataclass(frozen=True)
class SurveySummary:
    code: str
    survey_id: str
    session_code: str | None
    status: str
    invited: int
    completed: int
    responses: int
    # Responses per bureau, only for bureaus with at least MIN_CELL; None when the run has fewer.
    by_bureau: dict[str, int] | None

    @property
    def response_rate(self) -> float | None:
        return self.completed / self.invited if self.invited else None


@dataclass
class StudyGroupTally:
    bureau: str
    groups: int = 0
    active: int = 0
    members: int = 0
    self_run_held: int = 0
    self_run_participants: int = 0


@dataclass
class YearReview:
    fiscal_year: int
    starts: datetime
    ends: datetime  # exclusive
    by_bureau: list[Tally]
    by_theme: list[Tally]
    total: Tally
    surveys: list[SurveySummary]
    study_groups: list[StudyGroupTally]
    study_total: StudyGroupTally = field(default_factory=lambda: StudyGroupTally("total"))


def breakdown_text(summary: SurveySummary, lang: str) -> str:
    """Who answered a survey, by bureau, or why that is not shown (too few in a cell)."""
    if summary.by_bureau is None:
        return t("home_tab.review.breakdown_suppressed", lang, min=MIN_CELL)
    parts = [f"{bureau_label(code, lang)} {n}" for code, n in summary.by_bureau.items()]
    return " / ".join(parts + [t("home_tab.review.breakdown_note", lang, min=MIN_CELL)])
