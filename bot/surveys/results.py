"""What the survey services return."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from bot.surveys.definitions import Survey
from bot.surveys.dialog import Outcome, Progress
from bot.surveys.report import SurveyReport
from storage.models import SurveyRun

POST_SESSION_SURVEY = "post_session"  # the survey sent after each session (config/surveys/)


@dataclass(frozen=True)
class RunStarted:
    run: SurveyRun
    invited: int
    batch_id: int | None


class DialogStatus(StrEnum):
    ANSWERING = "answering"
    COMPLETED = "completed"   # this person's response is stored (now, or earlier)
    CLOSED = "closed"         # past the run's deadline


StepKind = Literal["choose", "multi", "toggle", "next", "skip", "back", "text"]


@dataclass(frozen=True)
class Step:
    """One input from the respondent, already parsed from Slack; identity is not part of it."""

    kind: StepKind
    question_id: str
    option_id: str = ""
    # For "multi" (the whole selection) and for "next" when the message's state carries it.
    option_ids: tuple[str, ...] | None = None
    text: str = ""


@dataclass(frozen=True)
class DialogState:
    run_code: str
    survey: Survey
    status: DialogStatus
    progress: Progress = field(default_factory=Progress)
    outcome: Outcome | None = None
    error_key: str | None = None

    @property
    def answering(self) -> bool:
        return self.status is DialogStatus.ANSWERING


@dataclass(frozen=True)
class SessionMerge:
    """Where a small session's answers are counted instead (report.MERGED_BUREAU or MERGED_TOTAL)."""

    fiscal_year: int
    shown: str
    bureau: str | None


@dataclass(frozen=True)
class RunReport:
    run: SurveyRun
    survey: Survey
    report: SurveyReport
    # Per bureau, from the responses that carry one; each suppressed on its own under MIN_CELL.
    by_bureau: dict[str, SurveyReport]
    # A session with fewer than MIN_CELL responses: where its answers count (None otherwise).
    merge: SessionMerge | None = None
