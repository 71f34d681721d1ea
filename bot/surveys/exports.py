"""Survey reports as JSON (the documented export contract), CSV and Excel.

All three read a ``SurveyReport`` that is already suppressed where needed, so an
export can never show more than the report does.
"""

from __future__ import annotations

import csv
import io

from bot.core.exports import inert
from bot.core.i18n import t
from bot.surveys.definitions import Question, Survey
from bot.surveys.report import MIN_CELL, QuestionResult, SurveyReport, format_mean, scale_ends

CSV_COLUMNS = ("question_id", "question", "answer", "count")
# Excel refuses sheet titles over 31 characters.
_MAX_SHEET_TITLE = 31


def report_json(report: SurveyReport, survey: Survey, survey_code: str, lang: str = "ja") -> dict:
    """``{"survey", "invited", "respondents", "questions": [...]}`` as documented in DESIGN §3.

    Counts are keyed by option label in ``lang``; a text question has ``counts == {}`` and an
    ``answers`` list. A suppressed question keeps its ``responses`` but has empty counts/answers.
    """
    questions = []
    for question, result in zip(survey.questions, report.questions):
        entry = {
            "id": question.id,
            "text": question.text.get(lang),
            "kind": question.kind,
            "responses": result.responses,
            "counts": {option.label.get(lang): result.counts[option.id]
                       for option in question.options if option.id in result.counts},
        }
        if question.kind == "text":
            entry["answers"] = list(result.answers)
        questions.append(entry)
    return {"survey": survey_code, "invited": report.invited, "respondents": report.respondents,
            "questions": questions}


def _rows(question: Question, result: QuestionResult, lang: str) -> list[tuple[str, int | str]]:
    """(answer, count) rows of one question as the exports lay them out."""
    if result.suppressed:
        return [(t("surveys.report.suppressed_question", lang, min=MIN_CELL), "")]
    if question.kind == "text":
        return [(answer, 1) for answer in result.answers]
    return [(option.label.get(lang), result.counts[option.id]) for option in question.options]


def report_csv(report: SurveyReport, survey: Survey, lang: str = "ja") -> bytes:
    """One row per (question, answer); UTF-8 with a BOM so Excel in Japan reads it correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for question, result in zip(survey.questions, report.questions):
        for answer, count in _rows(question, result, lang):
            writer.writerow((question.id, question.text.get(lang), inert(answer), count))
    return buffer.getvalue().encode("utf-8-sig")


def report_xlsx(report: SurveyReport, survey: Survey, lang: str = "ja") -> bytes:
    """A workbook: the summary sheet in the seed's layout, then a sheet of free-text answers."""
    from openpyxl import Workbook  # here, not at start-up: most processes never write a workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    summary = workbook.active
    summary.title = _sheet_title(t("surveys.report.sheet_summary", lang))
    bold = Font(bold=True)
    summary.append([survey.title.get(lang)])
    summary["A1"].font = bold
    summary.append([t("surveys.report.respondents_line", lang, respondents=report.respondents,
                      invited=report.invited)])
    if report.suppressed:
        summary.append([t("surveys.report.suppressed_report", lang, min=MIN_CELL)])
    for question, result in zip(survey.questions, report.questions):
        if question.kind == "text":
            continue
        summary.append([])
        summary.append([f"{t('surveys.report.question_label', lang)}) {question.text.get(lang)}"])
        summary.cell(row=summary.max_row, column=1).font = bold
        summary.append([])
        if result.suppressed:
            summary.append([t("surveys.report.suppressed_question", lang, min=MIN_CELL)])
            continue
        summary.append([t("surveys.report.answer_heading", lang), t("surveys.report.count_heading", lang)])
        for cell in summary[summary.max_row]:
            cell.font = bold
        for answer, count in _rows(question, result, lang):
            summary.append([answer, count])
        if result.mean is not None:
            low, high = scale_ends(question, lang)
            summary.append([t("surveys.report.scale_summary", lang, mean=format_mean(result.mean), low=low,
                              high=high)])
    summary.column_dimensions["A"].width = 60
    summary.column_dimensions["B"].width = 12

    free_text = workbook.create_sheet(_sheet_title(t("surveys.report.sheet_free_text", lang)))
    free_text.append([t("surveys.report.question_label", lang), t("surveys.report.answer_heading", lang)])
    for cell in free_text[1]:
        cell.font = bold
    for question, result in zip(survey.questions, report.questions):
        if question.kind == "text":
            for answer, _ in _rows(question, result, lang):
                free_text.append([question.text.get(lang), answer])
                # openpyxl would store "=..." as a formula; a respondent's words stay text.
                free_text.cell(row=free_text.max_row, column=2).data_type = "s"
    free_text.column_dimensions["A"].width = 50
    free_text.column_dimensions["B"].width = 80

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    return "".join(ch for ch in title if ch not in "[]:*?/\\")[:_MAX_SHEET_TITLE] or "Sheet"


