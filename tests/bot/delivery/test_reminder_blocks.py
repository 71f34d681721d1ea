"""The pure builders of bot/sessions/reminder_blocks.py."""

from datetime import datetime, timezone

from bot.delivery.progress import build_fanout_progress
from bot.sessions.reminder_blocks import ReminderView, build_reminder, time_until


def view(**changes) -> ReminderView:
    values = dict(session_code="S3", title="在留資格の変更 <@here>", starts_at=datetime(2027, 5, 15, 5, 0, tzinfo=timezone.utc),
                  minutes=120, format="online", place="会議室", online_url="https://meet.example/x",
                  role="participant", offset_minutes=24 * 60)
    values.update(changes)
    return ReminderView(**values)


def test_reminder_in_japanese_shows_japan_time_and_weekday():
    text, blocks = build_reminder(view(), "ja")
    assert "2027年5月15日(土) 14:00" in text
    body = str(blocks)
    assert "*明日* です" in body and "https://meet.example/x" in body
    assert "会議室" not in body  # online only: no venue
    assert "<@here>" not in body and "&lt;@here&gt;" in body


def test_reminder_in_english_and_hybrid_hides_the_link_from_participants():
    text, blocks = build_reminder(view(format="hybrid", offset_minutes=60), "en")
    body = str(blocks)
    assert text.startswith("Reminder: S3")
    assert "in an hour" in body and "会議室" in body and "meet.example" not in body
    _, lecturer_blocks = build_reminder(view(format="hybrid", role="lecturer"), "en")
    assert "meet.example" in str(lecturer_blocks)


def test_time_until_picks_the_largest_whole_unit():
    assert time_until(3 * 24 * 60, "ja") == "3日後"
    assert time_until(90, "en") == "in 90 minutes"


def test_time_until_says_tomorrow_a_week_and_an_hour_as_people_do():
    assert [time_until(m, "ja") for m in (24 * 60, 7 * 24 * 60, 60, 120)] == ["明日", "1週間後", "1時間後", "2時間後"]
    assert [time_until(m, "en") for m in (24 * 60, 7 * 24 * 60, 60)] == ["tomorrow", "in a week", "in an hour"]


def test_fanout_progress_text():
    assert build_fanout_progress(120, 300, 0, "ja", finished=False)[0] == "配信中 120/300"
    assert build_fanout_progress(300, 300, 2, "ja", finished=True)[0] == "配信完了 300/300（失敗 2件）"
    assert build_fanout_progress(300, 300, 0, "en", finished=True)[0] == "Sent 300/300"
