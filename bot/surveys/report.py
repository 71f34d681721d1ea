"""Tallying survey responses and rendering them in the seed's form (問 / 回答 / 回答数).

Responses are plain ``{question_id: Answer}`` dicts, already anonymous. Small
groups are suppressed: with fewer than ``MIN_CELL`` respondents a count can point
at a person, so such reports (and questions answered by fewer people) show no
counts and no free text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.core.i18n import t
from bot.surveys.definitions import Question, Survey

MIN_CELL = 5
# The respondent's bureau, kept inside the encrypted response (never beside it in clear: a plain
# bureau next to a response, with the roster, names whose it is when a batch has one person of a
# bureau). No question id can take this key (ids are [a-z0-9_]).
RESPONSE_BUREAU_KEY = "@bureau"


def response_bureau(document: dict, stored_bureau: str | None) -> tuple[dict, str | None]:
    """(the answers, the respondent's bureau) of a decrypted response. `stored_bureau` is the
    clear column that responses written before the batches carried (None since)."""
    answers = dict(document)
    bureau = answers.pop(RESPONSE_BUREAU_KEY, None)
    return answers, stored_bureau or bureau


@dataclass(frozen=True)
class QuestionResult:
    question_id: str
    kind: str
    # How many respondents answered this question (a multi answer counts once).
    responses: int
    # option id -> count, in the survey's option order, zeros kept; empty when suppressed or text.
    counts: dict[str, int]
    # Free-text answers (text questions), sorted so their order says nothing about who sent them.
    answers: tuple[str, ...]
    suppressed: bool
    # Mean of a scale5 question; None otherwise or when suppressed.
    mean: float | None = None


@dataclass(frozen=True)
class SurveyReport:
    survey_id: str
    invited: int
    respondents: int
    suppressed: bool
    questions: tuple[QuestionResult, ...]

    def question(self, question_id: str) -> QuestionResult:
        return next(q for q in self.questions if q.question_id == question_id)


class _Counter:
    """Accumulates one question's answers; built once per tally so the loop does no lookups
    into the survey."""

    __slots__ = ("question", "valid", "counts", "responses", "texts")

    def __init__(self, question: Question) -> None:
        self.question = question
        self.valid = frozenset(question.option_ids)
        self.counts = dict.fromkeys(question.option_ids, 0)
        self.responses = 0
        self.texts: list[str] = []

    def add(self, answer: object) -> None:
        kind = self.question.kind
        if kind == "multi":
            if isinstance(answer, list):
                chosen = self.valid.intersection(answer)
                if chosen:
                    self.responses += 1
                    for option_id in chosen:
                        self.counts[option_id] += 1
        elif kind == "text":
            if isinstance(answer, str) and answer.strip():
                self.responses += 1
                self.texts.append(answer.strip())
        elif isinstance(answer, str) and answer in self.valid:
            self.responses += 1
            self.counts[answer] += 1

    def result(self, report_suppressed: bool) -> QuestionResult:
        suppressed = report_suppressed or self.responses < MIN_CELL
        is_text = self.question.kind == "text"
        mean = None
        if self.question.kind == "scale5" and not suppressed:
            mean = sum(int(point) * n for point, n in self.counts.items()) / self.responses
        return QuestionResult(
            question_id=self.question.id,
            kind=self.question.kind,
            responses=self.responses,
            counts={} if suppressed or is_text else dict(self.counts),
            answers=() if suppressed or not is_text else tuple(sorted(self.texts)),
            suppressed=suppressed,
            mean=mean,
        )


def tally(survey: Survey, responses: Iterable[Mapping[str, object]], invited: int) -> SurveyReport:
    """Count completed responses in one pass. Unknown questions or options are ignored."""
    counters = [_Counter(question) for question in survey.questions]
    respondents = 0
    for response in responses:
        respondents += 1
        for counter in counters:
            counter.add(response.get(counter.question.id))
    suppressed = respondents < MIN_CELL
    return SurveyReport(
        survey_id=survey.id,
        invited=invited,
        respondents=respondents,
        suppressed=suppressed,
        questions=tuple(counter.result(suppressed) for counter in counters),
    )


def breakdown(survey: Survey, responses_by_group: Mapping[str, Iterable[Mapping[str, object]]],
              invited_by_group: Mapping[str, int] | None = None) -> dict[str, SurveyReport]:
    """One report per group (e.g. per bureau), each suppressed on its own under MIN_CELL."""
    invited_by_group = invited_by_group or {}
    return {group: tally(survey, responses, invited_by_group.get(group, 0))
            for group, responses in responses_by_group.items()}


def scale_ends(question: Question, lang: str) -> tuple[str, str]:
    """The labels of 1 and 5 on a scale5 question."""
    low = question.low.get(lang) if question.low else t("surveys.scale.low", lang)
    high = question.high.get(lang) if question.high else t("surveys.scale.high", lang)
    return low, high


def format_mean(mean: float) -> str:
    return f"{mean:.1f}"


def render_text(report: SurveyReport, survey: Survey, lang: str = "ja") -> str:
    """The report as plain text, each question laid out like the seed's tables (tab-separated)."""
    lines = [
        survey.title.get(lang),
        t("surveys.report.respondents_line", lang, respondents=report.respondents, invited=report.invited),
    ]
    if report.suppressed:
        lines.append(t("surveys.report.suppressed_report", lang, min=MIN_CELL))
    for question, result in zip(survey.questions, report.questions):
        lines += ["", f"{t('surveys.report.question_label', lang)}) {question.text.get(lang)}", ""]
        lines += _question_body(question, result, lang)
    return "\n".join(lines) + "\n"


def _question_body(question: Question, result: QuestionResult, lang: str) -> list[str]:
    if result.suppressed:
        return [t("surveys.report.suppressed_question", lang, min=MIN_CELL)]
    if question.kind == "text":
        if not result.answers:
            return [t("surveys.report.no_answers", lang)]
        bullet = t("surveys.report.bullet", lang)
        # A line break inside an answer would read as a new answer; keep one answer per line.
        return [t("surveys.report.free_text_heading", lang), ""] + [
            f"{bullet}{' '.join(answer.split())}" for answer in result.answers]
    body = [f"{t('surveys.report.answer_heading', lang)}\t{t('surveys.report.count_heading', lang)}"]
    body += [f"{option.label.get(lang)}\t{result.counts[option.id]}" for option in question.options]
    if result.mean is not None:
        low, high = scale_ends(question, lang)
        body += ["", t("surveys.report.scale_summary", lang, mean=format_mean(result.mean), low=low, high=high)]
    return body
