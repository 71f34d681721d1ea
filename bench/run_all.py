"""Run every benchmark in bench/ (bench_*.py), one after another, and print what each printed.

    python bench/run_all.py [--only peak,memory]

Each benchmark runs in its own process with its default arguments, so their figures do not disturb
one another. The exit code is non-zero if any benchmark failed (its own goal check or an error).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def benchmarks(only: set[str] | None = None) -> list[Path]:
    found = sorted(BENCH_DIR.glob("bench_*.py"))
    return [path for path in found if only is None or path.stem.removeprefix("bench_") in only]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated names, e.g. peak,queries")
    args = parser.parse_args()
    only = {name.strip() for name in args.only.split(",")} if args.only else None
    summary = []
    for path in benchmarks(only):
        print(f"\n=== {path.name} ===", flush=True)
        started = time.monotonic()
        # Benchmarks log warnings (retries, failures they provoke) to stderr; their figures are on stdout.
        result = subprocess.run([sys.executable, str(path)], cwd=BENCH_DIR.parent, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        print(result.stdout.rstrip())
        if result.returncode != 0:
            print(result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "(no error output)")
        summary.append((path.name, result.returncode, time.monotonic() - started))
    print("\n=== summary ===")
    for name, code, seconds in summary:
        print(f"{name:<28}{'ok' if code == 0 else f'exit {code}':<10}{seconds:7.1f} s")
    return 0 if all(code == 0 for _, code, _ in summary) else 1


if __name__ == "__main__":
    sys.exit(main())
