"""The anonymisation checker against a corpus of realistic case texts.

Each corpus file marks its planted identifiers as ``[[kind|text]]`` (or ``[[kind|text|pseudonym]]``).
The test builds two versions of every case: the planted one, where each mark becomes its text,
and a clean one, where each mark becomes a pseudonym. Recall is measured per kind on the planted
versions; every finding that matches no planted identifier is a false alarm. Run with ``-s`` to
see the figures.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections import Counter
from dataclasses import FrozenInstanceError, dataclass
from pathlib import Path

import pytest

from bot.core.anonymisation import (KINDS, Finding, check_document, check_text, findings_as_json,
                                    is_my_number, mask_my_number,
                                    my_number_check_digit)
from bot.core.anonymisation_cli import main_check_anonymisation
from bot.core.i18n import t

CORPUS = Path(__file__).parent / "corpus"
MARK = re.compile(r"\[\[(?P<kind>[a-z_]+)\|(?P<text>[^\]|]+)(?:\|(?P<pseudonym>[^\]]*))?\]\]")

# What a careful writer puts in place of each identifier (the clean versions).
PSEUDONYMS = {
    "ja": {"person_name": "A", "residence_card": "（省略）", "my_number": "（記載しない）",
           "phone": "（省略）", "email": "（省略）", "postal_code": "", "address": "A県B市",
           "birth_date": "（省略）"},
    "en": {"person_name": "A", "residence_card": "(omitted)", "my_number": "(not recorded)",
           "phone": "(omitted)", "email": "(omitted)", "postal_code": "", "address": "B City",
           "birth_date": "(omitted)"},
}

VALID_MY_NUMBER = "526018159084"
# The kinds this corpus was written for; the later ones are planted in tests/bot/anonymisation_corpus.
FIRST_KINDS = ("residence_card", "my_number", "phone", "email", "postal_code", "address", "birth_date",
               "person_name")


@dataclass(frozen=True)
class Planted:
    kind: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Case:
    name: str
    planted_text: str
    clean_text: str
    planted: tuple[Planted, ...]


def load_case(path: Path) -> Case:
    source = path.read_text(encoding="utf-8")
    lang = "en" if path.name.startswith("en_") else "ja"
    planted_parts: list[str] = []
    clean_parts: list[str] = []
    planted: list[Planted] = []
    position = 0
    length = 0
    for mark in MARK.finditer(source):
        before = source[position:mark.start()]
        planted_parts.append(before)
        clean_parts.append(before)
        length += len(before)
        kind, text = mark.group("kind"), mark.group("text")
        assert kind in KINDS, f"{path.name}: unknown kind {kind}"
        planted.append(Planted(kind, text, length, length + len(text)))
        planted_parts.append(text)
        length += len(text)
        pseudonym = mark.group("pseudonym")
        clean_parts.append(PSEUDONYMS[lang][kind] if pseudonym is None else pseudonym)
        position = mark.end()
    planted_parts.append(source[position:])
    clean_parts.append(source[position:])
    return Case(path.name, "".join(planted_parts), "".join(clean_parts), tuple(planted))


CASES = [load_case(path) for path in sorted(CORPUS.glob("*.txt")) if not path.name.startswith("ordinary")]
ORDINARY = sorted(CORPUS.glob("ordinary*.txt"))


def _offset(text: str, finding: Finding) -> int:
    lines = text.split("\n")
    return sum(len(line) + 1 for line in lines[:finding.line - 1]) + finding.column - 1


def _matches(case: Case) -> tuple[Counter, Counter, list[tuple[str, Finding]]]:
    """(planted per kind, found per kind, false alarms) for the planted version of a case."""
    findings = check_text(case.planted_text)
    spans = [(f, _offset(case.planted_text, f), _offset(case.planted_text, f) + len(f.text)) for f in findings]
    planted, found = Counter(), Counter()
    used: set[int] = set()
    for item in case.planted:
        planted[item.kind] += 1
        for index, (finding, start, end) in enumerate(spans):
            if finding.kind == item.kind and start < item.end and item.start < end:
                found[item.kind] += 1
                used.add(index)
                break
    overlapping_plants = {index for index, (_, start, end) in enumerate(spans)
                          for item in case.planted if start < item.end and item.start < end}
    false_alarms = [(case.name, finding) for index, (finding, _, _) in enumerate(spans)
                    if index not in used and index not in overlapping_plants]
    return planted, found, false_alarms


def test_corpus_is_big_enough_and_plants_every_kind_in_every_case():
    japanese = [c for c in CASES if c.name.startswith("ja_")]
    english = [c for c in CASES if c.name.startswith("en_")]
    assert len(japanese) >= 12 and len(english) >= 2
    for case in CASES:
        assert {p.kind for p in case.planted} == set(FIRST_KINDS), case.name


def test_recall_per_kind_and_false_alarms_over_the_corpus():
    planted, found = Counter(), Counter()
    false_alarms: list[tuple[str, Finding]] = []
    missed: list[tuple[str, str, str]] = []
    for case in CASES:
        case_planted, case_found, case_false = _matches(case)
        planted += case_planted
        found += case_found
        false_alarms += case_false
        for item in case.planted:
            hits = [f for f in check_text(case.planted_text) if f.kind == item.kind]
            starts = [_offset(case.planted_text, f) for f in hits]
            if not any(s < item.end and item.start < s + len(f.text) for f, s in zip(hits, starts)):
                missed.append((case.name, item.kind, item.text if item.kind != "my_number" else "(my number)"))
    print("\nrecall per kind over", len(CASES), "cases:")
    for kind in FIRST_KINDS:
        print(f"  {kind:15s} {found[kind]:3d}/{planted[kind]:3d} = {100 * found[kind] / planted[kind]:5.1f} %")
    print("missed:", missed or "none")
    print("false alarms in planted versions:", len(false_alarms),
          [(name, f.kind, f.text) for name, f in false_alarms])

    for kind in ("residence_card", "my_number", "email", "phone", "postal_code"):
        assert found[kind] == planted[kind], (kind, missed)
    for kind in ("address", "birth_date", "person_name"):
        assert found[kind] / planted[kind] >= 0.9, (kind, missed)
    assert not false_alarms


def test_clean_versions_have_no_findings():
    alarms = {case.name: [(f.kind, f.text) for f in check_text(case.clean_text)] for case in CASES}
    alarms = {name: found for name, found in alarms.items() if found}
    print("\nfalse alarms in clean versions:", sum(map(len, alarms.values())), alarms or "")
    assert not alarms


@pytest.mark.parametrize("path", ORDINARY, ids=lambda p: p.name)
def test_ordinary_words_raise_no_false_alarm(path):
    findings = check_text(path.read_text(encoding="utf-8"))
    print(f"\nfalse alarms in {path.name}:", len(findings), [(f.kind, f.text) for f in findings])
    assert findings == []


@pytest.mark.parametrize("word", [
    "国籍", "市役所", "区役所", "A氏", "Bさん", "Cさん", "B市", "A県", "X社", "30代", "40歳代", "20代前半",
    "医療・福祉", "入管手続", "教育", "家庭・DV", "労働", "行政サービス", "異文化・宗教", "病院", "小学校",
    "ハローワーク", "社会福祉協議会", "出入国在留管理局", "労働基準監督署", "児童相談所", "ベトナム",
    "フィリピン", "ブラジル", "ネパール", "インドネシア", "中国", "技能実習", "特定技能", "永住者", "定住者",
    "家族滞在", "令和8年4月", "1985年", "2026年", "5万円", "120,000円", "アルバイト", "ケースワーカー",
    "コーディネーター", "オンライン", "ハイブリッド", "ガイドライン", "ヘルパーさん", "大家さん",
])
def test_single_ordinary_word_is_not_flagged(word):
    assert check_text(f"相談者は{word}について話した。") == []
    assert check_text(word) == []


# --- one behaviour at a time ---------------------------------------------------------------------

def kinds(text: str) -> list[str]:
    return [f.kind for f in check_text(text)]


def test_finding_is_frozen_and_positions_are_one_based():
    finding = check_text("連絡先\n電話は 03-1234-5678 です")[0]
    assert (finding.kind, finding.text, finding.line, finding.column) == ("phone", "03-1234-5678", 2, 5)
    with pytest.raises(FrozenInstanceError):
        finding.text = "x"  # type: ignore[misc]


@pytest.mark.parametrize("text", ["AB12345678CD", "ＡＢ１２３４５６７８ＣＤ", "番号はXY87654321ZWです",
                                  "AB 1234 5678 CD", "ab12345678cd"])
def test_residence_card_numbers(text):
    assert kinds(text) == ["residence_card"]


def test_grouped_lowercase_digits_are_not_residence_cards():
    assert kinds("No 1234 5678 is a serial; to 1000 2000 of them") == []


@pytest.mark.parametrize("text", ["090-1234-5678", "０９０－１２３４－５６７８", "+81-90-1234-5678",
                                  "+81 3 1234 5678", "03-1234-5678", "(03)1234-5678", "0766-23-4567",
                                  "09012345678", "電話：0566-12-3456", "090.1234.5678", "TEL(090)1234-5678"])
def test_phone_numbers(text):
    assert kinds(text) == ["phone"]


@pytest.mark.parametrize("text", ["2026-04-03", "123-4567", "1234-5678", "0000-1111", "10,000円"])
def test_numbers_that_are_not_phone_numbers(text):
    assert "phone" not in kinds(text)


def test_postal_codes_need_a_mark_or_an_address_context():
    assert kinds("〒160-0023") == ["postal_code"]
    assert kinds("郵便番号 160-0023") == ["postal_code"]
    assert kinds("160-0023 東京都新宿区") == ["postal_code"]
    assert kinds("部品番号 160-0023 を注文した") == []


@pytest.mark.parametrize("text", ["東京都新宿区西新宿2-8-1", "大阪市北区梅田1丁目2番3号", "新宿区西新宿二丁目8番1号",
                                  "千代田区丸の内1-1-1", "札幌市中央区北1条西2丁目",
                                  "2-8-1 Nishi-Shinjuku, Shinjuku-ku, Tokyo"])
def test_addresses(text):
    assert kinds(text) == ["address"]


@pytest.mark.parametrize("text", ["B市に住んでいる", "A県B市", "市役所で3番窓口に並んだ", "区役所に2-3回通った",
                                  "東京都の小学校", "東京都新宿区"])
def test_places_without_street_numbers_are_not_addresses(text):
    assert kinds(text) == []


def test_address_leaves_out_the_label_in_front():
    (finding,) = check_text("住所東京都新宿区西新宿2-8-1")
    assert finding.text == "東京都新宿区西新宿2-8-1"


@pytest.mark.parametrize("text", ["生年月日：1985年4月3日", "1985年4月3日生まれ", "1985/4/3生", "昭和60年4月3日",
                                  "平成2年12月1日生まれ", "S60.4.3", "生年月日 H3.2.28", "born 3 April 1985",
                                  "Date of birth: March 3, 1984", "1990年5月生まれ", "1985年4月3日（40歳）"])
def test_birth_dates(text):
    assert kinds(text) == ["birth_date"]


@pytest.mark.parametrize("text", ["令和8年4月に検討会を開く", "令和8年4月10日に検討会を開く", "1985年に来日した",
                                  "2025年6月1日に入院した", "2025年6月1日生活保護を申請した",
                                  "生年月日の記載を確認し、2025年6月1日に申請した", "R8.4.10 検討会"])
def test_event_dates_are_not_birth_dates(text):
    assert "birth_date" not in kinds(text)


@pytest.mark.parametrize("text, name", [
    ("山田太郎さんが来た", "山田太郎"), ("佐藤さんに聞いた", "佐藤"), ("グエン・ヴァン・アンの妻", "グエン・ヴァン・アン"),
    ("マリア・サントスさん", "マリア・サントス"), ("王さんと話した", "王"), ("名前はアナ・ソウザです", "アナ・ソウザ"),
    ("the client, Nguyen Van An (32), said", "Nguyen Van An"), ("Mr. Tanaka said", "Mr. Tanaka"),
    ("a woman named Maria Santos", "Maria Santos"), ("Tanakaさんの話", "Tanaka"),
    ("氏名：NGUYEN VAN AN", "NGUYEN VAN AN"), ("client TRAN THI MAI (28) came", "TRAN THI MAI"),
    ("ラム・バハドゥール・タパさん", "ラム・バハドゥール・タパ"), ("中村 健太", "中村 健太"), ("山口さん", "山口"),
])
def test_person_names(text, name):
    assert [(f.kind, f.text) for f in check_text(text)] == [("person_name", name)]


@pytest.mark.parametrize("text", ["The Immigration Services Agency opened a new office.",
                                  "Hello Work in Tokyo helped him.", "Mr A and Ms B met on Monday.",
                                  "Case Study Meeting", "Vietnamese Technical Intern"])
def test_ordinary_english_capitalised_words_are_not_names(text):
    assert kinds(text) == []


# --- My Number -----------------------------------------------------------------------------------

def test_my_number_check_digit_follows_the_official_algorithm():
    # 123456789018 is the usual published example of a valid My Number.
    assert my_number_check_digit("12345678901") == 8
    assert is_my_number("123456789018")
    assert is_my_number("1234-5678-9018") and is_my_number("１２３４ ５６７８ ９０１８")


def test_twelve_digits_with_a_wrong_check_digit_are_not_a_my_number():
    wrong = VALID_MY_NUMBER[:11] + str((int(VALID_MY_NUMBER[11]) + 1) % 10)
    assert not is_my_number(wrong)
    assert "my_number" not in kinds(f"番号 {wrong}")
    assert "my_number" not in kinds("番号 5260-1815-9085")


def test_twelve_digits_with_a_wrong_check_digit_may_still_be_a_phone_number():
    # 0312 3456 7890 has a wrong check digit; 03-1234-5678 style grouping is a landline.
    assert kinds("電話 03-1234-5678") == ["phone"]
    assert not is_my_number("031234567890")


def test_mask_my_number_keeps_only_the_last_four_digits():
    assert mask_my_number("526018159084") == "********9084"
    assert mask_my_number("5260-1815-9084") == "****-****-9084"


def _leaks(output: str, number: str) -> bool:
    digits = re.sub(r"\D", "", output)
    return number in digits or number[:8] in digits


@pytest.mark.parametrize("written", ["526018159084", "5260-1815-9084", "5260 1815 9084", "５２６０１８１５９０８４"])
def test_my_number_never_appears_in_clear(tmp_path, written, capsys):
    text = f"マイナンバー：{written}\n"
    findings = check_text(text)
    assert [f.kind for f in findings] == ["my_number"]
    assert "*" in findings[0].text and not _leaks(repr(findings), VALID_MY_NUMBER)
    assert not _leaks(json.dumps(findings_as_json(findings), ensure_ascii=False), VALID_MY_NUMBER)
    path = tmp_path / "case.txt"
    path.write_text(text, encoding="utf-8")
    for fmt in ("text", "json"):
        out = io.StringIO()
        assert main_check_anonymisation(str(path), fmt=fmt, out=out) == 1
        assert not _leaks(out.getvalue(), VALID_MY_NUMBER)
    captured = capsys.readouterr()
    assert not _leaks(captured.out + captured.err, VALID_MY_NUMBER)


# --- suggestions, JSON and the CLI ---------------------------------------------------------------

def test_suggestions_come_from_the_catalog_in_the_chosen_language():
    (ja,) = check_text("a@example.com")
    (en,) = check_text("a@example.com", lang="en")
    assert ja.suggestion == t("anonymisation.suggestion.email", "ja")
    assert en.suggestion == t("anonymisation.suggestion.email", "en")
    assert ja.suggestion != en.suggestion


def test_findings_as_json_has_the_stable_shape():
    payload = findings_as_json(check_text("メール a@example.com\n電話 090-1234-5678"))
    assert set(payload) == {"findings"}
    assert [(f["kind"], f["text"], f["line"]) for f in payload["findings"]] == [
        ("email", "a@example.com", 1), ("phone", "090-1234-5678", 2)]
    for item in payload["findings"]:
        assert {"kind", "text", "line", "suggestion", "part", "tier"} <= set(item) <= {
            "kind", "text", "line", "column", "suggestion", "part", "tier"}
        assert item["tier"] == "confident"
    assert findings_as_json([]) == {"findings": []}


def test_cli_exit_codes_and_output(tmp_path, capsys):
    clean = tmp_path / "clean.txt"
    clean.write_text("A氏（30代、ベトナム国籍）はB市の病院を受診した。\n", encoding="utf-8")
    dirty = tmp_path / "dirty.txt"
    dirty.write_text("相談者\n連絡先 090-1234-5678\n", encoding="cp932")

    out = io.StringIO()
    assert main_check_anonymisation(str(clean), out=out) == 0
    assert out.getvalue().strip() == t("anonymisation.cli.clean", "ja")

    out = io.StringIO()
    assert main_check_anonymisation(str(dirty), out=out) == 1
    first = out.getvalue().splitlines()[0]
    assert first == f"2行目: 電話番号「090-1234-5678」→ {t('anonymisation.suggestion.phone', 'ja')}"

    out = io.StringIO()
    assert main_check_anonymisation(str(dirty), lang="en", out=out) == 1
    assert out.getvalue().startswith("line 2: phone number “090-1234-5678” → ")

    out = io.StringIO()
    assert main_check_anonymisation(str(dirty), fmt="json", out=out) == 1
    payload = json.loads(out.getvalue())
    assert payload == {"findings": [{"kind": "phone", "text": "090-1234-5678", "line": 2, "column": 5,
                                     "suggestion": t("anonymisation.suggestion.phone", "ja"), "part": "body",
                                     "tier": "confident"}]}
    assert "\\u" not in out.getvalue()  # ensure_ascii=False: Japanese stays readable

    out = io.StringIO()
    assert main_check_anonymisation(str(clean), fmt="json", out=out) == 0
    assert json.loads(out.getvalue()) == {"findings": []}


@pytest.mark.parametrize("setup, key", [("missing", "anonymisation.cli.missing"),
                                        ("unsupported", "anonymisation.cli.unsupported"),
                                        ("corrupt_pdf", "anonymisation.cli.unreadable"),
                                        ("directory", "anonymisation.cli.not_a_file"),
                                        ("fifo", "anonymisation.cli.not_a_file"),
                                        ("too_large", "anonymisation.cli.too_large"),
                                        ("too_many_pages", "anonymisation.cli.too_big_to_read")])
def test_cli_errors_are_one_line_and_exit_2(tmp_path, monkeypatch, setup, key):
    from bot.core import anonymisation_cli, documents

    path = tmp_path / "case.txt"
    params = {}
    if setup == "missing":
        path = tmp_path / "nothing.txt"
    elif setup == "unsupported":
        path = tmp_path / "sheet.xlsx"
        path.write_bytes(b"PK\x03\x04 not really")
        params = {"kind": "xlsx"}
    elif setup == "corrupt_pdf":
        path = tmp_path / "broken.pdf"
        path.write_bytes(b"%PDF-1.4\nthis is not a pdf at all")
    elif setup == "directory":
        path = tmp_path
    elif setup == "fifo":
        os.mkfifo(path)
    elif setup == "too_large":
        monkeypatch.setattr(anonymisation_cli, "MAX_FILE_BYTES", 3 * 1024 * 1024)
        path.write_bytes(b"a" * (3 * 1024 * 1024 + 1))
        params = {"mb": 3}
    else:
        def too_many_pages(data, filename):
            raise documents.DocumentTooLarge("pdf", "pages")
        monkeypatch.setattr(anonymisation_cli, "read_document", too_many_pages)
        path.write_text("一頁", encoding="utf-8")
        params = {"pages": documents.MAX_PDF_PAGES, "mb": documents.MAX_DOCX_BYTES // (1024 * 1024)}
    out, err = io.StringIO(), io.StringIO()
    assert main_check_anonymisation(str(path), fmt="json", out=out, err=err) == 2
    assert out.getvalue() == ""
    assert err.getvalue() == t(key, "ja", path=str(path), **params) + "\n"


def test_check_document_reads_a_docx(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("相談者：山田太郎さん")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "電話"
    table.cell(0, 1).text = "090-1234-5678"
    buffer = io.BytesIO()
    document.save(buffer)
    found = [(f.kind, f.text) for f in check_document(buffer.getvalue(), "case.docx")]
    assert found == [("person_name", "山田太郎"), ("phone", "090-1234-5678")]


# --- the kinds added for issue 15 ----------------------------------------------------------------

@pytest.mark.parametrize("text, kind, found", [
    ("旅券番号：TZ1234567", "passport", "TZ1234567"),
    ("パスポート No. P7654321A を預かった", "passport", "P7654321A"),
    ("口座番号 1234567 に振り込む", "bank_account", "1234567"),
    ("ゆうちょ銀行 記号番号 10130-12345678", "bank_account", "10130-12345678"),
    ("基礎年金番号：1234-567890", "insurance_number", "1234-567890"),
    ("雇用保険被保険者番号 5012-345678-9", "insurance_number", "5012-345678-9"),
    ("保険証は記号 12 番号 345", "insurance_number", "記号 12 番号 345"),
    ("夫の車（練馬 500 さ 12-34）", "vehicle_plate", "練馬 500 さ 12-34"),
    ("LINE ID：abc_123", "sns_id", "abc_123"),
    ("連絡は facebook.com/some.person で", "sns_id", "facebook.com/some.person"),
    ("インスタは @some.one_22 です", "sns_id", "@some.one_22"),
    ("長男は豊島区立池袋小学校3年2組に在籍", "school", "豊島区立池袋小学校3年2組"),
    ("娘はひまわり保育園に通う", "facility", "ひまわり保育園"),
    ("株式会社ミナミ精工で働く", "facility", "株式会社ミナミ精工"),
    ("特別養護老人ホームさくら苑の職員", "facility", "特別養護老人ホームさくら苑"),
])
def test_new_kinds(text, kind, found):
    assert [(f.kind, f.text) for f in check_text(text)] == [(kind, found)]


@pytest.mark.parametrize("text", [
    "よりそいホットライン（0120-279-338）を案内した。", "ナビダイヤル 0570-013904 に電話した。",
    "東京出入国在留管理局（03-5796-7111）に問い合わせた。", "岐阜労働基準監督署に申告した。",
    "長野労働基準監督署に相談した。", "ラマダン中は日中に食事をしない。イードの日は休む。",
    "近くの小学校に通う。", "総合病院を受診した。", "弁当工場で働いている。", "〇〇病院と△△小学校。",
    "X市立Y小学校に通う。", "配偶者ビザを更新した。", "ヘルパーさんが来た。", "A社の寮に住む。",
    "地元のカトリック教会の神父に相談した。", "ハローワーク浜松の外国人労働者相談コーナーに同行した。",
    "外国人総合相談支援センターの多言語相談を紹介した。", "コンビニ店員として週20時間働いている。",
])
def test_public_numbers_agencies_and_generic_places_are_not_flagged(text):
    assert check_text(text) == []


def test_a_mobile_number_after_an_agency_name_is_still_personal():
    assert kinds("ハローワークの担当者の携帯 090-1234-5678") == ["phone"]


@pytest.mark.parametrize("text, name", [
    ("氏名は陳美玲、中国籍", "陳美玲"), ("張偉さんが来所した", "張偉"), ("長男ラジュ（8歳）", "ラジュ"),
    ("タマンさんと面談した", "タマン"), ("レ・ヴァン・トゥアンさん", "レ・ヴァン・トゥアン"),
    ("（Maria Lourdes SANTOS、40代）", "Maria Lourdes SANTOS"), ("ウィジェラトネ師が来た", "ウィジェラトネ"),
])
def test_names_found_by_context(text, name):
    assert ("person_name", name) in [(f.kind, f.text) for f in check_text(text)]


@pytest.mark.parametrize("text, address", [
    ("住所：さいたま市大宮区桜木町四丁目二番地の七に住む", "さいたま市大宮区桜木町四丁目二番地の七"),
    ("横浜市青葉区青葉台二丁目5番地の3 グリーンハイツ201号室", "横浜市青葉区青葉台二丁目5番地の3 グリーンハイツ201号室"),
    ("豊島区南大塚3-45-2 メゾン大塚302", "豊島区南大塚3-45-2 メゾン大塚302"),
])
def test_addresses_cover_lot_numbers_buildings_and_rooms(text, address):
    assert [(f.kind, f.text) for f in check_text(text)] == [("address", address)]


def test_recent_era_birth_date_in_brackets_after_a_person():
    assert kinds("長女ソフィア（平成29年2月3日）の就学") == ["person_name", "birth_date"]
    assert kinds("出生届を提出（令和5年4月1日）した") == []
