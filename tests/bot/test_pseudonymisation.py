"""The proposed anonymised version: consistent placeholders per entity, masked numbers, age bands."""

from __future__ import annotations

import io
import os
from datetime import date, datetime, timezone

import pytest

from bot.core.anonymisation import Finding, check_text
from bot.core.anonymisation_cli import main_check_anonymisation
from bot.core.clock import ManualClock
from bot.core.pseudonymisation import propose_anonymised, propose_document, replace_in_docx

TODAY = date(2026, 11, 29)


def finding(text: str, kind: str, found: str, occurrence: int = 0) -> Finding:
    """A finding for the ``occurrence``-th ``found`` in ``text`` (positions 1-based)."""
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(found, start + 1)
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    return Finding(kind, found, line, column, "")


def test_the_same_person_keeps_one_placeholder_and_the_next_gets_the_next_letter():
    text = "山田太郎さんは佐藤花子氏に相談した。山田太郎から電話があり、佐藤花子は同席した。"
    findings = [finding(text, "person_name", "山田太郎"), finding(text, "person_name", "佐藤花子"),
                finding(text, "person_name", "山田太郎", 1), finding(text, "person_name", "佐藤花子", 1)]
    proposal = propose_anonymised(text, findings, TODAY)
    assert proposal.text == "Aさんは B氏に相談した。A氏から電話があり、B氏は同席した。".replace(" ", "")
    assert [r.placeholder for r in proposal.replacements] == ["A", "B", "A氏", "B氏"]


def test_a_surname_alone_after_the_full_name_is_the_same_person():
    text = "相談者の山田太郎さんが来所した。山田さんは疲れていた。"
    findings = [finding(text, "person_name", "山田太郎"), finding(text, "person_name", "山田")]
    findings[1] = finding(text, "person_name", "山田", 1)
    assert propose_anonymised(text, findings, TODAY).text == "相談者のAさんが来所した。Aさんは疲れていた。"


def test_letters_the_text_already_uses_are_skipped():
    text = "A氏の同僚の田中健太さんが通訳した。"
    proposal = propose_anonymised(text, [finding(text, "person_name", "田中健太")], TODAY)
    assert proposal.text == "A氏の同僚のBさんが通訳した。"


def test_places_facilities_and_schools():
    text = "東京都新宿区西新宿2-8-1に住み、新宿区立若葉小学校3年2組に通う。勤務先は株式会社山川製作所。"
    findings = [finding(text, "address", "東京都新宿区西新宿2-8-1"),
                finding(text, "school", "新宿区立若葉小学校3年2組"),
                finding(text, "facility", "株式会社山川製作所")]
    proposal = propose_anonymised(text, findings, TODAY)
    assert proposal.text == "東京都X区に住み、〇〇小学校に通う。勤務先は△△製作所。"


def test_numbers_are_masked_and_birth_dates_become_age_bands():
    text = "電話090-1234-5678、旅券番号TZ1234567。昭和55年4月3日生まれ。生年月日：2001年3月"
    findings = [finding(text, "phone", "090-1234-5678"), finding(text, "passport", "TZ1234567"),
                finding(text, "birth_date", "昭和55年4月3日"), finding(text, "birth_date", "2001年3月")]
    proposal = propose_anonymised(text, findings, TODAY)
    assert proposal.text == "電話***-****-****、旅券番号*********。40代。生年月日：20代"
    assert "40代" in [r.placeholder for r in proposal.replacements]


def test_english_placeholders():
    text = "Ms Maria Santos was born on 3 April 1990."
    findings = [finding(text, "person_name", "Maria Santos"), finding(text, "birth_date", "3 April 1990")]
    assert propose_anonymised(text, findings, TODAY, lang="en").text == "Ms Person A was born on in their 30s."


def test_a_clean_text_is_unchanged():
    text = "A氏はX市の〇〇病院に通院している。"
    proposal = propose_anonymised(text, check_text(text), TODAY)
    assert proposal.text == text and not proposal.changed


def test_the_proposal_of_a_checked_text_has_no_findings_left():
    text = ("相談者：グエン・ヴァン・アンさん（1990年5月1日生まれ）\n電話：090-1234-5678\n"
            "住所：大阪府大阪市北区梅田1-2-3\nメール：an.nguyen@example.com\nマイナンバー：2319-4875-7496")
    proposal = propose_anonymised(text, check_text(text), TODAY)
    assert check_text(proposal.text) == []
    assert "2319" not in proposal.text and "7496" not in proposal.text


