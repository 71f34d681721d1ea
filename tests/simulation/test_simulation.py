"""The year simulator in the suite: a bounded number of simulated years on SQLite, and on
PostgreSQL when JIREI_TEST_POSTGRES_URL is set; 0 violations of the invariants in invariants.py.
JIREI_SIMULATION_YEARS and JIREI_SIMULATION_STEPS run more (README: a long soak)."""

from __future__ import annotations

import os

import pytest

from tests.conftest import POSTGRES_URL
from tests.simulation import invariants as inv
from tests.simulation.runner import report, simulate

YEARS = int(os.environ.get("JIREI_SIMULATION_YEARS", "3"))
STEPS = int(os.environ.get("JIREI_SIMULATION_STEPS", "60"))


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=[pytest.mark.postgres, pytest.mark.skipif(
    not POSTGRES_URL, reason="set JIREI_TEST_POSTGRES_URL to run the PostgreSQL tests")])])
def test_simulated_years_break_no_invariant(backend):
    outcome = simulate(years=YEARS, steps_per_year=STEPS, seed=int(os.environ.get("JIREI_SIMULATION_SEED", "0")),
                       postgres_url=POSTGRES_URL if backend == "postgres" else None)
    print(report(outcome))
    assert outcome.failure is None, report(outcome)
    assert outcome.steps >= YEARS  # it ran
    assert all(outcome.checked.get(item.number, 0) >= outcome.steps for item in inv.INVARIANTS)
