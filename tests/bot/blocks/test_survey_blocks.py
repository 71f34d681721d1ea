from __future__ import annotations

import re

import pytest

from bot import ids
from bot.surveys.blocks import (build_choice_help, build_dialog_error, build_invitation, build_paused,
                                build_question_message, build_reminder, build_text_answer_modal, build_thank_you,
                                parse_survey_value, render_blocks, survey_value)
from bot.local.slack.blockkit import validate_message_blocks, validate_view
from bot.surveys.definitions import load_survey, parse_survey
from bot.surveys.dialog import ERROR_TEXT_TOO_LONG, Progress, choose, current_question, next_, set_multi, skip
from bot.surveys.report import MIN_CELL, tally
from tests.bot.surveys.seed_data import drive_seed_respondents

PLANNING = load_survey("planning")
POST = load_survey("post_session")
RUN = "R7"


def assert_valid_message(blocks: list[dict]) -> None:
    assert validate_message_blocks(blocks) == []
    # Our own guard on the limits that matter most, independent of the validator.
    assert len(blocks) <= 50
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        for element in block.get("elements", []):
            if element.get("type") == "button":
                assert len(element["text"]["text"]) <= 75


def interactive_elements(blocks: list[dict]) -> list[dict]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def buttons(blocks: list[dict]) -> dict[str, dict]:
    return {e["action_id"]: e for e in interactive_elements(blocks) if e["type"] == "button"}


def every_progress(survey) -> list[Progress]:
    """One Progress at each question, answering the first option (or skipping text)."""
    progress, seen = Progress(), []
    while (question := current_question(survey, progress)) is not None:
        seen.append(progress)
        if question.kind == "multi":
            progress = next_(survey, set_multi(survey, progress, question.id, [question.option_ids[0]]).progress,
                             question.id).progress
        elif question.kind == "text":
            progress = skip(survey, progress, question.id).progress
        else:
            progress = choose(survey, progress, question.id, question.option_ids[0]).progress
    return seen


@pytest.mark.parametrize("survey", [PLANNING, POST], ids=lambda s: s.id)
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_question_message_is_valid_and_carries_only_run_question_option(survey, lang):
    for progress in every_progress(survey):
        question = current_question(survey, progress)
        blocks = build_question_message(survey, progress, RUN, lang)
        assert_valid_message(blocks)
        assert blocks[0]["type"] == "header"
        for element in interactive_elements(blocks):
            values = [element["value"]] if "value" in element else [o["value"] for o in element["options"]]
            for value in values:
                decoded = parse_survey_value(value)
                assert decoded.run_code == RUN and decoded.question_id == question.id
                assert decoded.option_id in ("", *question.option_ids)
        assert (ids.SURVEY_BACK in buttons(blocks)) == (progress.step > 0)
        assert ids.SURVEY_CANCEL in buttons(blocks)  # 中断 on every question, whatever its kind


def test_header_shows_the_position():
    blocks = build_question_message(PLANNING, every_progress(PLANNING)[1], RUN, "ja")
    assert blocks[0]["text"]["text"] == "問 2/5"
    assert PLANNING.questions[1].text.ja in blocks[1]["text"]["text"]
    assert build_question_message(PLANNING, every_progress(PLANNING)[1], RUN, "en")[0]["text"]["text"] == "Q 2/5"


def test_single_choice_is_buttons_with_distinct_action_ids():
    blocks = build_question_message(PLANNING, Progress(), RUN, "ja")
    choices = [e for e in interactive_elements(blocks) if e["action_id"].startswith(ids.SURVEY_CHOOSE)]
    assert [e["text"]["text"] for e in choices] == ["必要", "不要"]
    assert all(re.match(ids.SURVEY_CHOOSE_PATTERN, e["action_id"]) for e in choices)
    assert choices[0]["value"] == "R7|need|needed"
    assert ids.SURVEY_SKIP not in buttons(blocks)


