"""The lecturer's request's rules and builders, without Slack: reminder moments in office hours,
the approval rule, and Block Kit within Slack's limits whatever was typed."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.local.slack.blockkit import validate_message_blocks, validate_view
from bot.requests import blocks
from bot.requests.results import NOTE_MAX, REASON_MAX, STATES, TITLE_MAX, RequestLine, approval_given
from bot.requests.service import reminder_moment

JST = ZoneInfo("Asia/Tokyo")
HOSTILE = "<!channel> & <b>x</b> >q <@U000> &amp; ```"


@pytest.mark.parametrize("due, days, expected", [
    (date(2027, 4, 20), 7, datetime(2027, 4, 13, 10, 0, tzinfo=JST)),  # Tuesday → Tuesday
    (date(2027, 4, 20), 1, datetime(2027, 4, 19, 10, 0, tzinfo=JST)),  # Monday
    (date(2027, 5, 17), 1, datetime(2027, 5, 14, 10, 0, tzinfo=JST)),  # Sunday → the Friday before
    (date(2027, 7, 4), 7, datetime(2027, 6, 25, 10, 0, tzinfo=JST)),  # Sunday → Friday
    (date(2027, 5, 16), 1, datetime(2027, 5, 14, 10, 0, tzinfo=JST)),  # Saturday → Friday
])
def test_reminders_fall_on_a_weekday_at_ten_never_on_or_after_the_due_date(due, days, expected):
    moment = reminder_moment(due, days, JST)
    assert moment == expected and moment.tzinfo is not None
    local = moment.astimezone(JST)
    assert local.weekday() < 5 and local.hour == 10 and local.date() < due


def test_only_the_approved_version_of_a_requested_case_may_be_released():
    assert approval_given(None, None, 5)  # nobody requested the case
    assert approval_given("approved", 5, 5)
    assert not approval_given("approved", 4, 5)  # a newer version came after the approval
    for status in ("accepted", "submitted", "asked", "declined", "withdrawn"):
        assert not approval_given(status, 5, 5)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_view_and_message_is_valid_block_kit_with_the_longest_hostile_text(lang):
    title = (HOSTILE * 5)[:TITLE_MAX]
    note = ("&" * NOTE_MAX)
    assert validate_view(blocks.build_request_modal(lang, date(2027, 4, 1))) == []
    assert validate_view(blocks.build_reason_modal("Q12", lang)) == []
    assert validate_view(blocks.build_return_modal("Q12", 34, lang)) == []
    dm = blocks.build_request_dm("Q12", title, "education", "UADMIN01", date(2027, 4, 20), note, lang, JST)
    assert validate_message_blocks(dm) == []
    assert "<!channel>" not in str(dm) and "&lt;!channel&gt;" in str(dm) and "…" in str(dm)  # cut before escaping
    for message in (blocks.build_answered("Q12", title, "ULECTURER1", "declined", None, "&" * REASON_MAX, lang),
                    blocks.build_answered("Q12", title, "ULECTURER1", "accepted", "C3", "", lang),
                    blocks.build_due("Q12", title, "C3", "week", date(2027, 4, 20), lang, JST),
                    blocks.build_review("Q12", title, "C3", "ULECTURER1", 2, 34, lang),
                    blocks.build_reviewed("Q12", title, "C3", 2, False, note, lang),
                    blocks.build_reviewed("Q12", title, "C3", 2, True, "", lang),
                    blocks.build_withdrawn("Q12", title, lang)):
        assert validate_message_blocks(message) == []
        assert "<!channel>" not in str(message)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_home_list_stays_within_a_section_however_many_and_long_the_requests(lang):
    lines = [RequestLine(code=f"Q{n}", title=(HOSTILE * 5)[:TITLE_MAX], theme="medical_welfare", lecturer="ULECTURER1",
                         due_on=date(2027, 4, 20), status=STATES[n % len(STATES)], case_code=f"C{n}")
             for n in range(1, 61)]
    shown = blocks.request_lines_blocks(lines, lang, JST)
    assert validate_message_blocks(shown) == []
    assert len(shown) == 1 + len(STATES) + 1
    text = str(shown)
    assert all(f"Q{n}" in text for n in (6, 12)) and "<!channel>" not in text
    assert blocks.request_lines_blocks([], lang, JST)[-1]["type"] == "context"


def test_the_grammar_reads_admin_request_and_its_withdrawal():
    from bot.core import grammar

    assert isinstance(grammar.parse("admin request", JST), grammar.RequestOpen)
    assert grammar.parse("admin request withdraw q12", JST) == grammar.RequestWithdraw(code="Q12")
    for typed, key in (("admin request withdraw C1", "usage.bad_code"), ("admin request withdraw", "usage.request"),
                       ("admin request now", "usage.request")):
        with pytest.raises(grammar.CommandError) as refused:
            grammar.parse(typed, JST)
        assert refused.value.key == key
