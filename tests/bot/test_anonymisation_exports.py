"""Machine exports read by the checker (issue 21, after blind batch 11): key=value logs and JSON whose keys
name their values, comma-separated exports with quoted cells, and reference codes of letters, a year and a
serial. Inputs are generated, so each rule is shown on a kind of text, not on a string of the batch."""

from __future__ import annotations

import json

import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.anonymisation import CONFIDENT, check_text

PREFIX = st.text(alphabet="ABCDEFGHJKLMNPRSTUVWXYZ", min_size=1, max_size=3)
YEAR = st.one_of(st.integers(2000, 2030).map(str), st.integers(0, 99).map(lambda y: f"{y:02d}"))
SERIAL = st.integers(1, 999999).map(str).map(lambda s: s.zfill(4) if len(s) < 4 else s)
CASE_CODE = st.builds(lambda p, y, s: f"{p}-{y}-{s}", PREFIX, YEAR, SERIAL)
ID_KEY = st.sampled_from(["case_id", "case_no", "caseNo", "file_no", "client_id", "employee_id", "record_number",
                          "ref-no", "id", "no"])
DATE = st.dates(min_value=__import__("datetime").date(1930, 1, 1), max_value=__import__("datetime").date(2024, 12, 31))
BIRTH_KEY = st.sampled_from(["dob", "birth_date", "birthDate", "date_of_birth", "birthday", "pt_dob"])
SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


def found(text: str, kind: str) -> list[str]:
    return [f.text for f in check_text(text) if f.kind == kind and f.tier == CONFIDENT]


@SETTINGS
@given(code=CASE_CODE)
def test_a_code_of_letters_a_year_and_a_serial_is_a_case_number(code):
    assert found(f"記録は {code} に紐づけてください。", "case_number") == [code]


@SETTINGS
@given(model=st.builds(lambda p, n: f"{p}-{n}", PREFIX, st.integers(1, 99999)),
       version=st.builds(lambda a, b, c: f"{a}.{b}.{c}", *(st.integers(0, 30),) * 3))
def test_a_standard_a_model_or_a_version_is_no_case_number(model, version):
    assert found(f"{model} 準拠の機器で、ソフトは v{version} です。", "case_number") == []


@SETTINGS
@given(key=ID_KEY, code=CASE_CODE, number=st.integers(1000, 99999999).map(str))
def test_a_machine_key_of_an_identifier_names_its_value(key, code, number):
    log = f"2024-07-11T22:13:05+09:00 level=INFO svc=intake {key}={number} lang=uz"
    assert found(log, "case_number") == [number]
    record = json.dumps({"name_kana": "やまだ", key: code}, ensure_ascii=False)
    assert code in found(record, "case_number")


@SETTINGS
@given(key=BIRTH_KEY, born=DATE, slashes=st.booleans())
def test_a_machine_key_of_a_birth_date_names_its_value(key, born, slashes):
    value = born.strftime("%Y/%m/%d" if slashes else "%Y-%m-%d")
    assert found(f"event=client_upsert {key}={value} nationality=UZ", "birth_date") == [value]
    assert found(json.dumps({key: value, "note": "x"}), "birth_date") == [value]


@SETTINGS
@given(key=st.sampled_from(["event_id", "request_id", "message_id", "trace_id", "session_id", "thread_id",
                            "job_no", "order_no", "zip_code", "tel_no", "room_no", "version_no"]),
       number=st.integers(1000, 99999999).map(str))
def test_a_key_of_the_machinery_names_no_person(key, number):
    assert found(f"level=INFO {key}={number} status=ok", "case_number") == []


def test_a_nested_key_takes_the_kind_of_its_parent():
    record = '{"passport": {"no": "TR5520781", "expiry": "2029-05-14"}, "case_no": "IM-2024-1093"}'
    assert found(record, "passport") == ["TR5520781"]
    assert found(record, "case_number") == ["IM-2024-1093"]


@SETTINGS
@given(born=DATE, amount=st.integers(1000, 999999), card_date=DATE)
def test_a_quoted_csv_is_read_by_its_header_whatever_commas_its_cells_hold(born, amount, card_date):
    header = "社員番号,氏名,国籍,生年月日,在留カード番号,入国日,未払額(円),メモ"
    row = (f'"MR-2207","PHAN BOPHA","KHM","{born:%Y/%m/%d}","PA84027163HA","{card_date:%Y/%m/%d}",'
           f'"{amount:,}","寮費が二重に、引かれている"')
    text = header + "\n" + row
    assert found(text, "birth_date") == [f"{born:%Y/%m/%d}"]
    assert found(text, "person_name") == ["PHAN BOPHA"]
    assert found(text, "residence_card") == ["PA84027163HA"]  # the entry date beside it is no card


KATAKANA_WORD = st.sampled_from(["ナカハラ", "サンライズ", "テクノブリッジ", "ミドリ", "オオタ", "グリーン", "パシフィック"])
BUSINESS_WORD = st.sampled_from(["ハラルフーズ", "スタッフィング", "ソリューションズ", "トレーディング", "システムズ", "ロジスティクス"])


@SETTINGS
@given(first=KATAKANA_WORD, second=BUSINESS_WORD, form=st.sampled_from(["株式会社", "有限会社", "合同会社"]))
def test_a_company_name_joined_by_a_dot_is_found_whole(first, second, form):
    name = f"{form}{first}・{second}"
    assert name in found(f"本人は{name}で働いている。", "facility")


@SETTINGS
@given(place=st.sampled_from(["伊勢崎南", "淵野辺さくら", "ひまわり", "緑が丘", "みなと中央"]),
       department=st.sampled_from(["整形外科", "心療内科", "小児科", "皮膚科", "眼科", "産婦人科"]))
def test_a_clinic_named_after_its_department_is_a_facility(place, department):
    assert f"{place}{department}" in found(f"先週から{place}{department}に通院している。", "facility")


@pytest.mark.parametrize("department", ["消化器内科", "整形外科", "総合病院の小児科"])
def test_a_department_alone_names_no_clinic(department):
    assert found(f"{department}を受診するよう勧めた。", "facility") == []


@pytest.mark.parametrize("body", ["公益財団法人静岡県国際交流協会", "公益社団法人 家庭問題情報センター", "社会福祉法人 浜松市社会福祉協議会"])
def test_a_public_body_is_no_facility_whatever_its_legal_form(body):
    assert found(f"詳しくは{body}に問い合わせてください。", "facility") == []
