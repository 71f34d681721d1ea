"""The case library's builders and its grammar, unit by unit: ten results of the longest titles and
summaries stay valid Block Kit under 50 blocks, in both languages, with what people wrote escaped."""

from datetime import datetime, timezone

import pytest

from bot.core import grammar
from bot.core.grammar import CommandError
from bot.library.blocks import build_case_dm, build_home_section, build_results
from bot.library.results import LibrarySearch, SearchResult, Shelf
from bot.library.service import library_query, searchable
from bot.local.slack.blockkit import validate_message_blocks, validate_view
from storage.models import LibraryEntry
from tests.conftest import JST

HOSTILE = "<!channel> & <b>x</b> >q <@U000> &amp; ```"


def mrkdwn_texts(blocks) -> str:
    """Every mrkdwn text (plain_text, as in a header, is never read as markup)."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(blocks)
    return "\n".join(found)


def entry(case_id: int, *, source: str = "official") -> LibraryEntry:
    return LibraryEntry(case_id=case_id, source=source, title=("長い題名" + HOSTILE) * 20, theme="medical_welfare",
                        summary=("概要" + HOSTILE) * 40, commentary_text=("解説" + HOSTILE) * 500, fiscal_year=2027,
                        bureaus_held=8, bureau_codes=",tokyo,", search_text="", stale=False,
                        published_at=datetime(2027, 6, 1, tzinfo=timezone.utc),
                        indexed_at=datetime(2027, 6, 1, tzinfo=timezone.utc))


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_ten_results_of_the_longest_texts_are_valid_block_kit(lang):
    result = SearchResult(LibrarySearch(words=(HOSTILE,), theme="education", bureau="osaka", fiscal_year=2027),
                          [entry(i, source="self_run" if i % 3 == 0 else "official") for i in range(1, 11)], more=True)
    blocks = build_results(result, lang)
    assert validate_message_blocks(blocks) == [] and len(blocks) <= 50
    shown = mrkdwn_texts(blocks)
    assert "<!channel>" not in shown and "<@U000>" not in shown
    assert ("令和9年度" if lang == "ja" else "FY2027") in shown


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("part", ["material", "commentary", "shared"])
def test_the_case_sent_on_open_is_valid_and_cut_where_long(lang, part):
    blocks = build_case_dm(entry(1), part, lang, has_file=False, file_gone=part != "shared")
    assert validate_message_blocks(blocks) == [] and "<!channel>" not in mrkdwn_texts(blocks)
    assert "&lt;!channel&gt;" in mrkdwn_texts(blocks)


def test_the_home_section_is_valid_in_a_view():
    for shelf in (Shelf([], []), Shelf(["education"], []), Shelf(["medical_welfare"], [entry(i) for i in range(5)])):
        view = {"type": "home", "blocks": build_home_section(shelf, "ja")}
        assert validate_view(view) == []


def test_words_and_filters_are_read_as_people_write_them():
    tz = JST
    cmd = grammar.parse("cases 技能実習 転籍 theme=労働 bureau=大阪 year=令和9", tz)
    assert cmd == grammar.CasesSearch(words=("技能実習", "転籍"), theme="labor", bureau="osaka", fiscal_year=2027)
    assert grammar.parse("cases", tz) == grammar.CasesSearch()
    assert grammar.parse("ｃａｓｅｓ　ＴＨＥＭＥ＝教育", tz) == grammar.CasesSearch(theme="education")
    assert grammar.parse('cases "在留 資格" 1+1=2', tz).words == ("在留 資格", "1+1=2")  # not a filter
    for text, key in (("cases theme=宇宙", "usage.bad_theme"), ("cases bureau=月", "usage.bad_bureau"),
                      ("cases year=来年", "usage.bad_fiscal_year"), ("cases colour=red", "usage.cases_unknown_filter"),
                      ("cases theme=", "usage.cases"), ("cases " + "語 " * 9, "usage.cases_too_many_words")):
        with pytest.raises(CommandError) as raised:
            grammar.parse(text, tz)
        assert raised.value.key == key, text


def test_words_are_folded_like_the_indexed_text():
    assert searchable("ＭＥＤＩＣＡＬ　ｶﾀｶﾅ") == "medical カタカナ"
    assert library_query(LibrarySearch(words=("Visa", "visa", " "))).words == ("visa",)
