"""The client-side limiter, on a hand-moved monotonic clock."""

import pytest

from bot.delivery.pacing import TIER_3, Pacer, Rate


class Monotonic:
    def __init__(self) -> None:
        self.value = 100.0

    def __call__(self) -> float:
        return self.value


def test_a_burst_goes_at_once_then_calls_are_spaced_at_the_rate():
    clock = Monotonic()
    pacer = Pacer({"chat.postMessage": Rate(20.0, burst=3)}, monotonic=clock)
    waits = [pacer.reserve("chat.postMessage") for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.0, 0.0, 0.05, 0.10])
    clock.value += 1.0  # a quiet second refills the burst
    assert pacer.reserve("chat.postMessage") == 0.0


def test_retry_after_closes_the_gate_and_reopens_without_a_burst():
    clock = Monotonic()
    pacer = Pacer({"chat.postMessage": Rate(10.0, burst=5)}, monotonic=clock)
    pacer.rate_limited("chat.postMessage", 3.0)
    assert pacer.delay("chat.postMessage") == pytest.approx(3.0)
    assert not pacer.try_acquire("chat.postMessage")
    clock.value += 3.0
    assert [pacer.reserve("chat.postMessage") for _ in range(3)] == pytest.approx([0.0, 0.1, 0.2])


def test_methods_have_their_own_gates_and_unknown_ones_get_tier_three():
    clock = Monotonic()
    pacer = Pacer({"chat.postMessage": Rate(1.0)}, monotonic=clock)
    pacer.reserve("chat.postMessage")
    assert pacer.delay("chat.postMessage") == pytest.approx(1.0)
    assert pacer.delay("conversations.history") == 0.0
    assert pacer.rate("some.new_method") == TIER_3


def test_try_acquire_books_only_a_free_slot():
    clock = Monotonic()
    pacer = Pacer({"chat.update": Rate(1.0, burst=1)}, monotonic=clock)
    assert pacer.try_acquire("chat.update")
    assert not pacer.try_acquire("chat.update")
    clock.value += 1.0
    assert pacer.try_acquire("chat.update")


def test_a_rate_must_be_positive():
    with pytest.raises(ValueError):
        Rate(0)
