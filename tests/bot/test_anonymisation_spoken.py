"""Identifiers read out by voice input (issue 21, after blind batch 9): a residence card's letters and digits,
a My Number in three groups of four and an account number after its bank, spelled in kana, kanji or digits.
Inputs are generated: each rule is shown on a way of speaking, not on a string of the batch."""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.core.anonymisation import CONFIDENT, check_text

SPOKEN = {"0": ["ゼロ", "〇", "ぜろ"], "1": ["いち", "一", "イチ"], "2": ["に", "二", "ニ"], "3": ["さん", "三", "サン"],
          "4": ["よん", "四", "ヨン"], "5": ["ご", "ごー", "五", "ゴー"], "6": ["ろく", "六", "ロク"],
          "7": ["なな", "七", "ナナ"], "8": ["はち", "八", "ハチ"], "9": ["きゅう", "九", "キュウ"]}
LETTERS = {"A": "エー", "B": "ビー", "D": "ディー", "F": "エフ", "H": "エイチ", "J": "ジェイ", "K": "ケー", "L": "エル",
           "M": "エム", "N": "エヌ", "S": "エス", "T": "ティー"}
SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


def found(text: str, kind: str) -> list[str]:
    return [f.text for f in check_text(text) if f.kind == kind and f.tier == CONFIDENT]


def spoken(draw, digits: str) -> str:
    return "".join(draw(st.sampled_from(SPOKEN[d])) for d in digits)


DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=1)


@st.composite
def spoken_cards(draw):
    letters = [LETTERS[draw(st.sampled_from(sorted(LETTERS)))] for _ in range(4)]
    digits = "".join(draw(DIGITS) for _ in range(8))
    middle = digits if draw(st.booleans()) else spoken(draw, digits)
    gap = draw(st.sampled_from(["", "の"]))
    return f"{letters[0]}{letters[1]}{gap}{middle}{gap}{letters[2]}{letters[3]}"


@SETTINGS
@given(card=spoken_cards(), after=st.sampled_from(["", "マイナンバーは", "です"]))
def test_a_residence_card_read_out_is_found(card, after):
    assert found(f"在留カード番号は{card}{after}", "residence_card") == [card]


@st.composite
def spoken_twelve(draw):
    digits = "".join(draw(DIGITS) for _ in range(12))
    groups = [spoken(draw, digits[i:i + 4]) for i in (0, 4, 8)]
    return " ".join(groups)


@SETTINGS
@given(number=spoken_twelve(), cue=st.sampled_from(["個人番号は", "マイナンバーは本人のカードを見せてもらいました"]))
def test_twelve_digits_read_out_near_a_my_number_cue_are_a_my_number(number, cue):
    if all(c.isdigit() or c == " " for c in number):
        return  # digits written as digits are the written rules' business
    assert found(f"{cue}{number}次に", "my_number") == [number]


@SETTINGS
@given(number=spoken_twelve())
def test_twelve_digits_read_out_without_a_cue_are_no_my_number(number):
    assert found(f"在庫の数は{number}でした", "my_number") == []


@SETTINGS
@given(digits=st.text(alphabet="0123456789", min_size=7, max_size=8), data=st.data(),
       bank=st.sampled_from(["三井住友銀行小岩支店普通", "普通の", "ゆうちょ銀行の", "口座は"]))
def test_an_account_number_read_out_after_its_bank_is_found(digits, data, bank):
    assume(set(digits) != {"0"})  # a blank of zeros is a placeholder, no account
    number = spoken(data.draw, digits)
    if number.isdigit():
        return
    accounts = found(f"振込は{bank}{number}これは後で確認", "bank_account")
    assert len(accounts) == 1 and number in accounts[0]  # (katakana digits may take the branch with them)


@SETTINGS
@given(symbol=st.integers(10000, 19999), number=st.integers(0, 99999999))
def test_a_japan_post_bank_symbol_and_number_is_an_account(symbol, number):
    account = f"{symbol}-{number:08d}"
    assert found(f"New account is Yucho {account} (mother's name)", "bank_account") == [account]


def test_a_phone_read_out_with_a_long_five_is_found():
    assert found("電話はゼロハチゼロのごーごーいちにのきゅうはちななよんです", "phone") == ["ゼロハチゼロのごーごーいちにのきゅうはちななよん"]


KANJI = "〇一二三四五六七八九"


def kanji_count(n: int) -> str:
    """1..99 as it is said: 十, 十四, 二十一, 七十七."""
    tens, ones = divmod(n, 10)
    return ("" if tens == 0 else ("十" if tens == 1 else KANJI[tens] + "十")) + ("" if ones == 0 else KANJI[ones])


BIRTHS = st.dates(min_value=__import__("datetime").date(1930, 1, 1), max_value=__import__("datetime").date(1999, 12, 31))


@SETTINGS
@given(born=BIRTHS, no=st.booleans())
def test_a_birth_year_read_out_in_words_is_a_birth_date(born, no):
    year = "千九百" + kanji_count(born.year - 1900)
    said = f"{year}年{'の' if no else ''}{kanji_count(born.month)}月{kanji_count(born.day)}日"
    assert found(f"本人の情報を言います生年月日は{said}住所は", "birth_date") == [said]


@SETTINGS
@given(first=BIRTHS, second=BIRTHS)
def test_dates_listed_after_one_birth_cue_are_all_birth_dates(first, second):
    a = "".join(KANJI[int(c)] for c in str(first.year)) + f"年{kanji_count(first.month)}月{kanji_count(first.day)}日"
    b = "".join(KANJI[int(c)] for c in str(second.year)) + f"年{kanji_count(second.month)}月{kanji_count(second.day)}日"
    assert found(f"子どもの生年月日上の子が{a}下の子が{b}緊急性は低い", "birth_date") == [a, b]
    # the same date written again in brackets is no second person's
    assert found(f"生年月日：{a}（{first:%Y/%m/%d}）", "birth_date") == [a]


@SETTINGS
@given(born=st.dates(min_value=__import__("datetime").date(2008, 1, 1), max_value=__import__("datetime").date(2020, 12, 31)),
       grade=st.sampled_from(["小1", "小4", "中2", "高3", "小6年"]))
def test_a_date_beside_a_childs_school_year_is_a_birth_date(born, grade):
    assert found(f"Kyle Villanueva {born:%Y/%m/%d}（{grade}）", "birth_date") == [f"{born:%Y/%m/%d}"]


def test_a_date_of_an_event_is_no_birth_date():
    assert found("2019年4月1日に来日し、2019年5月1日に転居した。", "birth_date") == []
