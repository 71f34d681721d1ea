from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.surveys.definitions import load_survey, parse_survey
from bot.surveys.dialog import (
    ERROR_CHOOSE_ONE,
    ERROR_EMPTY_TEXT,
    ERROR_TEXT_TOO_LONG,
    MAX_TEXT_LENGTH,
    Outcome,
    Progress,
    answer_text,
    back,
    choose,
    current_question,
    final_answers,
    is_skippable,
    next_,
    set_multi,
    skip,
    toggle,
)

PLANNING = load_survey("planning")


def _at_themes() -> Progress:
    progress = Progress()
    for question_id, option_id in (("need", "needed"), ("group_size", "people_5_6"), ("duration", "min_120")):
        progress = choose(PLANNING, progress, question_id, option_id).progress
    assert current_question(PLANNING, progress).id == "themes"
    return progress


def test_choose_records_and_advances_without_touching_the_old_progress():
    start = Progress()
    step = choose(PLANNING, start, "need", "needed")
    assert step.outcome is Outcome.ADVANCED
    assert step.progress.step == 1 and step.progress.answers == {"need": "needed"}
    assert start == Progress()
    assert current_question(PLANNING, step.progress).id == "group_size"


def test_stale_and_forged_input_is_ignored():
    progress = choose(PLANNING, Progress(), "need", "needed").progress
    for transition in (
        choose(PLANNING, progress, "need", "not_needed"),      # double click on the previous question
        choose(PLANNING, progress, "group_size", "min_90"),    # an option of another question
        choose(PLANNING, progress, "group_size", "people_9"),  # unknown option
        choose(PLANNING, progress, "duration", "min_90"),      # a question not yet reached
        set_multi(PLANNING, progress, "group_size", ["people_3_4"]),  # multi on a single question
        answer_text(PLANNING, progress, "group_size", "hello"),
        skip(PLANNING, progress, "group_size"),                 # required here
        back(PLANNING, progress, "need"),                       # back pressed on an old message
        next_(PLANNING, progress, "need"),
    ):
        assert transition.outcome is Outcome.IGNORED
        assert transition.progress is progress
        assert not transition.changed


def test_multi_selection_then_next():
    progress = _at_themes()
    assert next_(PLANNING, progress, "themes").outcome is Outcome.INVALID
    assert next_(PLANNING, progress, "themes").error_key == ERROR_CHOOSE_ONE
    picked = set_multi(PLANNING, progress, "themes", ["labor", "medical_welfare", "labor"])
    assert picked.outcome is Outcome.RECORDED
    assert picked.progress.answers["themes"] == ["medical_welfare", "labor"]  # option order, no repeats
    assert picked.progress.step == progress.step
    assert set_multi(PLANNING, picked.progress, "themes", ["labor", "astrology"]).outcome is Outcome.IGNORED
    assert set_multi(PLANNING, picked.progress, "themes", "labor").outcome is Outcome.IGNORED
    toggled = toggle(PLANNING, picked.progress, "themes", "labor")
    assert toggled.progress.answers["themes"] == ["medical_welfare"]
    toggled = toggle(PLANNING, toggled.progress, "themes", "other")
    assert toggled.progress.answers["themes"] == ["medical_welfare", "other"]
    assert toggle(PLANNING, toggled.progress, "themes", "nope").outcome is Outcome.IGNORED
    moved = next_(PLANNING, toggled.progress, "themes")
    assert moved.outcome is Outcome.ADVANCED
    assert current_question(PLANNING, moved.progress).id == "format_opinion"
    # Ticking a box on the old message after moving on does nothing.
    assert set_multi(PLANNING, moved.progress, "themes", ["labor"]).outcome is Outcome.IGNORED


def test_last_answer_completes_and_later_clicks_are_ignored():
    progress = set_multi(PLANNING, _at_themes(), "themes", ["education"]).progress
    progress = next_(PLANNING, progress, "themes").progress
    finished = answer_text(PLANNING, progress, "format_opinion", "  対面も希望します。 \n")
    assert finished.outcome is Outcome.DONE
    assert finished.progress.done and current_question(PLANNING, finished.progress) is None
    assert finished.progress.answers["format_opinion"] == "対面も希望します。"
    assert answer_text(PLANNING, finished.progress, "format_opinion", "again").outcome is Outcome.IGNORED
    assert back(PLANNING, finished.progress, "format_opinion").outcome is Outcome.IGNORED
    assert final_answers(PLANNING, finished.progress) == {
        "need": "needed", "group_size": "people_5_6", "duration": "min_120", "themes": ["education"],
        "format_opinion": "対面も希望します。"}


def test_text_answers_are_trimmed_and_bounded():
    progress = next_(PLANNING, set_multi(PLANNING, _at_themes(), "themes", ["labor"]).progress, "themes").progress
    too_long = answer_text(PLANNING, progress, "format_opinion", "あ" * (MAX_TEXT_LENGTH + 1))
    assert too_long.outcome is Outcome.INVALID and too_long.error_key == ERROR_TEXT_TOO_LONG
    assert too_long.progress is progress
    exactly = answer_text(PLANNING, progress, "format_opinion", " " + "あ" * MAX_TEXT_LENGTH + " ")
    assert exactly.outcome is Outcome.DONE
    # Optional: an empty answer is a skip.
    empty = answer_text(PLANNING, progress, "format_opinion", "   ")
    assert empty.outcome is Outcome.DONE and empty.progress.answers["format_opinion"] is None


