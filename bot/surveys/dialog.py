"""The survey dialog as a pure state machine: one question at a time.

Only ``Progress`` (the step and the answers so far) is stored; the questions are
data in the ``Survey``. Every transition takes the question the user acted on
and returns a NEW Progress with an ``Outcome``. Input that does not match the
current state — an answer to a question that is not the current one, a click
after the survey is done, an unknown or forged option — leaves the progress
unchanged with ``Outcome.IGNORED``; that is why a double click or a retried
Slack request can never count twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Union

from pydantic import BaseModel, ConfigDict, Field

from bot.surveys.definitions import Question, Survey

# An option id (single, scale5), the chosen option ids (multi), the text (text),
# or None when the question was skipped.
Answer = Union[str, list[str], None]

MAX_TEXT_LENGTH = 2000


class Progress(BaseModel):
    """Where one respondent is in one survey; JSON-serialisable for storage as one blob."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    step: int = Field(default=0, ge=0)
    answers: dict[str, Answer] = Field(default_factory=dict)
    done: bool = False
    # Set by the person's cancel: their DMs are no longer taken as answers until they come back
    # to the dialog (any button of it); the answers given so far are kept.
    paused: bool = False
    # The dialog message the bot posted (their DM channel and its ts): the only message the
    # dialog ever updates, whatever message a payload claims to come from.
    channel: str = ""
    message_ts: str = ""


class Outcome(StrEnum):
    RECORDED = "recorded"    # multi selection stored; still on the same question
    ADVANCED = "advanced"    # answered (or skipped); now on the next question
    DONE = "done"            # the last question was answered; the survey is complete
    WENT_BACK = "went_back"  # now on the previous question, its answer kept as default
    INVALID = "invalid"      # right question, unusable answer (see error_key); nothing changed
    IGNORED = "ignored"      # stale or forged input; nothing changed


@dataclass(frozen=True)
class Transition:
    progress: Progress
    outcome: Outcome
    # Catalog key explaining an INVALID outcome to the respondent.
    error_key: str | None = None

    @property
    def changed(self) -> bool:
        return self.outcome not in (Outcome.IGNORED, Outcome.INVALID)


ERROR_EMPTY_TEXT = "surveys.dialog.error.empty_text"
ERROR_TEXT_TOO_LONG = "surveys.dialog.error.text_too_long"
ERROR_CHOOSE_ONE = "surveys.dialog.error.choose_at_least_one"


def current_question(survey: Survey, progress: Progress) -> Question | None:
    """The question the respondent should answer now; None once the survey is done."""
    if progress.done or progress.step >= len(survey.questions):
        return None
    return survey.questions[progress.step]


def is_skippable(survey: Survey, progress: Progress) -> bool:
    question = current_question(survey, progress)
    return question is not None and question.is_optional(progress.answers)


def choose(survey: Survey, progress: Progress, question_id: str, option_id: str) -> Transition:
    """Answer a single-choice or scale5 question and move on."""
    question = _acting_on(survey, progress, question_id)
    if question is None or question.kind not in ("single", "scale5") or question.option(option_id) is None:
        return _ignored(progress)
    return _advance(survey, progress, question, option_id)


def set_multi(survey: Survey, progress: Progress, question_id: str, option_ids: list[str]) -> Transition:
    """Replace the selection of a multi question (Slack sends the whole set on every change)."""
    question = _acting_on(survey, progress, question_id)
    if (question is None or question.kind != "multi" or not isinstance(option_ids, (list, tuple))
            or not all(isinstance(o, str) for o in option_ids) or not set(option_ids) <= set(question.option_ids)):
        return _ignored(progress)
    chosen = set(option_ids)
    # Stored in the survey's option order so equal selections compare equal.
    selection = [option_id for option_id in question.option_ids if option_id in chosen]
    return Transition(_with_answer(progress, question.id, selection), Outcome.RECORDED)


