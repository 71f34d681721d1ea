import hashlib
import random
from datetime import datetime, timedelta, timezone

import pytest

from bot.core.lottery import Applicant, draw, ticket

JST = timezone(timedelta(hours=9))
OPENED = datetime(2026, 5, 1, 9, 0, tzinfo=JST)
SEED = "S3|2026-06-01T17:00:00+09:00"


def applicant(user_id: str, previous: int = 0, minutes_after_opening: int = 0) -> Applicant:
    return Applicant(user_id, OPENED + timedelta(minutes=minutes_after_opening), previous)


def first_timers(count: int, prefix: str = "F") -> list[Applicant]:
    return [applicant(f"{prefix}{i}", 0, i) for i in range(count)]


def repeaters(count: int, prefix: str = "R") -> list[Applicant]:
    return [applicant(f"{prefix}{i}", 1 + i % 3, i) for i in range(count)]


def test_ticket_is_the_documented_sha256_so_anyone_can_recompute_it():
    assert ticket(SEED, "U123") == hashlib.sha256(f"{SEED}U123".encode()).hexdigest()


def test_the_draw_is_reproducible_and_ignores_input_order():
    applicants = first_timers(6) + repeaters(6)
    reordered = applicants[:]
    random.Random(7).shuffle(reordered)
    assert draw(applicants, 5, SEED) == draw(reordered, 5, SEED)


def test_draw_order_within_a_tier_is_the_order_of_tickets():
    applicants = first_timers(8)
    result = draw(applicants, 3, SEED)
    expected = sorted((a.user_id for a in applicants), key=lambda u: ticket(SEED, u))
    assert result.winners + result.waitlist == expected


def test_first_timers_win_before_anyone_who_attended_before():
    applicants = repeaters(5) + first_timers(5)
    result = draw(applicants, 3, SEED)
    assert all(user_id.startswith("F") for user_id in result.winners)
    assert [u[0] for u in result.waitlist] == ["F", "F", "R", "R", "R", "R", "R"]


def test_repeaters_fill_the_seats_first_timers_leave():
    result = draw(repeaters(5) + first_timers(3), 5, SEED)
    assert sorted(result.winners[:3]) == ["F0", "F1", "F2"]
    assert all(user_id.startswith("R") for user_id in result.winners[3:] + result.waitlist)
    repeat_order = sorted((f"R{i}" for i in range(5)), key=lambda u: ticket(SEED, u))
    assert result.winners[3:] + result.waitlist == repeat_order


def test_everyone_wins_when_there_are_enough_seats():
    applicants = first_timers(4) + repeaters(4)
    result = draw(applicants, 8, SEED)
    assert sorted(result.winners) == sorted(a.user_id for a in applicants)
    assert result.waitlist == []
    assert draw(applicants, 20, SEED).waitlist == []


def test_no_seats_puts_everyone_on_the_waitlist_in_draw_order():
    result = draw(first_timers(3), 0, SEED)
    assert result.winners == []
    assert result.waitlist == [entry["user_id"] for entry in result.trace]


def test_application_time_and_number_of_past_attendances_do_not_matter():
    early = [applicant("A", 1, 0), applicant("B", 4, 500), applicant("C", 0, 1), applicant("D", 0, 900)]
    late = [applicant("A", 7, 900), applicant("B", 1, 0), applicant("C", 0, 900), applicant("D", 0, 0)]
    assert draw(early, 2, SEED).winners == draw(late, 2, SEED).winners
    assert draw(early, 2, SEED).waitlist == draw(late, 2, SEED).waitlist


def test_a_different_seed_gives_a_different_order():
    applicants = first_timers(10)
    orders = {tuple(draw(applicants, 3, f"S{i}").winners) for i in range(5)}
    assert len(orders) > 1


def test_trace_explains_every_applicant():
    applicants = repeaters(2) + first_timers(2)
    result = draw(applicants, 3, SEED)
    assert [entry["position"] for entry in result.trace] == [1, 2, 3, 4]
    assert [entry["user_id"] for entry in result.trace] == result.winners + result.waitlist
    by_user = {entry["user_id"]: entry for entry in result.trace}
    assert by_user["F0"]["tier"] == "first_time"
    assert by_user["R1"]["tier"] == "returning"
    assert by_user["R1"]["previous_attendances"] == 2
    assert by_user["F1"]["applied_at"] == (OPENED + timedelta(minutes=1)).isoformat()
    for entry in result.trace:
        assert entry["ticket"] == ticket(SEED, entry["user_id"])
        assert entry["outcome"] == ("won" if entry["user_id"] in result.winners else "waitlisted")


def test_every_first_timer_wins_about_equally_often_over_many_seeds():
    # 3 seats among 10 first-timers over 3,000 fixed seeds: each should win about 900 times.
    # The seeds are fixed, so this is a deterministic check of the hash's fairness; the bound is
    # the chi-square critical value for 9 degrees of freedom at p = 0.001.
    applicants = first_timers(10)
    wins = dict.fromkeys((a.user_id for a in applicants), 0)
    firsts = dict.fromkeys(wins, 0)
    rounds = 3000
    for i in range(rounds):
        result = draw(applicants, 3, f"S{i}|2026-06-01T17:00:00+09:00")
        for user_id in result.winners:
            wins[user_id] += 1
        firsts[result.winners[0]] += 1

    def chi_square(observed: dict[str, int], expected: float) -> float:
        return sum((count - expected) ** 2 / expected for count in observed.values())

    assert chi_square(wins, rounds * 3 / 10) < 27.88
    assert chi_square(firsts, rounds / 10) < 27.88


def test_invalid_input_is_rejected():
    with pytest.raises(ValueError):
        draw(first_timers(2), -1, SEED)
    with pytest.raises(ValueError):
        draw([applicant("U1"), applicant("U1", 2)], 1, SEED)
    with pytest.raises(ValueError):
        draw([applicant("U1", -1)], 1, SEED)