def test_a_kept_answer_is_highlighted_after_going_back():
    progress = Progress(step=1, answers={"need": "needed", "group_size": "people_5_6"})
    chosen = {e["text"]["text"]: e.get("style") for e in interactive_elements(
        build_question_message(PLANNING, progress, RUN, "ja")) if e["action_id"].startswith(ids.SURVEY_CHOOSE)}
    assert chosen == {"3～4人": None, "5～6人": "primary", "7～8人": None}


def test_long_single_choice_becomes_radio_buttons():
    survey = parse_survey({"id": "s", "title": {"ja": "t", "en": "t"}, "intro": {"ja": "i", "en": "i"},
                           "questions": [{"id": "q", "kind": "single", "text": {"ja": "問", "en": "Q"},
                                          "options": [{"id": f"o{i}", "label": {"ja": f"選択{i}", "en": f"C{i}"}}
                                                      for i in range(7)]}]})
    progress = Progress(answers={"q": "o3"})
    blocks = build_question_message(survey, progress, RUN, "ja")
    assert_valid_message(blocks)
    radio = next(e for e in interactive_elements(blocks) if e["type"] == "radio_buttons")
    assert radio["action_id"] == ids.SURVEY_CHOOSE and len(radio["options"]) == 7
    assert radio["initial_option"]["value"] == "R7|q|o3"


def test_scale_shows_five_buttons_and_the_end_labels():
    blocks = build_question_message(POST, Progress(), RUN, "ja")
    labels = [e["text"]["text"] for e in interactive_elements(blocks) if e["action_id"].startswith(ids.SURVEY_CHOOSE)]
    assert labels == ["1", "2", "3", "4", "5"]
    assert any(b["type"] == "context" and "1 = 不満 … 5 = 満足" in b["elements"][0]["text"] for b in blocks)


def test_multi_is_checkboxes_preselected_with_a_next_button():
    progress = Progress(step=3, answers={"need": "needed", "group_size": "people_5_6", "duration": "min_90",
                                         "themes": ["education", "labor"]})
    blocks = build_question_message(PLANNING, progress, RUN, "ja")
    boxes = next(e for e in interactive_elements(blocks) if e["type"] == "checkboxes")
    assert boxes["action_id"] == ids.SURVEY_MULTI and len(boxes["options"]) == 8
    assert [o["value"] for o in boxes["initial_options"]] == ["R7|themes|education", "R7|themes|labor"]
    nav = buttons(blocks)
    assert nav[ids.SURVEY_NEXT]["text"]["text"] == "次へ" and nav[ids.SURVEY_NEXT]["value"] == "R7|themes|"
    # Each question's answer block has its own id, so Slack cannot carry ticks across questions.
    assert any(b.get("block_id") == f"{ids.SURVEY_ANSWER_BLOCK}:themes" for b in blocks)


def test_text_question_opens_a_modal_and_can_be_skipped():
    progress = every_progress(PLANNING)[4]
    blocks = build_question_message(PLANNING, progress, RUN, "ja")
    nav = buttons(blocks)
    assert nav[ids.SURVEY_TEXT_OPEN]["value"] == "R7|format_opinion|"
    assert nav[ids.SURVEY_SKIP]["text"]["text"] == "スキップ"
    assert any("DMに返信" in b["elements"][0]["text"] for b in blocks if b["type"] == "context")

    modal = build_text_answer_modal(PLANNING, progress, RUN, "ja")
    assert validate_view(modal) == []
    assert len(modal["title"]["text"]) <= 24
    assert modal["callback_id"] == ids.SURVEY_TEXT_VIEW
    assert parse_survey_value(modal["private_metadata"]).question_id == "format_opinion"
    field = modal["blocks"][-1]
    assert field["block_id"] == ids.SURVEY_TEXT_BLOCK and field["element"]["action_id"] == ids.SURVEY_TEXT_INPUT
    assert field["element"]["max_length"] == 2000


