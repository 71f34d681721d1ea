"""What the date-poll service returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.study_groups.results import ProposeResult
from storage.models import CaseSession, DatePoll, DatePollSlot, StudyGroup

ANSWERS = ("yes", "maybe", "no")  # ○ △ ×
TITLE_MAX = 24  # about eight Japanese characters of heading, and room for a date beside it
NOTE_MAX = 500
MIN_SLOTS, MAX_SLOTS = 2, 10


@dataclass(frozen=True)
class PollDraft:
    """A valid poll form: a title, the group's code, 2–10 slots (future, distinct, in order), a note."""

    title: str
    group_code: str
    starts: tuple[datetime, ...]
    note: str = ""


@dataclass
class SlotLine:
    slot: DatePollSlot
    yes: list[str] = field(default_factory=list)
    maybe: list[str] = field(default_factory=list)
    no: list[str] = field(default_factory=list)

    @property
    def score(self) -> tuple[int, int, int]:
        """More ○ first, then more △, then fewer ×."""
        return (len(self.yes), len(self.maybe), -len(self.no))


@dataclass
class PollTable:
    poll: DatePoll
    group: StudyGroup | None
    lines: list[SlotLine]
    members: list[str]
    best_slot_id: int | None  # None until someone answered ○ or △

    @property
    def unanswered(self) -> list[str]:
        answered = {u for line in self.lines for u in (*line.yes, *line.maybe, *line.no)}
        return [m for m in self.members if m not in answered]

    def answers_of(self, user_id: str) -> dict[int, str]:
        """slot id → the person's ○ △ × (yes, maybe, no) where they answered."""
        return {line.slot.id: choice for line in self.lines for choice in ANSWERS
                if user_id in getattr(line, choice)}

    def line(self, slot_id: int | None) -> SlotLine | None:
        return next((line for line in self.lines if line.slot.id == slot_id), None)


@dataclass
class PollClosed:
    poll: DatePoll
    slot: DatePollSlot
    session: CaseSession | None  # the self-run session, when the organiser chose one
    proposal: ProposeResult | None = None  # its proposal (case, group, invited), told to the organiser
