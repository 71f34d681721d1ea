from __future__ import annotations

import pytest

from bot.core.i18n import catalog
from bot.surveys.definitions import SurveyDefinitionError, list_surveys, load_survey, parse_survey
from config.reference import themes
from tests.bot.surveys.seed_data import seed_questions, seed_tables, seed_text


def _minimal(**question) -> dict:
    base = {"id": "q1", "kind": "single", "text": {"ja": "問", "en": "Q"},
            "options": [{"id": "a", "label": {"ja": "あ", "en": "A"}}, {"id": "b", "label": {"ja": "い", "en": "B"}}]}
    return {"id": "s", "title": {"ja": "t", "en": "t"}, "intro": {"ja": "i", "en": "i"},
            "questions": [{**base, **question}]}


def test_both_surveys_load_and_are_listed():
    assert list_surveys() == ["planning", "post_session"]
    for survey_id in list_surveys():
        assert load_survey(survey_id).id == survey_id
    assert load_survey("planning") is load_survey("planning")  # cached


def test_planning_questions_are_the_seeds_verbatim_and_in_order():
    survey = load_survey("planning")
    # One correction: the seed's doubled を (御意見ををお願いします) is not shown to respondents.
    assert seed_questions()[4].endswith("御意見ををお願いします。")
    corrected = [question.replace("御意見ををお願い", "御意見をお願い") for question in seed_questions()]
    assert [q.text.ja for q in survey.questions] == corrected
    assert [q.kind for q in survey.questions] == ["single", "single", "single", "multi", "text"]
    assert survey.questions[4].text.ja.endswith("御意見をお願いします。")
    assert survey.questions[4].optional


def test_planning_options_are_the_seeds_labels_in_order():
    survey = load_survey("planning")
    tables = seed_tables()
    assert len(tables) == 4
    for question, table in zip(survey.questions, tables):
        assert question.text.ja == table.question
        assert [o.label.ja for o in question.options] == [label for label, _ in table.rows]
    text = seed_text()
    for question in survey.questions[:4]:
        positions = [text.index(f"\n{o.label.ja}\t", text.index(question.text.ja)) for o in question.options]
        assert positions == sorted(positions)
    assert "～" in survey.questions[1].options[0].label.ja  # full-width tilde U+FF5E, as in the seed


def test_theme_option_ids_are_the_theme_codes():
    for survey_id in ("planning", "post_session"):
        question = load_survey(survey_id).question("themes")
        assert [(o.id, o.label.ja, o.label.en) for o in question.options] == [
            (th.code, th.name_ja, th.name_en) for th in themes()]


def test_post_session_reuses_the_planning_options():
    planning, post = load_survey("planning"), load_survey("post_session")
    for question_id in ("group_size", "duration", "themes"):
        assert post.question(question_id).options == planning.question(question_id).options
    kinds = {q.id: q.kind for q in post.questions}
    assert kinds == {"satisfaction": "scale5", "usefulness": "scale5", "preparation_time": "single",
                     "group_size": "single", "duration": "single", "themes": "multi", "format": "single",
                     "comments": "text"}
    assert post.question("comments").optional
    assert [o.id for o in post.question("format").options] == ["in_person", "online", "hybrid"]


def test_every_text_has_both_languages():
    for survey_id in list_surveys():
        survey = load_survey(survey_id)
        texts = [survey.title, survey.intro] + [q.text for q in survey.questions] + [
            o.label for q in survey.questions for o in q.options]
        assert all(item.ja and item.en for item in texts)
        assert survey.questions[0].text.get("en") != survey.questions[0].text.get("ja")
        assert survey.questions[0].text.get(None) == survey.questions[0].text.ja


def test_scale5_gets_five_points():
    survey = parse_survey(_minimal(kind="scale5", options=[]))
    assert [o.id for o in survey.questions[0].options] == ["1", "2", "3", "4", "5"]


def test_format_questions_are_optional_only_after_not_needed():
    group_size = load_survey("planning").question("group_size")
    assert not group_size.is_optional({"need": "needed"})
    assert group_size.is_optional({"need": "not_needed"})
    assert not group_size.is_optional({})


@pytest.mark.parametrize("change", [
    {"options": [{"id": "a", "label": {"ja": "あ", "en": "A"}}]},                     # single with one option
    {"kind": "multi", "options": []},
    {"options": [{"id": "a", "label": {"ja": "あ", "en": "A"}}] * 2},                 # repeated option id
    {"options": [{"id": "a", "label": {"ja": "あ", "en": "A"}}, {"id": "b", "label": {"ja": "あ", "en": "B"}}]},
    {"kind": "text"},                                                               # text with options
    {"kind": "scale5", "options": [{"id": "a", "label": {"ja": "あ", "en": "A"}}] * 5},
    {"id": "bad|id"},
    {"options": [{"id": f"o{i}", "label": {"ja": f"{i}", "en": f"{i}"}} for i in range(11)]},
    {"optional_if": {"question": "q1", "answers": ["a"]}},                           # not an earlier question
    {"kind": "dropdown"},
])
def test_invalid_definitions_are_refused(change):
    with pytest.raises(SurveyDefinitionError):
        parse_survey(_minimal(**change))


def test_repeated_question_ids_and_forward_conditions_are_refused():
    data = _minimal()
    data["questions"].append(dict(data["questions"][0]))
    with pytest.raises(SurveyDefinitionError, match="repeats"):
        parse_survey(data)
    data = _minimal()
    data["questions"].append({**data["questions"][0], "id": "q2", "optional_if": {"question": "q1", "answers": ["x"]}})
    with pytest.raises(SurveyDefinitionError, match="unknown options"):
        parse_survey(data)


def test_unknown_or_unsafe_survey_ids_are_refused():
    with pytest.raises(SurveyDefinitionError):
        load_survey("../settings")
    with pytest.raises(SurveyDefinitionError):
        load_survey("nonexistent")


def test_survey_catalog_keys_exist_in_both_languages():
    ja = {k for k in catalog("ja") if k.startswith("surveys.")}
    en = {k for k in catalog("en") if k.startswith("surveys.")}
    assert ja and ja == en
