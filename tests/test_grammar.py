"""The /jirei grammar: every documented form parses, everything malformed names its usage."""

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.core import grammar
from bot.core.grammar import CommandError, parse

JST = ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize("text, expected", [
    ("", grammar.Help()),
    ("help", grammar.Help()),
    ("profile", grammar.ProfileOpen()),
    ("pledge", grammar.PledgeShow()),
    ("pledge accept", grammar.PledgeAccept()),
    ("sessions", grammar.SessionsList()),
    ("join S3", grammar.Join(code="S3")),
    ("join s3", grammar.Join(code="S3")),
    ("leave S12", grammar.Leave(code="S12")),
    ("my", grammar.Mine()),
    ("groups", grammar.Groups()),
    ("propose", grammar.Propose()),
    ("forget-me", grammar.ForgetMe()),
    ("forget-me confirm", grammar.ForgetMe(confirmed=True)),
    ("admin announce S1", grammar.Announce(code="S1")),
    ("admin roster S2", grammar.Roster(code="S2")),
    ("admin survey send S1", grammar.SurveySend(code="S1")),
    ("admin survey planning", grammar.SurveyPlanning()),
    ("admin survey summary", grammar.SurveySummary()),
    ("admin survey close R3", grammar.SurveyClose(code="R3")),
    ("admin survey close s2", grammar.SurveyClose(code="S2")),
    ("admin survey summary 令和8", grammar.SurveySummary(fiscal_year=2026)),
    ("admin survey summary year=2026", grammar.SurveySummary(fiscal_year=2026)),
    ("admin report R1", grammar.Report(code="R1")),
    ("admin report S1", grammar.Report(code="S1")),
    ("ｊｏｉｎ　Ｓ１", grammar.Join(code="S1")),
    ("ＪＯＩＮ ｓ２", grammar.Join(code="S2")),
    ("admin report year FY2027", grammar.YearReport(fiscal_year=2027)),
    ("admin publish C1", grammar.Publish(case="C1")),
    ("admin publish c1 confirm", grammar.Publish(case="C1", confirmed=True)),
    ("admin nudge", grammar.NudgeNow()),
    ("admin", grammar.AdminHelp()),
])
def test_simple_forms(text, expected):
    assert parse(text, JST) == expected


@pytest.mark.parametrize("word, role", [
    ("事務局", "admin"), ("事務局（管理者）", "admin"), ("管理者", "admin"), ("Secretariat (administrator)", "admin"),
    ("講師", "lecturer"), ("Lecturer", "lecturer"), ("認証者", "coordinator"), ("コーディネーター", "coordinator"),
    ("ｌｅｃｔｕｒｅｒ", "lecturer"),
])
def test_roles_by_their_catalog_names(word, role):
    assert parse(f'admin role U1AB "{word}"', JST) == grammar.RoleGrantCmd(user="U1AB", role=role)


def test_bureau_staff_by_japanese_name():
    assert parse("admin role U1AB 地方局担当者:名古屋", JST) == grammar.RoleGrantCmd(
        user="U1AB", role="bureau_staff", bureau="nagoya")


def test_a_code_of_the_wrong_kind_names_the_kind_expected():
    with pytest.raises(CommandError) as caught:
        parse("admin report C1", JST)
    assert caught.value.key == "usage.bad_code" and caught.value.params["expected"] == "R1 / S1"


def test_users_in_every_documented_form():
    cmd = parse("admin attend S1 <@U123> <@U456|hanako> U789", JST)
    assert cmd == grammar.Attend(code="S1", users=("U123", "U456", "U789"))


def test_role_with_bureau_by_japanese_name():
    assert parse("admin role <@U1AB> bureau_staff:大阪", JST) == grammar.RoleGrantCmd(
        user="U1AB", role="bureau_staff", bureau="osaka")
    assert parse("admin role U1AB admin", JST).role == "admin"


def test_case_new_with_smart_quotes_and_japanese_theme():
    cmd = parse("admin case new title=“外国人患者の受診支援、通訳の手配” theme=医療・福祉 lecturer=<@ULEC1>", JST)
    assert cmd == grammar.CaseNew(title="外国人患者の受診支援、通訳の手配", theme="medical_welfare", lecturer="ULEC1")


def test_session_new_times_without_offset_are_japan_time():
    cmd = parse("admin session new case=C1 bureau=東京 start=2027-05-15T14:00 minutes=120 capacity=30 "
                "min=5 deadline=2027-05-01T17:00 release=2027-05-08T09:00 format=hybrid "
                "facilitator=<@USTAFF1|staff> url=https://meet.example.jp/abc lottery=yes", JST)
    assert cmd.spec.bureau == "tokyo"
    assert cmd.spec.start == datetime(2027, 5, 15, 5, 0, tzinfo=timezone.utc)
    assert cmd.spec.facilitator == "USTAFF1" and cmd.spec.lottery is True
    assert cmd.spec.url == "https://meet.example.jp/abc"


