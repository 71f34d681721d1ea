"""SessionSpec owns the rules of a session's fields: a broken rule names its field, and the command,
the plan file and the study groups' proposals refuse the same things for the same reason."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.core.grammar import CommandError, parse
from bot.sessions import plan as plans
from bot.core.session_spec import MAX_CAPACITY, SessionSpec, SpecError

JST = ZoneInfo("Asia/Tokyo")
NOW = datetime(2035, 6, 1, tzinfo=timezone.utc)
START = NOW + timedelta(days=30)


def spec(**changes) -> SessionSpec:
    fields = dict(case="C1", bureau="tokyo", start=START, minutes=120, capacity=30, min_participants=5,
                  deadline=START - timedelta(days=7), release=START - timedelta(days=3))
    return SessionSpec(**(fields | changes))


@pytest.mark.parametrize("changes, field, key", [
    ({"bureau": "atlantis"}, "bureau", "sessions.error.unknown_bureau"),
    ({"format": "zoom"}, "format", "usage.bad_format"),
    ({"url": "http://meet.example.jp/abc"}, "url", "usage.bad_url"),
])
def test_a_field_that_breaks_its_own_rule_is_refused_when_the_spec_is_made(changes, field, key):
    with pytest.raises(SpecError) as caught:
        spec(**changes)
    assert (caught.value.field, caught.value.key) == (field, key)


@pytest.mark.parametrize("changes, field, key", [
    ({"start": NOW}, "start", "sessions.error.start_in_past"),
    ({"deadline": START}, "deadline", "sessions.error.deadline_after_start"),
    ({"release": START + timedelta(hours=1)}, "release", "sessions.error.release_after_start"),
    ({"minutes": 20}, "minutes", "sessions.error.minutes"),
    ({"min_participants": 0}, "min", "sessions.error.minimum"),
    ({"capacity": 4}, "capacity", "sessions.error.capacity_below_minimum"),
    ({"capacity": MAX_CAPACITY + 1}, "capacity", "sessions.error.capacity_too_large"),
])
def test_the_rules_between_fields_name_the_field_to_fix(changes, field, key):
    with pytest.raises(SpecError) as caught:
        spec(**changes).check(NOW)
    assert (caught.value.field, caught.value.key) == (field, key)


def test_a_valid_spec_passes_and_a_decided_session_may_be_past_its_deadline():
    spec().check(NOW)
    spec().check(START - timedelta(days=1), decided=True)
    with pytest.raises(SpecError):
        spec().check(START - timedelta(days=1))


def test_the_command_and_the_plan_file_refuse_the_same_link_and_format():
    command = ("admin session new case=C1 bureau=tokyo start=2035-07-08T10:00 minutes=120 capacity=30 min=5 "
               "deadline=2035-07-01T17:00 release=2035-07-05T09:00")
    plan_row = ("type,case,bureau,start,minutes,capacity,min,deadline,release,format,url\n"
                "session,C1,tokyo,2035-07-08 10:00,120,30,5,2035-07-01 17:00,2035-07-05 09:00,{format},{url}\n")
    for bad, key, column in (("url=http://meet.example.jp/abc", "usage.bad_url", "url"),
                             ("format=zoom", "usage.bad_format", "format")):
        with pytest.raises(CommandError) as refused:
            parse(f"{command} {bad}", JST)
        assert refused.value.key == key
        with pytest.raises(SpecError) as refused_spec:
            spec(**{column: bad.split("=", 1)[1]})
        assert refused_spec.value.key == key
        cells = {"format": "hybrid", "url": ""} | {column: bad.split("=", 1)[1]}
        with pytest.raises(plans.PlanError, match=rf"^row 2, {column}: "):
            plans.parse_plan(plan_row.format(**cells).encode(), "plan.csv", JST)
