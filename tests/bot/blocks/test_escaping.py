"""Escape at the boundary, once: the one escaping function, the one link builder, cutting the source
(never the escaped text), and the check that finds what slipped through (bot/local/slack/escaping.py)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.checks.blocks import build_check_result, build_guard_note, build_proposed_text
from bot.core.pseudonymisation import Proposal, Replacement
from bot.core.text import unescape
from bot.kit import TextTooLong, code_block, context, escape, fit, link, mention, notification_text, section
from bot.local.slack.escaping import payload_faults, text_faults
from bot.sessions.reminder_blocks import ReminderView, build_reminder

JST = ZoneInfo("Asia/Tokyo")
HOSTILE = "<!channel> & <b>x</b> >q <@U000> &amp; ```"
USERS = {"UCOORD01", "UADMIN01"}
CHANNELS = {"C0001"}


def faults(text: str) -> list[str]:
    return [problem for problem, _ in text_faults(text, users=USERS, channels=CHANNELS)]


def test_escape_makes_every_control_character_inert_and_splits_a_typed_fence():
    shown = escape(HOSTILE)
    assert shown.startswith("&lt;!channel&gt; &amp; &lt;b&gt;x&lt;/b&gt; &gt;q &lt;@U000&gt; &amp;amp; ")
    assert "```" not in shown and shown.endswith("`\u200b`\u200b`")
    assert faults(shown) == []
    assert unescape("a &lt;b&gt; &amp;amp;") == "a <b> &amp;"  # what Slack sends back, as it was typed


def test_the_check_names_each_kind_of_fault():
    assert faults(HOSTILE) == ["raw_token"] * 4 + ["stray_bracket", "cut_entity", "unbalanced_fence"]
    assert "stray_bracket" in faults("a >q")
    assert faults("cut &amp;&l") == ["cut_entity"]
    assert faults("raw & in text") == ["cut_entity"]
    assert faults("```open") == ["unbalanced_fence"]
    assert faults("<@UCOORD01> <#C0001> <https://example.jp/a?b=1&amp;c=2|label &amp; more>") == []
    assert faults("<@UNOBODY>") == ["raw_token"]  # a mention of no user came from text


def test_link_escapes_ampersands_and_the_bar_and_refuses_what_is_not_an_address():
    assert link("https://meet.example.jp/j?a=1&b=2") == "<https://meet.example.jp/j?a=1&amp;b=2>"
    assert link("https://x.example/a|b", "見る & 開く") == "<https://x.example/a%7Cb|見る &amp; 開く>"
    assert link("javascript:alert(1)<!channel>") == "javascript:alert(1)&lt;!channel&gt;"
    assert faults(link("https://x.example/?q=<!channel>&y")) == []


def test_mention_is_built_only_from_a_user_id():
    assert mention("UCOORD01") == "<@UCOORD01>"
    assert mention("<!channel>") == "&lt;!channel&gt;"
    assert mention("U1> <!here") == "U1&gt; &lt;!here"


def test_fit_cuts_the_source_by_the_escaped_length():
    text = "<&>" * 2000  # 6,000 characters, 24,000 once escaped
    shown, cut = fit(text, 2994)
    assert cut and len(escape(shown)) <= 2994 and len(escape(text[:len(shown) + 1])) > 2994
    assert fit("short", 10) == ("short", False)


def test_code_block_keeps_its_fences_closed_and_no_entity_cut():
    block, cut = code_block("a&b<" * 1500)
    assert cut and len(block) <= 3000 and block.startswith("```") and block.endswith("```")
    assert faults(block) == []


def test_section_and_context_refuse_text_over_the_limit_instead_of_cutting_it():
    with pytest.raises(TextTooLong):
        section("x" * 3001)
    with pytest.raises(TextTooLong):
        context("x" * 3001)
    assert section("x" * 3000)["text"]["text"] == "x" * 3000


def test_notification_text_keeps_whole_lines_and_closes_a_fence():
    text = "first &amp; line\n```\n" + "\n".join("line &lt;%d&gt;" % i for i in range(400)) + "\n```"
    shown = notification_text(text, 300)
    assert len(shown) <= 300 and faults(shown) == [] and shown.startswith("first &amp; line")


def _proposal(text: str) -> Proposal:
    return Proposal(text=text, replacements=(Replacement(kind="phone", original="090-1234-5678", placeholder="〇〇〇",
                                                         line=1, column=1),))


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_long_proposal_full_of_control_characters_is_cut_in_its_source_and_says_so(lang):
    text = ("<&> " * 1000) + "```" + ("x" * 50)
    blocks = build_proposed_text(_proposal(text), lang)
    shown = blocks[1]["text"]["text"]
    assert len(shown) <= 3000 and shown.startswith("```") and shown.endswith("```")
    assert len(shown) > 2900  # the budget is spent on escaped text, not cut to a quarter of it
    assert blocks[-1]["type"] == "context"  # the "only the beginning is shown" note
    for built in (build_check_result(_proposal(text), lang)["blocks"],
                  build_guard_note(("phone",), _proposal(text), None, lang)):
        assert payload_faults({"blocks": built}, "check", users=USERS, channels=CHANNELS) == []


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_reminders_notification_text_carries_the_title_escaped(lang):
    view = ReminderView(session_code="S1", title=HOSTILE, starts_at=datetime(2027, 5, 15, 14, tzinfo=JST),
                        minutes=120, format="online", place=HOSTILE, online_url="https://meet.example.jp/j?a=1&b=2",
                        role="participant", offset_minutes=60, contact="UCOORD01")
    text, blocks = build_reminder(view, lang)
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text
    assert payload_faults({"text": text, "blocks": blocks}, "chat.postMessage", users=USERS, channels=CHANNELS) == []
    assert "<@UCOORD01>" in str(blocks) and "https://meet.example.jp/j?a=1&amp;b=2" in str(blocks)
