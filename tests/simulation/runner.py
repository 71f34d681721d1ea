"""Running the year simulator with given settings, and reporting what it checked."""

from __future__ import annotations

import io
import os
import time
from contextlib import redirect_stdout
from dataclasses import dataclass

from hypothesis import HealthCheck, Phase, settings
from hypothesis.database import InMemoryExampleDatabase
from hypothesis import seed as fixed_seed
from hypothesis.stateful import run_state_machine_as_test

from tests.simulation import invariants as inv
from tests.simulation.machine import REACHED, STEPS, YearSimulation
from tests.simulation.world import Databases


@dataclass
class Outcome:
    years: int
    steps: int
    seconds: float
    checked: dict[int, int]
    failure: str | None  # the violation and the shortest sequence Hypothesis printed


def machine_for(postgres_url: str | None) -> type[YearSimulation]:
    class Simulation(YearSimulation):
        databases = Databases(postgres_url)
    Simulation.__name__ = YearSimulation.__name__  # the printed sequence reads `state = YearSimulation()`
    return Simulation


# Hypothesis stops shrinking after five minutes, and a year replayed through the real app takes seconds, so a
# long year is left half shrunk; run again on the same example database, it resumes where it stopped.
SHRINK_STOPPED = "stopped because it is making very slow progress"


def simulate(*, years: int, steps_per_year: int, seed: int | None, postgres_url: str | None = None,
             shrink: bool = True, shrink_rounds: int = 12) -> Outcome:
    """``years`` examples of up to ``steps_per_year`` steps; on a violation, Hypothesis shrinks it (for up
    to ``shrink_rounds`` rounds of its five minutes each, resumed from the example it had reached)."""
    machine = machine_for(postgres_url)
    if seed is not None:
        machine = fixed_seed(seed)(machine)
    phases = [Phase.explicit, Phase.generate] + ([Phase.shrink] if shrink else [])
    config = settings(max_examples=years, stateful_step_count=steps_per_year, deadline=None,
                      database=InMemoryExampleDatabase(), phases=phases, print_blob=False,
                      report_multiple_bugs=False, suppress_health_check=list(HealthCheck))
    steps_before, checked_before = sum(STEPS.values()), dict(inv.CHECKED)
    started = time.monotonic()
    failure = None
    for _ in range(max(1, shrink_rounds)):
        found = _run(machine, config)
        failure = found or failure  # a round that no longer fails (a flaky replay) keeps what the last one found
        if found is None or not shrink or SHRINK_STOPPED not in found:
            break
        config = settings(config, phases=[Phase.reuse, Phase.shrink])  # the best example so far, shrunk further
    return Outcome(years, sum(STEPS.values()) - steps_before, time.monotonic() - started,
                   {n: inv.CHECKED[n] - checked_before.get(n, 0) for n in sorted(inv.CHECKED)}, failure)


def _run(machine, config) -> str | None:
    """One run of Hypothesis: None, or the violation with the sequence it printed."""
    printed = io.StringIO()
    try:
        with redirect_stdout(printed):
            run_state_machine_as_test(machine, settings=config)
    except Exception as error:  # noqa: BLE001 - reported with the sequence, as the runner's result
        notes = "\n".join(getattr(error, "__notes__", []))
        for inner in getattr(error, "exceptions", ()):  # a flaky replay: say what each attempt saw
            notes += f"\n-- {type(inner).__name__}: {inner}\n" + "\n".join(getattr(inner, "__notes__", []))
        return f"{type(error).__name__}: {error}\n{notes}\n{printed.getvalue()}".strip()
    return None


def report(outcome: Outcome) -> str:
    lines = [f"years (examples) run: {outcome.years}; steps: {outcome.steps}; {outcome.seconds:.0f} s"]
    for item in inv.INVARIANTS:
        lines.append(f"  {item.number:2d}. {item.name}: checked {outcome.checked.get(item.number, 0)} times")
    lines.append("steps by rule: " + ", ".join(f"{name} {n}" for name, n in STEPS.most_common()))
    lines.append("reached: " + ", ".join(f"{name} {n}" for name, n in sorted(REACHED.items())))
    lines.append("violations: 0" if outcome.failure is None else "VIOLATION (shortest sequence):\n" + outcome.failure)
    return "\n".join(lines)


def postgres_from_env() -> str | None:
    return os.environ.get("JIREI_TEST_POSTGRES_URL")
