"""Benchmark: the anonymisation check's time per MB at growing sizes, texts per second, first check.

    python bench/bench_anonymisation.py [--sizes 1,4,16]

All figures come from one run:
- the first check in a fresh process (``python -c``), which loads the SudachiPy dictionary;
- texts per second over the case texts of the test corpora, checked one after another in this
  process (the dictionary already loaded);
- the time per MB of one text of each size (the corpora repeated), and each size's time per MB
  divided by the smallest size's: a linear check stays near 1.0 (goal ≤ 1.3).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core.anonymisation import check_text  # noqa: E402

MARK = re.compile(r"\[\[[a-z_]+\|(?P<text>[^\]|]+)(?:\|[^\]]*)?\]\]")
MB = 1_000_000


def case_texts() -> list[str]:
    """Every case text of the test corpora, identifiers planted."""
    texts = [MARK.sub(lambda m: m.group("text"), path.read_text(encoding="utf-8"))
             for path in sorted((ROOT / "tests/bot/corpus").glob("*.txt"))]
    corpus = ROOT / "tests/bot/anonymisation_corpus"
    if corpus.is_dir():
        from bench.anonymisation_quality import load_corpus

        texts += [case.text for case in load_corpus(corpus)]
    return texts


def text_of_size(texts: list[str], megabytes: float) -> str:
    base = "\n".join(texts)
    wanted = int(megabytes * MB)
    text = base * (wanted // len(base.encode("utf-8")) + 1)
    return text[:len(text) * wanted // len(text.encode("utf-8"))]


def first_check_seconds() -> float:
    code = ("import time; t = time.perf_counter(); from bot.core.anonymisation import check_text; "
            "check_text('相談者の山田太郎さん'); print(time.perf_counter() - t)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(done.stdout.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1,4,16", help="text sizes in MB, comma-separated")
    args = parser.parse_args()
    sizes = [float(size) for size in args.sizes.split(",")]

    print(f"first check in a fresh process (dictionary load included): {first_check_seconds():.2f} s")
    texts = case_texts()
    check_text(texts[0])
    started = time.perf_counter()
    for text in texts:
        check_text(text)
    elapsed = time.perf_counter() - started
    average = sum(len(text) for text in texts) / len(texts)
    print(f"case texts: {len(texts)} texts (average {average:.0f} characters) in {elapsed:.2f} s: "
          f"{len(texts) / elapsed:.1f} texts/s")

    per_mb: list[float] = []
    for size in sizes:
        text = text_of_size(texts, size)
        started = time.perf_counter()
        check_text(text)
        seconds = time.perf_counter() - started
        per_mb.append(seconds / size)
        print(f"{size:g} MB ({len(text):,} characters): {seconds:.1f} s, {per_mb[-1]:.2f} s per MB, "
              f"ratio to {sizes[0]:g} MB: {per_mb[-1] / per_mb[0]:.2f}")
    worst = max(per_mb) / per_mb[0]
    print(f"worst time-per-MB ratio: {worst:.2f} (goal <= 1.3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
