"""Benchmark: the anonymisation check on adversarial and ordinary text, its time and memory per MB at
growing sizes, texts per second, first check.

    python bench/bench_anonymisation.py [--sizes 1,4,16] [--adversarial-mb 1]

All figures come from one run:
- the first check in a fresh process (``python -c``), which loads the SudachiPy dictionary;
- texts per second over the case texts of the test corpora, checked one after another in this
  process (the dictionary already loaded);
- each adversarial repeat (``ADVERSARIAL_REPEATS``: "ア・" and other texts aimed at each rule) at
  1 MB against 1 MB of ordinary case texts, checked in this process: the ratio of their CPU times
  (goal ≤ 2);
- for each size, in a fresh process: reading, checking and proposing a text file of that many MB
  (the case texts repeated), as an upload or /jirei check does: the time per MB, its ratio to the
  smallest size's (a linear check stays near 1.0; goal ≤ 1.3), and the process's peak RSS, before
  the text and at its highest.
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


# Repeats aimed at each kind of rule: "・"/"＝"-joined katakana, kanji and names, numbers with
# hyphens, labels, honorifics, e-mail-like and handle-like text, facility and school words,
# address words, dates, spaces. tests/bot/test_anonymisation_scaling.py counts their work.
ADVERSARIAL_REPEATS = ("ア・", "ア＝", "アイウ・", "山田", "山", "1-", "1234-", " ", "氏名：", "様", "山田様",
                       "a@", "a@a.", "@a", "0-", "(0", "区", "山市", "1丁目", "店", "ア店", "ア小学校", "株式会社",
                       "山 12 あ ", "昭和1年", "Ab ", "ア ", "LINE:", "あ 가 ", "娘 ก ")


def repeated_to(pattern: str, megabytes: float) -> str:
    return pattern * (int(megabytes * MB) // len(pattern.encode("utf-8")))


def first_check_seconds() -> float:
    code = ("import time; t = time.perf_counter(); from bot.core.anonymisation import check_text; "
            "check_text('相談者の山田太郎さん'); print(time.perf_counter() - t)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(done.stdout.strip())


# Run in a fresh process per size, so its peak RSS is that size's.
_ONE_SIZE = """
import resource, sys, time
from datetime import date
sys.path.insert(0, {root!r})
from bench.bench_anonymisation import case_texts, text_of_size
from bot.core.pseudonymisation import propose_file
propose_file("相談者の山田太郎さん".encode(), "case.txt", date(2026, 12, 1))
data = text_of_size(case_texts(), {size}).encode("utf-8")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.process_time()
proposed = propose_file(data, "case.txt", date(2026, 12, 1))
print(time.process_time() - started, before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
      len(proposed.proposal.replacements))
"""


def one_size(megabytes: float) -> tuple[float, int, int, int]:
    done = subprocess.run([sys.executable, "-c", _ONE_SIZE.format(root=str(ROOT), size=megabytes)], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    seconds, before, peak, found = done.stdout.split()
    return float(seconds), int(before), int(peak), int(found)


def cpu_seconds(text: str) -> float:
    started = time.process_time()
    check_text(text)
    return time.process_time() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1,4,16", help="text sizes in MB, comma-separated")
    parser.add_argument("--adversarial-mb", type=float, default=1.0, help="size of each adversarial text")
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

    size = args.adversarial_mb
    ordinary = cpu_seconds(text_of_size(texts, size))
    print(f"ordinary text, {size:g} MB: {ordinary:.2f} s of CPU")
    ratios = []
    for pattern in ADVERSARIAL_REPEATS:
        seconds = cpu_seconds(repeated_to(pattern, size))
        ratios.append((seconds / ordinary, pattern))
        print(f"  {pattern!r:>12} repeated to {size:g} MB: {seconds:6.2f} s, {seconds / ordinary:.2f}x ordinary")
    ordinary_again = cpu_seconds(text_of_size(texts, size))  # the machine is shared: measured twice
    print(f"ordinary text again: {ordinary_again:.2f} s")
    worst, pattern = max(ratios)
    over = [f"{p!r} {r:.2f}x" for r, p in sorted(ratios, reverse=True) if r > 2]
    print(f"worst adversarial / ordinary at {size:g} MB: {worst:.2f}x ({pattern!r}; goal <= 2); "
          f"over 2x: {', '.join(over) or 'none'}")

    per_mb: list[float] = []
    for size in sizes:
        seconds, before, peak, found = one_size(size)
        per_mb.append(seconds / size)
        print(f"{size:g} MB read, checked and proposed: {seconds:.1f} s of CPU, {per_mb[-1]:.2f} s per MB "
              f"(ratio to {sizes[0]:g} MB: {per_mb[-1] / per_mb[0]:.2f}), {found} replacements; peak RSS "
              f"{before / 1024:.0f} MiB before the text, {peak / 1024:.0f} MiB at most (+{(peak - before) / 1024:.0f} MiB)")
    print(f"worst time-per-MB ratio: {max(per_mb) / per_mb[0]:.2f} (goal <= 1.3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
