"""The checker's structure: its work grows in proportion to the text whatever the text repeats,
checks in several threads at once never share a tokenizer, and a text checked chunk by chunk gives
the findings of the whole text, cuts included.

Work is counted, not timed: the function calls a check makes (cProfile's count, C functions
included: every regex call, every tokenisation, every token built). The old walk back over
"ア・ア・…" showed as millions of regex calls per 100,000 characters. The time per MB, adversarial
against ordinary text, is measured by bench/bench_anonymisation.py."""

from __future__ import annotations

import cProfile
import pstats
import threading

import pytest

from bench.bench_anonymisation import ADVERSARIAL_REPEATS, case_texts, text_of_size
from bot.core import anonymisation
from bot.core.anonymisation import check_text

def calls(text: str) -> int:
    profile = cProfile.Profile()
    profile.enable()
    check_text(text)
    profile.disable()
    return pstats.Stats(profile).total_calls


def repeated(pattern: str, characters: int) -> str:
    return pattern * (characters // len(pattern))


@pytest.mark.parametrize("pattern", ADVERSARIAL_REPEATS)
def test_work_grows_in_proportion_to_an_adversarial_repeat(pattern):
    check_text("相談者の山田さん")  # the dictionary is loaded before counting
    small, large = calls(repeated(pattern, 10_000)), calls(repeated(pattern, 40_000))
    assert large <= 4.6 * small, f"{pattern!r}: {small} calls at 10,000 characters, {large} at 40,000"


def test_a_megabyte_of_dotted_katakana_costs_no_more_work_than_ordinary_text():
    """The attack's own text, "ア・" repeated to 1 MB, against 1 MB of case texts: at most twice
    the work (it took 33 s for 800,000 characters and grew with the square of its length)."""
    ordinary = calls(text_of_size(case_texts(), 1))
    adversarial = calls(repeated("ア・", 1_000_000 // 3))
    assert adversarial <= 2 * ordinary, (adversarial, ordinary)


def test_each_thread_checks_with_its_own_tokenizer_from_one_dictionary():
    texts = [f"相談者の{name}さん（090-1234-{5000 + i}）は{place}に住んでいる。" * 40
             for i, (name, place) in enumerate([("山田花子", "東京都新宿区西新宿2-8-1"), ("グエン・ヴァン・アン", "大阪市"),
                                                ("陳美玲", "名古屋市中区栄1-1"), ("マリア・サントス", "浜松市")] * 4)]
    alone = [check_text(text) for text in texts]
    start = threading.Barrier(len(texts))
    found: dict[int, list] = {}
    tokenizers: dict[int, object] = {}
    failures: list[BaseException] = []

    def check(i: int) -> None:
        start.wait()
        try:
            for _ in range(3):
                found[i] = check_text(texts[i])
            tokenizers[i] = anonymisation._sudachi()
        except BaseException as failure:  # noqa: BLE001 - reported below
            failures.append(failure)

    threads = [threading.Thread(target=check, args=(i,)) for i in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert [found[i] for i in range(len(texts))] == alone
    assert len({id(tokenizer) for tokenizer in tokenizers.values()}) == len(texts)
    assert anonymisation._loaded_dictionary() is anonymisation._loaded_dictionary()


def chunked(text: str, monkeypatch, chars: int) -> list:
    with monkeypatch.context() as patch:
        patch.setattr(anonymisation, "_CHUNK_CHARS", chars)
        return check_text(text)


def test_chunks_cut_at_line_and_sentence_ends_give_the_findings_of_the_whole_text(monkeypatch):
    text = text_of_size(case_texts(), 0.15)
    cuts = list(anonymisation._chunks(text))
    assert len(cuts) > 1 and cuts[-1][1] == len(text)
    whole = chunked(text, monkeypatch, 10 ** 9)
    assert len(whole) > 500
    small = chunked(text, monkeypatch, 3_000)
    assert small == whole


def test_a_name_or_number_over_a_cut_in_one_long_sentence_is_found_whole(monkeypatch):
    """A line with no sentence end is cut where SudachiPy's pieces are cut anyway; what runs over
    the cut is read by the chunk it starts in, with the context after it."""
    pieces = ["相談者の山田太郎さん、", "電話090-1234-5678、", "グエン・ヴァン・アンさん、", "東京都新宿区西新宿2-8-1、",
              "〒123-4567、", "ひまわり保育園、", "a@example.com、", "ア・イ・"]
    text = "".join(pieces[(i * 7 + i // 3) % len(pieces)] for i in range(3_000))
    monkeypatch.setattr(anonymisation, "_SUDACHI_CHUNK", 500)  # cuts every 500 characters, not 2,000
    whole = chunked(text, monkeypatch, 10 ** 9)
    small = chunked(text, monkeypatch, 4_000)
    monkeypatch.setattr(anonymisation, "_CHUNK_CHARS", 4_000)
    cuts = [end for _, end in anonymisation._chunks(text)][:-1]
    assert len(cuts) > 5 and all(cut % 500 == 0 for cut in cuts)
    assert small == whole
    over_a_cut = [f for f in whole if any(f.column - 1 < cut < f.column - 1 + len(f.text) for cut in cuts)]
    assert over_a_cut  # findings that straddle a cut, found whole