def docx_bytes(*paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for runs in paragraphs:
        paragraph = document.add_paragraph()
        for piece in runs:
            paragraph.add_run(piece).bold = piece.startswith("山")
    table = document.add_table(rows=1, cols=1)
    table.cell(0, 0).text = "電話 090-1234-5678"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_text_is_replaced_in_its_runs_even_when_a_name_is_split():
    import docx

    data = docx_bytes(["相談者：", "山田", "太郎さん（昭和55年4月3日生まれ）"], ["マイナンバー 2319-4875-7496"])
    from bot.core.documents import extract_text

    text = extract_text(data, "case.docx")
    proposed = propose_document(data, "case.docx", text, check_text(text), TODAY)
    assert proposed.docx is not None and not proposed.layout_lost
    document = docx.Document(io.BytesIO(proposed.docx))
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[0] == "相談者：Aさん（40代）"
    assert paragraphs[1] == "マイナンバー ****-****-****"
    assert document.tables[0].cell(0, 0).text == "電話 ***-****-****"
    assert document.paragraphs[0].runs[1].bold  # the name's run keeps its formatting
    assert extract_text(replace_in_docx(data, proposed.proposal), "case.docx") == proposed.proposal.text


def test_pdf_is_proposed_as_text_with_layout_lost():
    text = "山田太郎さん"
    proposed = propose_document(b"%PDF-1.4", "case.pdf", text, check_text(text), TODAY)
    assert proposed.layout_lost and proposed.docx is None and proposed.proposal.text == "Aさん"


CLOCK = ManualClock(datetime(2026, 11, 29, tzinfo=timezone.utc))


def test_cli_propose_prints_or_writes_the_proposal(tmp_path):
    source = tmp_path / "case.txt"
    source.write_text("相談者：山田太郎さん、電話 090-1234-5678\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert main_check_anonymisation(str(source), out=out, err=err, propose=True, clock=CLOCK) == 1
    assert "相談者：Aさん、電話 ***-****-****" in out.getvalue()
    target = tmp_path / "proposed.txt"
    out = io.StringIO()
    assert main_check_anonymisation(str(source), out=out, err=err, propose=True, output=str(target),
                                    clock=CLOCK) == 1
    assert target.read_text(encoding="utf-8").startswith("相談者：Aさん、電話 ***-****-****")
    assert "山田" not in out.getvalue().split("\n")[-2] and err.getvalue() == ""


def test_cli_proposal_file_is_private_and_never_silently_replaced(tmp_path):
    source = tmp_path / "case.txt"
    source.write_text("相談者：山田太郎さん\n", encoding="utf-8")
    target = tmp_path / "proposed.txt"
    assert main_check_anonymisation(str(source), out=io.StringIO(), err=io.StringIO(), propose=True,
                                    output=str(target), clock=CLOCK) == 1
    assert os.stat(target).st_mode & 0o777 == 0o600

    target.write_text("keep me", encoding="utf-8")
    os.chmod(target, 0o644)
    out, err = io.StringIO(), io.StringIO()
    assert main_check_anonymisation(str(source), out=out, err=err, propose=True, output=str(target),
                                    clock=CLOCK) == 2
    assert err.getvalue() == f"{target} は既にあります。上書きするには --force を付けてください\n"
    assert target.read_text(encoding="utf-8") == "keep me"

    assert main_check_anonymisation(str(source), out=io.StringIO(), err=io.StringIO(), propose=True,
                                    output=str(target), force=True, clock=CLOCK) == 1
    assert target.read_text(encoding="utf-8").startswith("相談者：Aさん")
    assert os.stat(target).st_mode & 0o777 == 0o600


def test_cli_propose_keeps_a_docx_a_docx(tmp_path):
    import docx

    source = tmp_path / "case.docx"
    source.write_bytes(docx_bytes(["山田太郎さん"]))
    target = tmp_path / "proposed.docx"
    assert main_check_anonymisation(str(source), out=io.StringIO(), err=io.StringIO(), propose=True,
                                    output=str(target), clock=CLOCK) == 1
    assert docx.Document(str(target)).paragraphs[0].text == "Aさん"


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_cli_refuses_a_text_over_the_bound_in_one_line(tmp_path, monkeypatch, lang):
    from bot.core import anonymisation

    monkeypatch.setattr(anonymisation, "MAX_CHECK_CHARS", 10)
    source = tmp_path / "long.txt"
    source.write_text("あ" * 11, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert main_check_anonymisation(str(source), lang=lang, out=out, err=err) == 2
    assert len(err.getvalue().strip().splitlines()) == 1 and "10" in err.getvalue()


def _people_text(count: int) -> tuple[str, list[Finding]]:
    """``count`` different people, each named in full once, on lines of their own."""
    kana = "アイウエオカキクケコサシスセソタチツテト"
    names = [kana[i % 20] + kana[i // 20 % 20] + kana[i // 400 % 20] + "・" + kana[i // 8000 % 20] + "ン"
             for i in range(count)]
    text = "\n".join(f"{name}さん" for name in names)
    return text, [Finding("person_name", name, line, 1, "") for line, name in enumerate(names, start=1)]


def test_many_people_cost_work_in_proportion_to_their_number():
    """Each new name is matched to the names met before it (a surname alone after the full name is
    the same person) by lookups, not by going through every name met so far."""
    import cProfile
    import pstats

    def calls(count: int) -> int:
        text, findings = _people_text(count)
        profile = cProfile.Profile()
        profile.enable()
        proposal = propose_anonymised(text, findings, TODAY)
        profile.disable()
        assert len(proposal.replacements) == count
        return pstats.Stats(profile).total_calls

    assert calls(8_000) <= 4.6 * calls(2_000)


def test_people_are_matched_by_index_as_by_the_plain_rule():
    """The lookups give each name the letter the plain rule gives: the first person met whose
    key starts or ends with this one, or starts this one."""
    import random

    from bot.core.pseudonymisation import _Placeholders

    def plain(names: list[str]) -> list[str]:
        people: dict[str, str] = {}
        letters = iter("ABCDEFGHIJKLMNOPQRSTUVW")
        given = []
        for key in names:
            letter = people.get(key)
            if letter is None:
                letter = next((known for known_key, known in people.items() if len(key) >= 2 and (
                    known_key.startswith(key) or known_key.endswith(key) or key.startswith(known_key))), None)
            if letter is None:
                letter = next(letters, "")
            people[key] = letter
            given.append(letter)
        return given

    rng = random.Random(5)
    for _ in range(200):
        names = ["".join(rng.choice("山田太郎花子陳美") for _ in range(rng.randint(1, 4))) for _ in range(30)]
        placeholders = _Placeholders("", TODAY, "ja")
        assert [placeholders.person(name, True).replace("〇〇", "") for name in names] == plain(names)
