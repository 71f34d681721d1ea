"""What a session is made of and the rules its fields obey: one model for `admin session new`, the
session form, the plan file (and the study groups' proposals).

    spec = SessionSpec(case="C1", bureau="tokyo", start=..., minutes=120, capacity=30, ...)

A broken rule raises `SpecError`, a Refusal that names its field: the command answers it, the form
shows it under that field, the plan file names the column. A field's own rule (a known bureau, a
format, an https:// link) holds when the spec is made; `check(now)` applies the rules between fields
and against the moment, when the session is created or edited (`bot.sessions.service`).
"""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, field_validator

from bot.core.refusal import Refusal
from config.reference import find_bureau

FORMATS = ("hybrid", "online", "in_person")
MIN_MINUTES, MAX_MINUTES = 30, 480
MAX_CAPACITY = 1000
ONLINE = "online"  # the bureau of a session nobody meets for in person
HTTPS_URL = re.compile(r"^https://[^\s<>|]{3,1990}$")


class SpecError(Refusal):
    """A session field breaks a rule: `field` names it (case, bureau, start, minutes, capacity, min…)."""

    def __init__(self, field_name: str, key: str, **params: object) -> None:
        super().__init__(key, **params)
        self.field = field_name


class SessionSpec(BaseModel):
    model_config = ConfigDict(frozen=True)

    case: str | None
    bureau: str
    start: datetime
    minutes: int
    capacity: int
    min_participants: int
    deadline: datetime
    release: datetime | None
    format: str = "hybrid"
    facilitator: str | None = None
    url: str | None = None
    lottery: bool = False
    kind: str = "official"
    title: str | None = None
    theme: str | None = None
    place: str | None = None
    study_group_id: int | None = None

    @field_validator("bureau")
    @classmethod
    def _known_bureau(cls, bureau: str) -> str:
        if bureau != ONLINE and find_bureau(bureau) is None:
            raise SpecError("bureau", "sessions.error.unknown_bureau", bureau=bureau)
        return bureau

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value not in FORMATS:
            raise SpecError("format", "usage.bad_format", value=value[:20])
        return value

    @field_validator("url")
    @classmethod
    def _https(cls, url: str | None) -> str | None:
        if url is not None and not HTTPS_URL.match(url):
            raise SpecError("url", "usage.bad_url")
        return url

    def check(self, now: datetime, *, decided: bool = False) -> None:
        """The rules between fields and against the moment; the first one broken is reported. A
        `decided` session's deadline has passed by design, so only the rules about what is still to
        come apply."""
        if self.start <= now:
            raise SpecError("start", "sessions.error.start_in_past")
        if self.deadline <= now and not decided:
            raise SpecError("deadline", "sessions.error.deadline_in_past")
        if self.deadline >= self.start:
            raise SpecError("deadline", "sessions.error.deadline_after_start")
        if self.release is not None and self.release > self.start:
            raise SpecError("release", "sessions.error.release_after_start")
        if not MIN_MINUTES <= self.minutes <= MAX_MINUTES:
            raise SpecError("minutes", "sessions.error.minutes", low=MIN_MINUTES, high=MAX_MINUTES)
        if self.min_participants < 1:
            raise SpecError("min", "sessions.error.minimum")
        if self.capacity < self.min_participants:
            raise SpecError("capacity", "sessions.error.capacity_below_minimum")
        if self.capacity > MAX_CAPACITY:
            raise SpecError("capacity", "sessions.error.capacity_too_large")
