"""The .ics invite: one VEVENT, a UID stable per session, UTC times, text in the person's language."""

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from icalendar import Calendar

from bot.core.calendar import session_ics
from storage.models import CaseSession

JST = ZoneInfo("Asia/Tokyo")


def make_session(**changes) -> CaseSession:
    values = dict(
        id=7, kind="official", case_id=1, bureau="fukuoka", starts_at=datetime(2027, 6, 10, 14, 0, tzinfo=JST),
        minutes=120, capacity=30, min_participants=5, deadline_at=datetime(2027, 6, 1, 17, 0, tzinfo=JST),
        release_at=None, format="hybrid", place=None, online_url="https://meet.example.jp/lecturer",
        status="confirmed", created_by="cli", created_at=datetime(2027, 4, 1, tzinfo=timezone.utc),
        decided_at=datetime(2027, 6, 1, 8, 0, tzinfo=timezone.utc), title=None,
    )
    values.update(changes)
    return CaseSession(**values)


def event_of(data: bytes):
    calendar = Calendar.from_ical(data)
    events = [c for c in calendar.walk() if c.name == "VEVENT"]
    assert len(events) == 1
    return calendar, events[0]


def test_japanese_invite_has_utc_times_and_localised_text():
    data = session_ics(make_session(), "医療通訳が見つからない妊婦への支援", "ja", JST)
    calendar, event = event_of(data)
    assert calendar["method"] == "PUBLISH"
    assert b"DTSTART:20270610T050000Z" in data and b"DTEND:20270610T070000Z" in data
    assert event.decoded("dtstart") == datetime(2027, 6, 10, 5, 0, tzinfo=timezone.utc)
    assert str(event["summary"]) == "事例検討会「医療通訳が見つからない妊婦への支援」"
    assert str(event["location"]) == "福岡出入国在留管理局"
    description = str(event["description"])
    assert "14:00" in description and "（120分）" in description and "S7" in description
    assert "守秘義務" in description
    assert str(event["status"]) == "CONFIRMED"
    # At a hybrid session the URL is the lecturer's: participants meet at the bureau.
    assert "meet.example.jp" not in data.decode()


def test_english_invite_for_an_online_exchange_carries_the_url():
    item = make_session(kind="exchange", case_id=None, format="online", online_url="https://meet.example.jp/x",
                        status="open", bureau="tokyo")
    _, event = event_of(session_ics(item, None, "en", JST))
    assert str(event["summary"]) == "Exchange meeting"
    assert str(event["location"]) == "Online"
    assert "Meeting URL: https://meet.example.jp/x" in str(event["description"])
    assert str(event["url"]) == "https://meet.example.jp/x"
    assert str(event["status"]) == "TENTATIVE"


def test_uid_is_stable_per_session_and_a_cancellation_supersedes_the_invite():
    first = event_of(session_ics(make_session(), "A", "ja", JST))[1]
    again = event_of(session_ics(make_session(), "A", "en", JST))[1]
    other = event_of(session_ics(make_session(id=8), "A", "ja", JST))[1]
    cancelled = event_of(session_ics(make_session(status="cancelled"), "A", "ja", JST))[1]
    assert str(first["uid"]) == str(again["uid"]) == str(cancelled["uid"]) != str(other["uid"])
    assert str(cancelled["status"]) == "CANCELLED" and cancelled["sequence"] > first["sequence"]
    assert "中止" in str(cancelled["description"])


def test_same_session_gives_the_same_bytes():
    # No clock inside: the stamp comes from the session, so the invite is reproducible.
    assert session_ics(make_session(), "A", "ja", JST) == session_ics(make_session(), "A", "ja", JST)


def test_place_is_named_with_the_bureau():
    _, event = event_of(session_ics(make_session(place="第2会議室"), "A", "en", JST))
    assert str(event["location"]) == "第2会議室 (Fukuoka Regional Immigration Services Bureau)"