def test_empty_text_is_invalid_when_required():
    survey = parse_survey({"id": "s", "title": {"ja": "t", "en": "t"}, "intro": {"ja": "i", "en": "i"},
                           "questions": [{"id": "q", "kind": "text", "text": {"ja": "問", "en": "Q"}}]})
    step = answer_text(survey, Progress(), "q", " \n ")
    assert step.outcome is Outcome.INVALID and step.error_key == ERROR_EMPTY_TEXT
    assert skip(survey, Progress(), "q").outcome is Outcome.IGNORED
    assert next_(survey, Progress(), "q").error_key == ERROR_EMPTY_TEXT


def test_skip_only_on_optional_questions():
    needed = choose(PLANNING, Progress(), "need", "needed").progress
    assert not is_skippable(PLANNING, needed)
    assert skip(PLANNING, needed, "group_size").outcome is Outcome.IGNORED
    not_needed = choose(PLANNING, Progress(), "need", "not_needed").progress
    assert is_skippable(PLANNING, not_needed)
    skipped = skip(PLANNING, not_needed, "group_size")
    assert skipped.outcome is Outcome.ADVANCED
    assert skipped.progress.answers["group_size"] is None
    assert skip(PLANNING, skipped.progress, "group_size").outcome is Outcome.IGNORED  # double click


def test_back_keeps_the_answer_as_default():
    progress = choose(PLANNING, choose(PLANNING, Progress(), "need", "needed").progress,
                      "group_size", "people_3_4").progress
    went = back(PLANNING, progress, "duration")
    assert went.outcome is Outcome.WENT_BACK
    assert current_question(PLANNING, went.progress).id == "group_size"
    assert went.progress.answers["group_size"] == "people_3_4"
    assert back(PLANNING, went.progress, "duration").outcome is Outcome.IGNORED  # the same Back again
    # The kept answer can be confirmed as is, or replaced.
    assert next_(PLANNING, went.progress, "group_size").progress.answers["group_size"] == "people_3_4"
    replaced = choose(PLANNING, went.progress, "group_size", "people_7_8")
    assert replaced.progress.answers["group_size"] == "people_7_8"
    first = back(PLANNING, went.progress, "group_size").progress
    assert first.step == 0
    assert back(PLANNING, first, "need").outcome is Outcome.IGNORED


def test_changing_an_earlier_answer_makes_a_skipped_question_required_again():
    progress = skip(PLANNING, choose(PLANNING, Progress(), "need", "not_needed").progress, "group_size").progress
    progress = back(PLANNING, back(PLANNING, progress, "duration").progress, "group_size").progress
    progress = choose(PLANNING, progress, "need", "needed").progress
    assert current_question(PLANNING, progress).id == "group_size"
    assert skip(PLANNING, progress, "group_size").outcome is Outcome.IGNORED
    assert next_(PLANNING, progress, "group_size").outcome is Outcome.INVALID


def test_progress_round_trips_as_json():
    progress = set_multi(PLANNING, _at_themes(), "themes", ["labor", "other"]).progress
    restored = Progress.model_validate_json(progress.model_dump_json())
    assert restored == progress
    assert restored.answers["themes"] == ["labor", "other"]


def test_post_session_scale_questions():
    survey = load_survey("post_session")
    step = choose(survey, Progress(), "satisfaction", "5")
    assert step.outcome is Outcome.ADVANCED and step.progress.answers["satisfaction"] == "5"
    assert choose(survey, step.progress, "usefulness", "6").outcome is Outcome.IGNORED


_actions = st.lists(st.tuples(
    st.sampled_from(["choose", "set_multi", "toggle", "next", "text", "skip", "back"]),
    st.sampled_from([q.id for q in PLANNING.questions] + ["ghost"]),
    st.sampled_from([o.id for q in PLANNING.questions for o in q.options] + ["ghost", ""]),
), max_size=40)


@settings(max_examples=150, deadline=None)
@given(_actions)
def test_any_click_sequence_keeps_progress_consistent(actions):
    progress = Progress()
    for action, question_id, option_id in actions:
        transition = {
            "choose": lambda: choose(PLANNING, progress, question_id, option_id),
            "set_multi": lambda: set_multi(PLANNING, progress, question_id, [option_id]),
            "toggle": lambda: toggle(PLANNING, progress, question_id, option_id),
            "next": lambda: next_(PLANNING, progress, question_id),
            "text": lambda: answer_text(PLANNING, progress, question_id, option_id),
            "skip": lambda: skip(PLANNING, progress, question_id),
            "back": lambda: back(PLANNING, progress, question_id),
        }[action]()
        if not transition.changed:
            assert transition.progress is progress
        progress = transition.progress
        assert 0 <= progress.step <= len(PLANNING.questions)
        assert progress.done == (progress.step == len(PLANNING.questions))
        for answered_id, answer in progress.answers.items():
            question = PLANNING.question(answered_id)
            if question.kind in ("single", "scale5"):
                assert answer is None or answer in question.option_ids
            elif question.kind == "multi":
                assert answer is None or set(answer) <= set(question.option_ids)
