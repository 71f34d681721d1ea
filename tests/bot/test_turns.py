"""Turns: the work after an ack runs a few at a time, in arrival order, modal openers first."""

import asyncio

import pytest

from bot.turns import Turns


async def _hold(turns: Turns, name: str, log: list[str], gate: asyncio.Event, *, urgent: bool = False) -> None:
    async with turns.turn(urgent=urgent):
        log.append(f"start {name}")
        await gate.wait()
        log.append(f"end {name}")


async def test_at_most_size_in_progress_and_the_rest_in_arrival_order():
    turns, log, gate = Turns(size=2), [], asyncio.Event()
    tasks = [asyncio.create_task(_hold(turns, str(n), log, gate)) for n in range(5)]
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert log == ["start 0", "start 1"]
    assert (turns.busy, turns.waiting) == (2, 3)
    gate.set()
    await asyncio.gather(*tasks)
    starts = [entry for entry in log if entry.startswith("start")]
    assert starts == [f"start {n}" for n in range(5)]
    assert (turns.busy, turns.waiting) == (0, 0)


async def test_a_modal_opener_goes_before_those_already_waiting():
    turns, log, gate = Turns(size=1), [], asyncio.Event()
    first = asyncio.create_task(_hold(turns, "first", log, gate))
    await asyncio.sleep(0)
    plain = asyncio.create_task(_hold(turns, "plain", log, gate))
    await asyncio.sleep(0)
    modal = asyncio.create_task(_hold(turns, "modal", log, gate, urgent=True))
    await asyncio.sleep(0)
    gate.set()
    await asyncio.gather(first, plain, modal)
    assert [entry for entry in log if entry.startswith("start")] == ["start first", "start modal", "start plain"]


async def test_a_cancelled_waiter_leaves_the_queue_and_a_failing_turn_is_given_back():
    turns, log, gate = Turns(size=1), [], asyncio.Event()
    holder = asyncio.create_task(_hold(turns, "holder", log, gate))
    await asyncio.sleep(0)
    waiter = asyncio.create_task(_hold(turns, "waiter", log, gate))
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert turns.waiting == 0
    gate.set()
    await holder

    with pytest.raises(RuntimeError):
        async with turns.turn():
            raise RuntimeError("the work failed")
    assert (turns.busy, turns.waiting) == (0, 0)
    async with turns.turn():  # the turn came back
        assert turns.busy == 1


def test_size_must_be_positive():
    with pytest.raises(ValueError):
        Turns(size=0)
