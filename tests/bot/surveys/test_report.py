from __future__ import annotations

import random

import pytest

from bot.surveys.definitions import load_survey
from bot.surveys.report import MIN_CELL, breakdown, render_text, tally
from tests.bot.surveys.seed_data import drive_seed_respondents, seed_free_text_answers, seed_tables

PLANNING = load_survey("planning")


@pytest.fixture(scope="module")
def seed_report():
    return tally(PLANNING, drive_seed_respondents(PLANNING), invited=30)


def test_seed_respondents_reproduce_the_seed_totals(seed_report):
    assert seed_report.respondents == 25 and seed_report.invited == 30 and not seed_report.suppressed
    for question, table in zip(PLANNING.questions, seed_tables()):
        result = seed_report.question(question.id)
        labels = {o.id: o.label.ja for o in question.options}
        assert [(labels[k], n) for k, n in result.counts.items()] == list(table.rows)
    assert seed_report.question("need").responses == 25
    for question_id in ("group_size", "duration", "themes"):
        assert seed_report.question(question_id).responses == 23  # as in the seed: 8+13+2, 10+10+2+1
    assert seed_report.question("format_opinion").responses == len(seed_free_text_answers())


def test_rendered_text_contains_each_seed_table_exactly(seed_report):
    text = render_text(seed_report, PLANNING)
    for table in seed_tables():
        assert table.block in text
    for answer in seed_free_text_answers():
        assert f"\n○{answer}\n" in text
    assert "回答者 25人（対象 30人）" in text
    assert "問) " + PLANNING.questions[4].text.ja in text


def test_rendered_text_in_english(seed_report):
    text = render_text(seed_report, PLANNING, "en")
    assert "Q) Do you think case study meetings should be held?\n\nAnswer\tCount\nNeeded\t21\nNot needed\t4" in text
    assert "Respondents: 25 (invited: 30)" in text


def test_counts_keep_zeros_in_option_order():
    report = tally(PLANNING, [{"need": "needed", "themes": ["other"]}] * MIN_CELL, invited=5)
    assert report.question("need").counts == {"needed": 5, "not_needed": 0}
    assert list(report.question("themes").counts) == [o.id for o in PLANNING.question("themes").options]


def test_small_reports_are_suppressed():
    report = tally(PLANNING, [{"need": "needed", "format_opinion": "名古屋で"}] * (MIN_CELL - 1), invited=10)
    assert report.suppressed
    need = report.question("need")
    assert need.suppressed and need.counts == {} and need.responses == MIN_CELL - 1
    assert report.question("format_opinion").answers == ()
    text = render_text(report, PLANNING)
    assert "名古屋で" not in text and "必要\t" not in text
    assert "5人未満" in text


def test_a_question_answered_by_few_is_suppressed_on_its_own():
    responses = [{"need": "needed"}] * 6 + [{"need": "not_needed", "group_size": "people_3_4"}] * 2
    report = tally(PLANNING, responses, invited=8)
    assert not report.suppressed and not report.question("need").suppressed
    assert report.question("group_size").suppressed and report.question("group_size").counts == {}


def test_unknown_values_in_stored_responses_are_not_counted():
    responses = [{"need": "maybe", "themes": ["labor", "ghost"], "ghost": "x", "format_opinion": "  "}] * 5
    report = tally(PLANNING, responses, invited=5)
    assert report.question("need").responses == 0
    assert report.question("themes").counts["labor"] == 5
    assert report.question("format_opinion").responses == 0


def test_scale_questions_have_a_mean():
    survey = load_survey("post_session")
    responses = [{"satisfaction": point} for point in ("5", "4", "4", "3", "5", "5")]
    report = tally(survey, responses, invited=6)
    assert report.question("satisfaction").mean == pytest.approx(26 / 6)
    assert "平均 4.3（1 = 不満、5 = 満足）" in render_text(report, survey)


def test_breakdown_suppresses_each_small_group():
    groups = {"tokyo": [{"need": "needed"}] * 7, "takamatsu": [{"need": "not_needed"}] * 2}
    reports = breakdown(PLANNING, groups, {"tokyo": 40, "takamatsu": 5})
    assert reports["tokyo"].question("need").counts == {"needed": 7, "not_needed": 0}
    assert reports["tokyo"].invited == 40
    assert reports["takamatsu"].suppressed and reports["takamatsu"].question("need").counts == {}


def test_free_text_order_does_not_follow_submission_order():
    answers = ["ccc", "aaa", "bbb", "eee", "ddd"]
    report = tally(PLANNING, [{"format_opinion": a} for a in answers], invited=5)
    assert report.question("format_opinion").answers == tuple(sorted(answers))


def test_ten_thousand_synthetic_responses():
    rng = random.Random(6)
    themes = [o.id for o in PLANNING.question("themes").options]
    responses = ({"need": rng.choice(["needed", "not_needed"]),
                  "group_size": rng.choice(["people_3_4", "people_5_6", "people_7_8"]),
                  "duration": rng.choice(["min_90", "min_120", "min_150", "min_180"]),
                  "themes": rng.sample(themes, rng.randint(1, 4)),
                  "format_opinion": rng.choice([None, "オンライン希望"])} for _ in range(10_000))
    report = tally(PLANNING, responses, invited=12_000)  # a generator: one pass is all it gets
    assert report.respondents == 10_000
    assert sum(report.question("need").counts.values()) == 10_000
    assert sum(report.question("duration").counts.values()) == 10_000
    assert len(render_text(report, PLANNING).splitlines()) > 20
