"""Recall and precision of the anonymisation checker, per kind, on the project's corpus.

    python bench/anonymisation_quality.py [--corpus DIR] [--misses] [--allow-unknown-kinds]

The corpus (tests/bot/anonymisation_corpus/*.yaml) holds case texts in 相談の概要／経過／課題 form
with their planted identifiers marked ``[[kind|text]]``; texts without marks are clean and must
raise nothing. A planted identifier is found when a finding of the same kind covers all of it;
a finding is right when it overlaps a planted identifier (of any kind: it still protects it).
Findings come in two tiers: confident, and 要確認 (to check: a weaker signal shown apart). Recall
counts both tiers (and, separately, the confident tier alone); precision is measured on the confident
tier, the one the proposal replaces without asking.
A batch written before the checker knew a kind (e.g. case_number) is refused unless
--allow-unknown-kinds is given: then such identifiers are counted, and missed, under their own kind.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core.anonymisation import KINDS, Finding, check_text  # noqa: E402

CORPUS = ROOT / "tests/bot/anonymisation_corpus"
MARK = re.compile(r"\[\[(?P<kind>[a-z_]+)\|(?P<text>[^\]|]+)\]\]")


@dataclass(frozen=True)
class Planted:
    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class CorpusText:
    id: str
    theme: str
    text: str
    planted: tuple[Planted, ...]


def parse_marks(source: str, allow_unknown_kinds: bool = False) -> tuple[str, tuple[Planted, ...]]:
    """The text with its marks resolved, and where each planted identifier sits in it."""
    parts: list[str] = []
    planted: list[Planted] = []
    position = length = 0
    for mark in MARK.finditer(source):
        parts.append(source[position:mark.start()])
        length += mark.start() - position
        kind, text = mark.group("kind"), mark.group("text")
        if kind not in KINDS and not allow_unknown_kinds:
            raise ValueError(f"unknown kind {kind!r} in {text!r}")
        planted.append(Planted(kind, length, length + len(text)))
        parts.append(text)
        length += len(text)
        position = mark.end()
    parts.append(source[position:])
    return "".join(parts), tuple(planted)


def load_corpus(directory: Path = CORPUS, allow_unknown_kinds: bool = False) -> list[CorpusText]:
    texts: list[CorpusText] = []
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for entry in data["texts"]:
            text, planted = parse_marks(entry["text"], allow_unknown_kinds)
            texts.append(CorpusText(entry["id"], data["theme"], text, planted))
    return texts


def offsets(text: str, finding: Finding) -> tuple[int, int]:
    line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    start = line_starts[finding.line - 1] + finding.column - 1
    return start, start + len(finding.text)


@dataclass
class Quality:
    planted: Counter = field(default_factory=Counter)
    found: Counter = field(default_factory=Counter)
    found_confident: Counter = field(default_factory=Counter)
    flagged_check: int = 0
    flagged: Counter = field(default_factory=Counter)
    right: Counter = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)  # 要確認 findings that cover nothing planted

    def recall(self, kind: str | None = None) -> float:
        planted = self.planted[kind] if kind else sum(self.planted.values())
        found = self.found[kind] if kind else sum(self.found.values())
        return found / planted if planted else 1.0

    def recall_confident(self) -> float:
        planted = sum(self.planted.values())
        return sum(self.found_confident.values()) / planted if planted else 1.0

    def precision(self, kind: str | None = None) -> float:
        flagged = self.flagged[kind] if kind else sum(self.flagged.values())
        right = self.right[kind] if kind else sum(self.right.values())
        return right / flagged if flagged else 1.0


def measure(texts: list[CorpusText]) -> Quality:
    quality = Quality()
    for case in texts:
        spans = [(finding, *offsets(case.text, finding)) for finding in check_text(case.text)]
        for planted in case.planted:
            quality.planted[planted.kind] += 1
            covering = [f for f, s, e in spans if f.kind == planted.kind and s <= planted.start and planted.end <= e]
            if covering:
                quality.found[planted.kind] += 1
                if any(f.tier == "confident" for f in covering):
                    quality.found_confident[planted.kind] += 1
            else:
                got = [f"{f.kind}「{case.text[s:e]}」" for f, s, e in spans if s < planted.end and planted.start < e]
                quality.misses.append(f"{case.id} {planted.kind}「{case.text[planted.start:planted.end]}」"
                                      f" got {', '.join(got) or 'nothing'}")
        for finding, start, end in spans:
            if finding.tier != "confident":
                quality.flagged_check += 1
                continue
            quality.flagged[finding.kind] += 1
            if any(p.start < end and start < p.end for p in case.planted):
                quality.right[finding.kind] += 1
            else:
                quality.false_alarms.append(f"{case.id} {finding.kind}「{finding.text}」")
        quality.checks.extend(f"{case.id} {f.kind}「{f.text}」" for f, s, e in spans if f.tier != "confident"
                              and not any(p.start < e and s < p.end for p in case.planted))
    return quality


def report(quality: Quality) -> str:
    lines = [f"{'kind':<18}{'planted':>8}{'found':>7}{'recall':>8}{'flagged':>9}{'precision':>10}"
             "   (found: either tier; flagged and precision: confident tier)"]
    unknown = sorted(kind for kind in quality.planted if kind not in KINDS)
    for kind in (*KINDS, *unknown):
        if quality.planted[kind] or quality.flagged[kind]:
            lines.append(f"{kind:<18}{quality.planted[kind]:>8}{quality.found[kind]:>7}"
                         f"{quality.recall(kind):>8.2f}{quality.flagged[kind]:>9}{quality.precision(kind):>10.2f}")
    lines.append(f"{'overall':<18}{sum(quality.planted.values()):>8}{sum(quality.found.values()):>7}"
                 f"{quality.recall():>8.2f}{sum(quality.flagged.values()):>9}{quality.precision():>10.2f}")
    lines.append(f"recall, both tiers {quality.recall():.2f}; confident tier alone "
                 f"{quality.recall_confident():.2f}; precision (confident tier) {quality.precision():.2f}; "
                 f"要確認 findings {quality.flagged_check} ({len(quality.checks)} covering nothing planted)")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--misses", action="store_true", help="also list every miss and false alarm")
    parser.add_argument("--allow-unknown-kinds", action="store_true",
                        help="count identifiers of kinds the checker does not know as misses instead of refusing")
    args = parser.parse_args()
    try:
        texts = load_corpus(args.corpus, args.allow_unknown_kinds)
    except ValueError as error:
        print(f"{error}; --allow-unknown-kinds counts such marks as misses", file=sys.stderr)
        return 2
    quality = measure(texts)
    clean = sum(1 for text in texts if not text.planted)
    print(f"{len(texts)} texts ({clean} clean), {len({t.theme for t in texts})} themes")
    print(report(quality))
    if args.misses:
        print("\nmisses:", *quality.misses, sep="\n  ")
        print("false alarms (confident):", *quality.false_alarms, sep="\n  ")
        print("要確認 covering nothing planted:", *quality.checks, sep="\n  ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
