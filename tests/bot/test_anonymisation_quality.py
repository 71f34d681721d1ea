"""The checker against the project's own corpus (tests/bot/anonymisation_corpus): 79 case texts in
相談の概要／経過／課題 form across the seven themes and その他, every kind planted, and clean texts written with
pseudonyms, public helplines and agency names. ``python bench/anonymisation_quality.py --misses``
prints the same figures with every miss."""

from __future__ import annotations

import pytest

from bench.anonymisation_quality import CORPUS, CorpusText, load_corpus, measure, parse_marks, report
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


def test_a_mark_of_a_kind_the_checker_lacks_is_refused_or_counted_as_a_miss():
    source = "番号 [[no_such_kind|XZ-0001]] の件"
    with pytest.raises(ValueError, match="no_such_kind"):
        parse_marks(source)
    text, planted = parse_marks(source, allow_unknown_kinds=True)
    assert text == "番号 XZ-0001 の件"
    assert [(p.kind, text[p.start:p.end]) for p in planted] == [("no_such_kind", "XZ-0001")]
    quality = measure([CorpusText("unknown-kind", "test", text, planted)])
    assert (quality.planted["no_such_kind"], quality.found["no_such_kind"]) == (1, 0)
    assert "no_such_kind" in report(quality)