def test_modal_is_prefilled_with_a_kept_answer_and_refused_on_other_questions():
    progress = every_progress(PLANNING)[4].model_copy(update={"answers": {"format_opinion": "対面希望"}})
    modal = build_text_answer_modal(PLANNING, progress, RUN, "en")
    assert modal["blocks"][-1]["element"]["initial_value"] == "対面希望"
    assert ids.SURVEY_NEXT in buttons(build_question_message(PLANNING, progress, RUN, "en"))
    with pytest.raises(ValueError):
        build_text_answer_modal(PLANNING, Progress(), RUN, "ja")


def test_done_shows_thanks_and_other_messages_are_valid():
    done = Progress(step=len(PLANNING.questions), done=True)
    assert build_question_message(PLANNING, done, RUN, "ja") == build_thank_you("ja")
    for lang in ("ja", "en"):
        assert_valid_message(build_thank_you(lang))
        invitation = build_invitation(PLANNING, RUN, "2026年3月10日(火) 17:00", lang)
        assert_valid_message(invitation)
        start = buttons(invitation)[ids.SURVEY_START]
        assert parse_survey_value(start["value"]).run_code == RUN
        assert any("2026年3月10日" in b["elements"][0]["text"] for b in invitation if b["type"] == "context")
        reminder = build_reminder(POST, RUN, "3/10", lang)
        assert_valid_message(reminder)
        assert ids.SURVEY_START in buttons(reminder)
    assert "2000" in build_dialog_error(ERROR_TEXT_TOO_LONG, "ja")[0]["text"]["text"]
    for lang in ("ja", "en"):
        paused = build_paused(RUN, lang)
        assert_valid_message(paused)
        assert parse_survey_value(buttons(paused)[ids.SURVEY_START]["value"]).run_code == RUN
        assert_valid_message(build_choice_help(lang))


def test_values_round_trip_and_junk_is_refused():
    assert parse_survey_value(survey_value("R1", "need", "needed")) == parse_survey_value("R1|need|needed")
    assert parse_survey_value("R1|need|needed").option_id == "needed"
    for junk in (None, "", "R1", "R1|need", "|need|x", "R1|a|b|c"):
        assert parse_survey_value(junk) is None


def test_report_blocks_for_the_seed():
    report = tally(PLANNING, drive_seed_respondents(PLANNING), invited=30)
    blocks = render_blocks(report, PLANNING, "ja")
    assert_valid_message(blocks)
    text = "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")
    assert "必要：*21*" in text and "その他：*3*" in text
    # Several questions share one section.
    assert sum(1 for b in blocks if b["type"] == "section") < len(PLANNING.questions)


def test_report_blocks_truncate_long_free_text_and_escape_it():
    answers = [{"need": "needed", "format_opinion": f"<!channel> 意見{i:03d} " + "あ" * 400} for i in range(120)]
    blocks = render_blocks(tally(PLANNING, answers, invited=200), PLANNING, "ja")
    assert_valid_message(blocks)
    text = "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    assert re.search(r"…ほか 1\d\d 件", text)


def test_report_blocks_stay_within_fifty_blocks_for_huge_surveys():
    questions = [{"id": f"q{i}", "kind": "multi", "text": {"ja": "長い質問" * 300, "en": "Long " * 300},
                  "options": [{"id": f"o{j}", "label": {"ja": f"選択肢{j}", "en": f"Option {j}"}} for j in range(10)]}
                 for i in range(80)]
    survey = parse_survey({"id": "big", "title": {"ja": "t", "en": "t"}, "intro": {"ja": "i", "en": "i"},
                           "questions": questions})
    blocks = render_blocks(tally(survey, [{"q0": ["o1"]}] * MIN_CELL, invited=5), survey, "en")
    assert_valid_message(blocks)
    assert len(blocks) == 50
    assert "more questions" in blocks[-1]["elements"][0]["text"]


def test_suppressed_report_blocks_show_no_counts():
    blocks = render_blocks(tally(PLANNING, [{"need": "needed"}] * 2, invited=9), PLANNING, "ja")
    assert_valid_message(blocks)
    text = "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")
    assert "*2*" not in text and "非表示" in text
