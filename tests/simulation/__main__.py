"""python -m tests.simulation --years 3 --seed N [--steps 200] [--postgres]

Runs N simulated years (Hypothesis examples) through the real app and prints the number of steps,
each invariant with how many times it was checked, and any violation with the shortest sequence
of steps that causes it. Exit 1 on a violation."""

from __future__ import annotations

import argparse
import logging
import sys

from tests.simulation.runner import postgres_from_env, report, simulate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.simulation", description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=1, help="simulated years (examples) to run")
    parser.add_argument("--seed", type=int, default=None, help="Hypothesis seed (the same seed, the same years)")
    parser.add_argument("--steps", type=int, default=200, help="steps per simulated year at most")
    parser.add_argument("--postgres", action="store_true",
                        help="on PostgreSQL (JIREI_TEST_POSTGRES_URL; a fresh database per year)")
    parser.add_argument("--no-shrink", action="store_true", help="report a violation as found, unshrunk")
    parser.add_argument("--shrink-rounds", type=int, default=12,
                        help="rounds of Hypothesis' five-minute shrinking at most, each resuming the last")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.CRITICAL)  # the report is the output
    url = postgres_from_env() if args.postgres else None
    if args.postgres and not url:
        print("set JIREI_TEST_POSTGRES_URL for --postgres", file=sys.stderr)
        return 2
    outcome = simulate(years=args.years, steps_per_year=args.steps, seed=args.seed, postgres_url=url,
                       shrink=not args.no_shrink, shrink_rounds=args.shrink_rounds)
    print(report(outcome))
    return 0 if outcome.failure is None else 1


if __name__ == "__main__":
    sys.exit(main())
