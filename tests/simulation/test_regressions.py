"""Sequences the year simulator found and shrank, kept as regular tests: each is the printed
sequence, run through the same machine, with every invariant checked after every step."""

from __future__ import annotations

from tests.simulation.machine import YearSimulation


def test_bureau_staff_help_names_their_bureau_not_its_code():
    """Invariant 6: `/jirei help` for Tokyo's bureau staff said 「担当地方局: tokyo」."""
    state = YearSimulation()
    try:
        state.everything_that_must_hold()
        state.look(person='USTAFFTKY', what='help')
        state.everything_that_must_hold()
    finally:
        state.teardown()
