"""The checker against the project's own corpus (tests/bot/anonymisation_corpus): 79 case texts in
相談の概要／経過／課題 form across the seven themes and その他, every kind planted, and clean texts written with
pseudonyms, public helplines and agency names. ``python bench/anonymisation_quality.py --misses``
prints the same figures with every miss."""

from __future__ import annotations

import pytest

from bench.anonymisation_quality import CORPUS, load_corpus, measure, report
from bot.core.anonymisation import KINDS, check_text

TEXTS = load_corpus(CORPUS)


def test_the_corpus_covers_every_theme_and_kind():
    assert len(TEXTS) >= 60
    assert {text.theme for text in TEXTS} >= {"medical_welfare", "immigration", "education", "family_dv", "labor",
                                             "public_services", "culture_religion"}
    assert {p.kind for text in TEXTS for p in text.planted} == set(KINDS)
    assert sum(1 for text in TEXTS if not text.planted) >= 14


def test_recall_and_precision_overall_and_per_kind():
    quality = measure(TEXTS)
    print("\n" + report(quality))
    assert quality.recall() >= 0.97, quality.misses
    assert quality.precision() >= 0.95, quality.false_alarms
    for kind in KINDS:
        assert quality.recall(kind) >= 0.9, (kind, quality.misses)
        assert quality.precision(kind) >= 0.9, (kind, quality.false_alarms)


@pytest.mark.parametrize("text", [t for t in TEXTS if not t.planted], ids=lambda t: t.id)
def test_clean_texts_raise_nothing(text):
    assert [(f.kind, f.text) for f in check_text(text.text)] == []
