from __future__ import annotations

import csv
import io
import json
import warnings

import pytest
from openpyxl import load_workbook

from bot.surveys.chart import render_chart_png
from bot.surveys.definitions import load_survey
from bot.surveys.exports import CSV_COLUMNS, report_csv, report_json, report_xlsx
from bot.surveys.report import MIN_CELL, tally
from tests.bot.surveys.seed_data import drive_seed_respondents, seed_free_text_answers, seed_tables

PLANNING = load_survey("planning")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def seed_report():
    return tally(PLANNING, drive_seed_respondents(PLANNING), invited=30)


def test_json_export_follows_the_contract_and_equals_the_seed(seed_report):
    exported = report_json(seed_report, PLANNING, "R1")
    json.dumps(exported)  # plain data only
    assert set(exported) == {"survey", "invited", "respondents", "questions"}
    assert (exported["survey"], exported["invited"], exported["respondents"]) == ("R1", 30, 25)
    for entry, table in zip(exported["questions"], seed_tables()):
        assert set(entry) == {"id", "text", "kind", "responses", "counts"}
        assert entry["text"] == table.question
        assert list(entry["counts"].items()) == list(table.rows)
    free = exported["questions"][4]
    assert free["kind"] == "text" and free["counts"] == {}
    assert sorted(free["answers"]) == sorted(seed_free_text_answers())


def test_json_export_in_english(seed_report):
    exported = report_json(seed_report, PLANNING, "R1", lang="en")
    assert exported["questions"][0]["counts"] == {"Needed": 21, "Not needed": 4}
    assert exported["questions"][1]["counts"] == {"3–4 people": 8, "5–6 people": 13, "7–8 people": 2}


def test_csv_has_a_bom_and_the_counts(seed_report):
    data = report_csv(seed_report, PLANNING)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert ["need", PLANNING.questions[0].text.ja, "必要", "21"] in rows
    assert ["themes", PLANNING.questions[3].text.ja, "その他", "3"] in rows
    assert sum(1 for row in rows if row[0] == "format_opinion") == len(seed_free_text_answers())


def test_csv_keeps_respondents_words_out_of_formulas():
    report = tally(PLANNING, [{"format_opinion": "=HYPERLINK(\"http://x\")"}] * MIN_CELL, invited=5)
    rows = list(csv.reader(io.StringIO(report_csv(report, PLANNING).decode("utf-8-sig"))))
    assert rows[-1][2].startswith("'=")


def test_xlsx_opens_and_has_the_seed_layout(seed_report):
    workbook = load_workbook(io.BytesIO(report_xlsx(seed_report, PLANNING)))
    summary, free_text = workbook.worksheets
    values = [tuple(cell for cell in row) for row in summary.iter_rows(values_only=True)]
    for table in seed_tables():
        start = values.index((f"問) {table.question}", None))
        assert values[start + 2] == ("回答", "回答数")
        assert values[start + 3:start + 3 + len(table.rows)] == list(table.rows)
    texts = [row[1] for row in free_text.iter_rows(min_row=2, values_only=True)]
    assert sorted(texts) == sorted(seed_free_text_answers())


def test_xlsx_stores_formula_like_answers_as_text():
    report = tally(PLANNING, [{"format_opinion": "=1+1"}] * MIN_CELL, invited=5)
    sheet = load_workbook(io.BytesIO(report_xlsx(report, PLANNING))).worksheets[1]
    assert sheet["B2"].value == "=1+1" and sheet["B2"].data_type == "s"


def test_exports_of_a_suppressed_report_show_no_counts():
    report = tally(PLANNING, [{"need": "not_needed", "format_opinion": "札幌で"}] * 2, invited=3)
    exported = report_json(report, PLANNING, "R2")
    assert all(q["counts"] == {} for q in exported["questions"])
    assert exported["questions"][4]["answers"] == []
    assert "札幌で".encode() not in report_csv(report, PLANNING)


@pytest.mark.parametrize("survey_id, lang", [("planning", "ja"), ("post_session", "en"), ("post_session", "ja")])
def test_chart_is_a_png_with_japanese_font_and_no_warnings(seed_report, survey_id, lang):
    survey = load_survey(survey_id)
    report = seed_report if survey_id == "planning" else tally(
        survey, [{"satisfaction": "4", "format": "hybrid", "themes": ["labor"]}] * 6 + [{"satisfaction": "2"}],
        invited=10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph would warn
        png = render_chart_png(report, survey, lang)
    assert png.startswith(PNG_SIGNATURE)
    assert 10_000 < len(png) < 2_000_000


def test_chart_of_a_suppressed_report_is_still_a_png():
    report = tally(PLANNING, [{"need": "needed"}], invited=1)
    png = render_chart_png(report, PLANNING)
    assert png.startswith(PNG_SIGNATURE)
