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


@dataclass(frozen=True)
class SessionAnswers:
    """One session's survey run, for the yearly summary: its answers and the bureau it belongs to
    (None: held online or by a study group, so counted in the national total only)."""

    run_code: str
    session_code: str | None
    bureau: str | None
    invited: int
    answers: tuple[Mapping[str, object], ...]


# Where a session's answers are shown: on their own, or merged into its bureau's or the year's total.
OWN, MERGED_BUREAU, MERGED_TOTAL = "own", "bureau", "total"


@dataclass(frozen=True)
class SessionLine:
    run_code: str
    session_code: str | None
    bureau: str | None
    invited: int
    respondents: int
    # OWN (MIN_CELL or more: it has a breakdown of its own), MERGED_BUREAU or MERGED_TOTAL.
    shown: str


@dataclass(frozen=True)
class MergedComments:
    """Free comments of small sessions pooled together: `bureau` None for the national pool.
    Only built when the pool holds MIN_CELL responses or more, so (each session having fewer) it
    always spans two sessions or more and no comment can be tied to one."""

    bureau: str | None
    sessions: tuple[str, ...]
    report: SurveyReport


@dataclass(frozen=True)
class YearSummary:
    survey_id: str
    fiscal_year: int
    # Every answer of the year, small sessions included.
    total: SurveyReport
    # Bureaus with MIN_CELL responses or more, in the order the sessions came (callers sort).
    by_bureau: dict[str, SurveyReport]
    sessions: tuple[SessionLine, ...]
    merged_comments: tuple[MergedComments, ...]

    def merged_sessions(self, shown: str, bureau: str | None = None) -> tuple[str, ...]:
        return tuple(line.session_code or line.run_code for line in self.sessions
                     if line.shown == shown and (bureau is None or line.bureau == bureau))


def summarise_year(survey: Survey, fiscal_year: int, sessions: Iterable[SessionAnswers]) -> YearSummary:
    """Every answer of the year counted somewhere, and no breakdown under MIN_CELL: a session with
    fewer responses shows none of its own; its answers count in its bureau's total when that has
    MIN_CELL or more, else in the year's national total. Its free comments appear only in a pool of
    small sessions (the bureau's, or else the national one) holding MIN_CELL responses or more."""
    sessions = list(sessions)
    by_bureau_answers: dict[str, list[Mapping[str, object]]] = {}
    invited_by_bureau: dict[str, int] = {}
    for item in sessions:
        if item.bureau is not None:
            by_bureau_answers.setdefault(item.bureau, []).extend(item.answers)
            invited_by_bureau[item.bureau] = invited_by_bureau.get(item.bureau, 0) + item.invited
    by_bureau = {bureau: tally(survey, answers, invited_by_bureau[bureau])
                 for bureau, answers in by_bureau_answers.items() if len(answers) >= MIN_CELL}
    lines = []
    small_by_bureau: dict[str, list[SessionAnswers]] = {}
    national_small: list[SessionAnswers] = []
    for item in sessions:
        if len(item.answers) >= MIN_CELL or not item.answers:
            shown = OWN
        elif item.bureau in by_bureau:
            shown = MERGED_BUREAU
            small_by_bureau.setdefault(item.bureau, []).append(item)
        else:
            shown = MERGED_TOTAL
            national_small.append(item)
        lines.append(SessionLine(item.run_code, item.session_code, item.bureau, item.invited, len(item.answers), shown))
    pools = []
    for bureau, small in small_by_bureau.items():
        if sum(len(item.answers) for item in small) >= MIN_CELL:
            pools.append(_merged(survey, bureau, small))
        else:
            national_small += small  # too few in the bureau's pool: their comments go to the national one
    if sum(len(item.answers) for item in national_small) >= MIN_CELL:
        pools.append(_merged(survey, None, national_small))
    everything = [answer for item in sessions for answer in item.answers]
    return YearSummary(survey.id, fiscal_year, tally(survey, everything, sum(item.invited for item in sessions)),
                       by_bureau, tuple(lines), tuple(pools))


def _merged(survey: Survey, bureau: str | None, small: list[SessionAnswers]) -> MergedComments:
    codes = tuple(sorted((item.session_code or item.run_code for item in small), key=_code_order))
    answers = [answer for item in small for answer in item.answers]
    return MergedComments(bureau, codes, tally(survey, answers, sum(item.invited for item in small)))


def _code_order(code: str) -> tuple[str, int]:
    digits = code[1:]
    return (code[:1], int(digits) if digits.isdigit() else 0)


def headline(report: SurveyReport) -> tuple[QuestionResult, ...]:
    """The figures a secretariat reads first: the means of the scale questions (satisfaction,
    usefulness in the post-session survey), where not suppressed."""
    return tuple(result for result in report.questions if result.kind == "scale5" and result.mean is not None)


def response_rate(report: SurveyReport) -> float | None:
    return report.respondents / report.invited if report.invited else None


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