def test_session_new_keeps_an_explicit_offset():
    cmd = parse("admin session new case=C1 bureau=osaka start=2027-05-15T14:00+00:00 minutes=90 capacity=10 "
                "min=3 deadline=2027-05-01T17:00 release=2027-05-08T09:00", JST)
    assert cmd.spec.start == datetime(2027, 5, 15, 14, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("word, code", [
    ("hybrid", "hybrid"), ("オンライン", "online"), ("ｏｎｌｉｎｅ", "online"), ("ハイブリッド", "hybrid"),
    ("会場のみ", "in_person"), ("対面", "in_person"), ("In person", "in_person"), ("in-person", "in_person"),
    ("Online", "online"),
])
def test_a_session_format_by_its_code_or_its_name_in_either_catalog(word, code):
    cmd = parse(f"admin session new case=C1 bureau=東京 start=2027-05-15T14:00 minutes=120 capacity=30 min=5 "
                f"deadline=2027-05-01T17:00 release=2027-05-08T09:00 \"format={word}\"", JST)
    assert cmd.spec.format == code


@pytest.mark.parametrize("word, year", [
    ("2027", 2027), ("FY2027", 2027), ("fy2026", 2026), ("2027年度", 2027), ("令和8", 2026), ("令和9年度", 2027),
    ("R8", 2026), ("ｒ９", 2027), ("令和８年度", 2026),
])
def test_a_fiscal_year_as_people_write_it(word, year):
    assert parse(f"admin report year {word}", JST) == grammar.YearReport(fiscal_year=year)


@pytest.mark.parametrize("text, key", [
    ("admin report year next", "usage.bad_fiscal_year"),
    ("admin report year 平成30", "usage.bad_fiscal_year"),
    ("admin session new case=C1 bureau=東京 start=2027-05-15T14:00 minutes=120 capacity=30 min=5 "
     "deadline=2027-05-01T17:00 release=2027-05-08T09:00 format=teleport", "usage.bad_format"),
    ("frobnicate", "usage.unknown"),
    ("join", "usage.join"),
    ("join 3", "usage.bad_code"),
    ("join S1 S2", "usage.join"),
    ("profile set", "usage.profile"),
    ("profile set colour=blue", "usage.profile_unknown_key"),
    ("profile set name", "usage.profile"),
    ("pledge maybe", "usage.pledge"),
    ('admin case new title="x', "usage.unbalanced_quotes"),
    ("admin case new title=x theme=cooking", "usage.bad_theme"),
    ("admin case new theme=教育", "usage.case_new"),
    ("admin session new case=C1", "usage.session_new"),
    ("admin session new case=C1 bureau=mars start=2027-05-15T14:00 minutes=120 capacity=30 min=5 "
     "deadline=2027-05-01T17:00 release=2027-05-08T09:00", "usage.bad_bureau"),
    ("admin session new case=C1 bureau=tokyo start=tomorrow minutes=120 capacity=30 min=5 "
     "deadline=2027-05-01T17:00 release=2027-05-08T09:00", "usage.bad_time"),
    ("admin session new case=C1 bureau=tokyo start=2027-05-15T14:00 minutes=-1 capacity=30 min=5 "
     "deadline=2027-05-01T17:00 release=2027-05-08T09:00", "usage.bad_number"),
    ("admin attend S1 @someone", "usage.bad_user"),
    ("admin role U123 king", "usage.role"),
    ("admin role U123 bureau_staff:mars", "usage.bad_bureau"),
    ("admin material add C1 url=http://insecure", "usage.material_add"),
    ("admin material add", "usage.material_add"),
    ("admin frob", "usage.admin_unknown"),
    ("x" * 2001, "usage.too_long"),
])
def test_malformed_input_names_its_usage(text, key):
    with pytest.raises(CommandError) as caught:
        parse(text, JST)
    assert caught.value.key == key


def test_every_error_key_exists_in_both_catalogs():
    import re
    from pathlib import Path

    from bot.core.i18n import catalog

    source = Path(grammar.__file__).read_text()
    keys = set(re.findall(r'"(usage\.[a-z_]+)"', source))
    assert keys, "expected usage keys in the grammar"
    for lang in ("ja", "en"):
        missing = keys - set(catalog(lang))
        assert not missing, (lang, missing)


# The examples the help and usage lines show are what people type, in their language: each is read.
@pytest.mark.parametrize("text, expected", [
    ('admin case new title="受診同行" theme=医療・福祉', ("theme", "medical_welfare")),
    ('admin case new title="A visit" theme=Education', ("theme", "education")),
    ('admin case new title="A visit" theme="Public services"', ("theme", "public_services")),
    ('admin case edit C1 theme=Labour', ("changes", {"theme": "labor"})),
    ("admin role U0000001 secretariat", ("role", "admin")),
    ("admin role U0000001 staff:Tokyo", ("bureau", "tokyo")),
    ("admin role U0000001 地方局担当者:東京", ("bureau", "tokyo")),
    ("admin material add C1 url=https://example.jp/c.pdf kind=解説資料", ("kind", "commentary")),
    ("admin material add C1 url=https://example.jp/c.pdf kind=事例資料", ("kind", "material")),
    ("admin material add C1 url=https://example.jp/c.pdf kind=Commentary", ("kind", "commentary")),
    ("admin material add C1 url=https://example.jp/c.pdf kind=commentary", ("kind", "commentary")),
])
def test_the_examples_help_shows_are_read(text, expected):
    field, value = expected
    assert getattr(parse(text, JST), field) == value


def test_an_unknown_material_kind_shows_the_usage():
    with pytest.raises(CommandError) as err:
        parse("admin material add C1 url=https://example.jp/c.pdf kind=動画", JST)
    assert err.value.key == "usage.material_add"


@pytest.mark.parametrize("values, expected", [
    ({"affiliation": "公的機関", "lang": "日本語", "themes": "教育,労働", "nudges": "on"},
     {"affiliation": "public", "lang": "ja", "themes": ["education", "labor"], "nudges_enabled": True}),
    ({"affiliation": "public", "lang": "English", "themes": "Education,Labour"},
     {"affiliation": "public", "lang": "en", "themes": ["education", "labor"]}),
])
def test_the_profile_examples_help_shows_are_read(values, expected):
    from bot.people.service import validate_profile

    assert validate_profile(values).values == expected