def toggle(survey: Survey, progress: Progress, question_id: str, option_id: str) -> Transition:
    """Flip one option of a multi question (for surfaces that send one option per click)."""
    question = _acting_on(survey, progress, question_id)
    if question is None or question.kind != "multi" or question.option(option_id) is None:
        return _ignored(progress)
    current = progress.answers.get(question.id)
    selected = set(current) if isinstance(current, list) else set()
    selected ^= {option_id}
    return set_multi(survey, progress, question_id, sorted(selected))


def next_(survey: Survey, progress: Progress, question_id: str) -> Transition:
    """Confirm the answer already recorded for the current question (a multi selection,
    or a default kept after going back) and move on."""
    question = _acting_on(survey, progress, question_id)
    if question is None:
        return _ignored(progress)
    answer = progress.answers.get(question.id)
    if answer is None or answer == []:
        if question.is_optional(progress.answers):
            return _advance(survey, progress, question, None)
        error = ERROR_CHOOSE_ONE if question.kind != "text" else ERROR_EMPTY_TEXT
        return Transition(progress, Outcome.INVALID, error)
    return _advance(survey, progress, question, answer)


def answer_text(survey: Survey, progress: Progress, question_id: str, text: str) -> Transition:
    """Answer a free-text question (from the modal or a DM reply) and move on."""
    question = _acting_on(survey, progress, question_id)
    if question is None or question.kind != "text" or not isinstance(text, str):
        return _ignored(progress)
    trimmed = text.strip()
    if len(trimmed) > MAX_TEXT_LENGTH:
        # Rejected rather than cut: silently losing the end of someone's opinion is worse.
        return Transition(progress, Outcome.INVALID, ERROR_TEXT_TOO_LONG)
    if not trimmed:
        if question.is_optional(progress.answers):
            return _advance(survey, progress, question, None)
        return Transition(progress, Outcome.INVALID, ERROR_EMPTY_TEXT)
    return _advance(survey, progress, question, trimmed)


def skip(survey: Survey, progress: Progress, question_id: str) -> Transition:
    """Leave an optional question unanswered and move on."""
    question = _acting_on(survey, progress, question_id)
    if question is None or not question.is_optional(progress.answers):
        return _ignored(progress)
    return _advance(survey, progress, question, None)


def back(survey: Survey, progress: Progress, question_id: str) -> Transition:
    """Return to the previous question; its answer stays as the default."""
    question = _acting_on(survey, progress, question_id)
    if question is None or progress.step == 0:
        return _ignored(progress)
    return Transition(progress.model_copy(update={"step": progress.step - 1}), Outcome.WENT_BACK)


def final_answers(survey: Survey, progress: Progress) -> dict[str, Answer]:
    """Every question's answer in survey order (None when skipped), ready for storage."""
    return {question.id: _copy(progress.answers.get(question.id)) for question in survey.questions}


def _acting_on(survey: Survey, progress: Progress, question_id: str) -> Question | None:
    question = current_question(survey, progress)
    if question is None or question.id != question_id:
        return None
    return question


def _advance(survey: Survey, progress: Progress, question: Question, answer: Answer) -> Transition:
    answered = _with_answer(progress, question.id, answer)
    next_step = progress.step + 1
    if next_step >= len(survey.questions):
        return Transition(answered.model_copy(update={"step": len(survey.questions), "done": True}), Outcome.DONE)
    return Transition(answered.model_copy(update={"step": next_step}), Outcome.ADVANCED)


def _with_answer(progress: Progress, question_id: str, answer: Answer) -> Progress:
    answers = {key: _copy(value) for key, value in progress.answers.items()}
    answers[question_id] = _copy(answer)
    return progress.model_copy(update={"answers": answers})


def _copy(answer: Answer) -> Answer:
    # Lists are copied so no two Progress objects share a mutable answer.
    return list(answer) if isinstance(answer, list) else answer


def _ignored(progress: Progress) -> Transition:
    return Transition(progress, Outcome.IGNORED)
