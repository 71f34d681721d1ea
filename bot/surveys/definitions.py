"""Surveys as data: pydantic models for the YAML files under config/surveys/.

A survey is a list of questions; the dialog, the tally and every rendering read
these models and never hard-code a question. Validation happens once, at load,
so the rest of the code can trust ids and option lists.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SURVEYS_DIR = Path(__file__).resolve().parents[2] / "config" / "surveys"

# Ids travel inside Slack button values ("run|question|option"), so they must be short,
# plain and free of the separator.
_ID_PATTERN = re.compile(r"^[a-z0-9_]{1,40}$")
# Slack's checkboxes and radio_buttons hold at most 10 options.
MAX_OPTIONS = 10
SCALE_POINTS = ("1", "2", "3", "4", "5")

QuestionKind = Literal["single", "multi", "scale5", "text"]
CHOICE_KINDS = frozenset({"single", "multi", "scale5"})


class SurveyDefinitionError(ValueError):
    pass


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Localized(_Frozen):
    ja: str
    en: str

    def get(self, lang: str | None) -> str:
        return self.en if lang == "en" and self.en else self.ja


class Option(_Frozen):
    id: str
    label: Localized

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: object) -> object:
        # YAML reads a bare 1 as an int; scale points and similar ids are strings here.
        return str(value) if isinstance(value, int) else value


class Condition(_Frozen):
    """True when an earlier question was answered with one of ``answers``."""

    question: str
    answers: tuple[str, ...]

    def holds(self, answers: dict[str, object]) -> bool:
        given = answers.get(self.question)
        if isinstance(given, list):
            return any(choice in self.answers for choice in given)
        return given in self.answers


class Question(_Frozen):
    id: str
    kind: QuestionKind
    text: Localized
    options: tuple[Option, ...] = ()
    optional: bool = False
    # The question may be skipped when this holds (see planning.yaml for why it exists).
    optional_if: Condition | None = None
    note: Localized | None = None
    # End labels of a scale5 question (1 = low, 5 = high).
    low: Localized | None = None
    high: Localized | None = None

    @model_validator(mode="before")
    @classmethod
    def _default_scale(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("kind") == "scale5" and not data.get("options"):
            return {**data, "options": [{"id": p, "label": {"ja": p, "en": p}} for p in SCALE_POINTS]}
        return data

    @model_validator(mode="after")
    def _check_options(self) -> Question:
        if self.kind == "scale5" and tuple(o.id for o in self.options) != SCALE_POINTS:
            raise ValueError(f"question {self.id!r}: scale5 options must be 1..5")
        if self.kind in ("single", "multi") and not 2 <= len(self.options) <= MAX_OPTIONS:
            raise ValueError(f"question {self.id!r}: {self.kind} needs 2..{MAX_OPTIONS} options")
        if self.kind == "text" and self.options:
            raise ValueError(f"question {self.id!r}: a text question has no options")
        ids = [o.id for o in self.options]
        if len(set(ids)) != len(ids):
            raise ValueError(f"question {self.id!r}: option ids repeat")
        for lang in ("ja", "en"):
            labels = [o.label.get(lang) for o in self.options]
            if len(set(labels)) != len(labels):
                # Exports key counts by label, so a repeated label would merge two options.
                raise ValueError(f"question {self.id!r}: {lang} option labels repeat")
        bad = [i for i in [self.id, *ids] if not _ID_PATTERN.match(i)]
        if bad:
            raise ValueError(f"question {self.id!r}: ids must match [a-z0-9_]: {bad}")
        return self

    @property
    def option_ids(self) -> tuple[str, ...]:
        return tuple(o.id for o in self.options)

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)

    def is_optional(self, answers: dict[str, object]) -> bool:
        """Whether this question may be skipped, given the answers so far."""
        return self.optional or (self.optional_if is not None and self.optional_if.holds(answers))


class Survey(_Frozen):
    id: str
    title: Localized
    intro: Localized
    questions: tuple[Question, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_questions(self) -> Survey:
        seen: dict[str, Question] = {}
        for question in self.questions:
            if question.id in seen:
                raise ValueError(f"survey {self.id!r}: question id {question.id!r} repeats")
            condition = question.optional_if
            if condition is not None:
                earlier = seen.get(condition.question)
                # Conditions may only look back: the dialog asks questions in order.
                if earlier is None or earlier.kind not in CHOICE_KINDS:
                    raise ValueError(f"question {question.id!r}: optional_if must name an earlier choice question")
                unknown = set(condition.answers) - set(earlier.option_ids)
                if unknown:
                    raise ValueError(f"question {question.id!r}: optional_if names unknown options {sorted(unknown)}")
            seen[question.id] = question
        return self

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)



def parse_survey(data: dict) -> Survey:
    """Validate a survey given as plain data (what a YAML file holds)."""
    try:
        return Survey.model_validate(data)
    except ValueError as error:
        raise SurveyDefinitionError(str(error)) from error


@lru_cache(maxsize=None)
def load_survey(survey_id: str) -> Survey:
    """The survey defined in config/surveys/<survey_id>.yaml, validated once and cached."""
    if not _ID_PATTERN.match(survey_id):
        raise SurveyDefinitionError(f"invalid survey id {survey_id!r}")
    path = SURVEYS_DIR / f"{survey_id}.yaml"
    if not path.is_file():
        raise SurveyDefinitionError(f"no survey {survey_id!r}")
    survey = parse_survey(yaml.safe_load(path.read_text(encoding="utf-8")))
    if survey.id != survey_id:
        raise SurveyDefinitionError(f"{path.name} declares id {survey.id!r}")
    return survey


def list_surveys() -> list[str]:
    """Ids of every survey shipped in config/surveys/, sorted."""
    return sorted(path.stem for path in SURVEYS_DIR.glob("*.yaml"))


def survey_title(survey_id: str, lang: str) -> str:
    """A survey's title in `lang`; its id when the definition is gone."""
    try:
        return load_survey(survey_id).title.get(lang)
    except SurveyDefinitionError:
        return survey_id  # a run of a survey whose definition was removed: its id still says which
