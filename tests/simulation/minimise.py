"""python -m tests.simulation.minimise REPORT INVARIANT TEXT

Delta debugging of a sequence the simulator printed. REPORT is its output (the steps after "Failing test
case"). Steps are removed, first whole rules and then chunks, for as long as the same violation still
happens: invariant number INVARIANT, with TEXT in its detail. Each trial is replayed through the machine
as the regression tests replay theirs. Hypothesis stops shrinking after five minutes; this goes on, and
prints the shortest sequence it reached.
"""

from __future__ import annotations

import ast
import logging
import re
import sys

from tests.simulation import invariants as inv
from tests.simulation.test_regressions import CheckedYear

Step = tuple[str, dict]


def read_steps(report: str) -> list[Step]:
    steps = []
    for line in report.split("Failing test case", 1)[-1].splitlines():
        found = re.match(r"state\.(\w+)\((.*)\)$", line.strip())
        if found and found.group(1) not in ("everything_that_must_hold", "teardown"):
            call = ast.parse(f"f({found.group(2)})").body[0].value
            steps.append((found.group(1), {k.arg: ast.literal_eval(k.value) for k in call.keywords}))
    return steps


def breaks(steps: list[Step], number: int, text: str) -> bool:
    """Does this sequence still break invariant `number` with `text` in the detail?"""
    year = CheckedYear()
    try:
        year.machine.everything_that_must_hold()
        for rule, arguments in steps:
            getattr(year, rule)(**arguments)
    except inv.Violation as violation:
        return violation.number == number and text in str(violation)
    finally:
        year.machine.teardown()
    return False


def minimise(steps: list[Step], still_breaks) -> list[Step]:
    for rule in sorted({r for r, _ in steps} - {"poll_groups_formed"}):  # whole rules first: cheap and large
        trial = [s for s in steps if s[0] != rule]
        if len(trial) < len(steps) and still_breaks(trial):
            steps = trial
    parts = 2
    while len(steps) >= 2:  # then ddmin's chunks, halving until single steps
        size = max(1, len(steps) // parts)
        for start in range(0, len(steps), size):
            trial = steps[:start] + steps[start + size:]
            if trial and still_breaks(trial):
                steps, parts = trial, max(parts - 1, 2)
                break
        else:
            if size == 1:
                return steps
            parts = min(len(steps), parts * 2)
    return steps


def main(argv: list[str]) -> int:
    report, number, text = open(argv[0], encoding="utf-8").read(), int(argv[1]), argv[2]
    logging.basicConfig(level=logging.CRITICAL)
    steps = read_steps(report)
    if not breaks(steps, number, text):
        print("the sequence does not break that invariant on this code", file=sys.stderr)
        return 1
    shortest = minimise(steps, lambda trial: breaks(trial, number, text))
    print(f"{len(steps)} steps → {len(shortest)}")
    for rule, arguments in shortest:
        print(f"state.{rule}(" + ", ".join(f"{k}={v!r}" for k, v in arguments.items()) + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
