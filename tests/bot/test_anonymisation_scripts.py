"""Names in any script other than Japanese and Latin (Hangul, Thai, Arabic, Devanagari, Myanmar, Khmer,
Sinhala…): a run of that script beside a person cue is a name; set alone in a Japanese sentence, with
no cue, it is a name to check (要確認). Inputs are generated, not copied from a corpus."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.core.anonymisation import CHECK, CONFIDENT, check_text, is_my_number

# Letters only (no combining marks at a word's start), so every generated word is a word of its script.
SCRIPTS = {
    "hangul": st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3),
    "thai": st.sampled_from("กขคงจฉชซญดตถทนบปผพฟมยรลวศสหอฮ"),
    "arabic": st.sampled_from("ابتثجحخدذرزسشصضطظعغفقكلمنهوي"),
    "devanagari": st.sampled_from("कखगघचछजझटठडढणतथदधनपफबभमयरलवशषसह"),
    "myanmar": st.sampled_from("ကခဂဃငစဆဇညတထဒဓနပဖဗဘမယရလဝသဟဠအ"),
    "khmer": st.sampled_from("កខគឃងចឆជឈញដឋឌឍណតថទធនបផពភមយរលវសហឡអ"),
    "sinhala": st.sampled_from("කඛගඝචඡජඣටඨඩඪණතථදධනපඵබභමයරලවශෂසහළ"),
}
word = st.one_of(*[st.text(alphabet, min_size=2, max_size=6) for alphabet in SCRIPTS.values()])
name = st.lists(word, min_size=1, max_size=2).map(" ".join)

HONORIFICS = st.sampled_from(["さん", "様", "氏", "ちゃん", "くん", "先生"])
CUES_BEFORE = st.sampled_from(["娘 ", "お母さんの ", "夫の", "長男 ", "氏名：", "名前：", "本人：", "署名　", "Name: "])
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def person_names(text: str, tier: str = CONFIDENT) -> list[str]:
    return [f.text for f in check_text(text) if f.kind == "person_name" and f.tier == tier]


@SETTINGS
@given(name=name, honorific=HONORIFICS)
def test_a_name_in_any_script_before_an_honorific_is_found(name, honorific):
    assert name in person_names(f"昨日、{name}{honorific}から電話があった。")


@SETTINGS
@given(name=name, cue=CUES_BEFORE)
def test_a_name_in_any_script_after_a_kinship_word_or_a_name_label_is_found(name, cue):
    assert name in person_names(f"{cue}{name}（来日3年）は元気にしている。")


@SETTINGS
@given(name=name)
def test_a_name_followed_by_its_reading_in_katakana_is_found(name):
    assert name in person_names(f"相談に来たのは {name}（アナ・ロペス）で、")


@SETTINGS
@given(speaker=word, stamp=st.sampled_from(["[2024/10/30 22:15] ", "・", "", "12:03 "]))
def test_a_chat_speaker_in_any_script_at_a_line_start_is_found(speaker, stamp):
    assert speaker in person_names(f"{stamp}{speaker}: 明日行きます\n")


@SETTINGS
@given(speaker=st.text(SCRIPTS["hangul"], min_size=2, max_size=4), time=st.sampled_from(["오후 3:12", "午前 9:05", "10:12"]))
def test_a_speaker_line_with_a_time_is_a_name_and_the_time_word_is_not(speaker, time):
    found = person_names(f"{speaker} {time}\n선생님, 내일 가요\n")
    assert speaker in found and "오후" not in found


def test_a_name_told_in_its_own_language_is_found():
    assert "ဝင်းထက်နိုင်" in person_names("ကျွန်တော့်နာမည် ဝင်းထက်နိုင် ပါ။")
    assert "ศรีสุข" in person_names("ชื่อ ศรีสุข ครับ")
    assert "محمود" in person_names("اسمي محمود")


@SETTINGS
@given(name=word)
def test_a_run_alone_in_a_japanese_sentence_without_a_cue_is_one_to_check(name):
    text = f"あの時は {name} に会いに行った。"
    assert name in person_names(text, CHECK) and name not in person_names(text)


def test_quoted_words_labels_and_bilingual_headings_are_not_names():
    for text in ("本人の希望：「กลับบ้าน」（帰りたい）。", "アレルギー：البنسلين → ペニシリン", "(บันทึก / 記録) 相談",
                 "주소 보내 드릴게요: 新宿区"):
        assert not [f for f in check_text(text) if f.kind == "person_name"], text


def test_a_name_found_once_is_found_again_bare():
    found = person_names("娘 ปิยะดา に会いたい。来月 ปิยะดา が来日する。")
    assert found.count("ปิยะดา") == 2


def test_a_cyrillic_name_after_a_russian_kinship_word_is_found():
    assert "Такэси" in person_names("Мой муж Такэси работает на заводе.")


def test_a_messenger_handle_after_the_service_and_an_ocr_spaced_residence_card_are_found():
    found = [(f.kind, f.text) for f in check_text("LINE lorna.v.0715 です\n在留カード番号　ＲＹ ６６１０ ９３４２ Ｅ Ａ\n")]
    assert ("sns_id", "lorna.v.0715") in found and ("residence_card", "ＲＹ ６６１０ ９３４２ Ｅ Ａ") in found
    assert not [f for f in check_text("Facebook facebook.com/some.page.12 を見た") if f.text == "facebook"]


# --- workplaces named before their legal form, and chat logs pasted as "speaker  time" lines ---------

@SETTINGS
@given(name=st.builds(str.__add__, st.sampled_from(["東洋", "北勢", "丸山", "新潟", "三河", "東海", "大和", "湘南"]),
                      st.sampled_from(["縫製", "電子", "ライスフーズ", "精密", "物産", "", "テクノ", "運送"])),
       form=st.sampled_from(["株式会社", "有限会社", "合同会社"]))
def test_nouns_right_before_a_legal_form_are_a_workplace(name, form):
    found = [(f.kind, f.text) for f in check_text(f"夫は{name}{form}で働いている。")]
    assert any(kind == "facility" and text.endswith(form) and name in text for kind, text in found), found


def test_a_legal_form_before_a_name_or_after_a_kind_of_company_is_no_name_of_its_own():
    assert ("facility", "有限会社 北勢縫製") in [(f.kind, f.text) for f in check_text("実習先 有限会社 北勢縫製 に通う")]
    assert ("facility", "株式会社テックブリッジ") in [(f.kind, f.text) for f in check_text("IT企業株式会社テックブリッジに勤務")]
    assert not check_text("大手株式会社に勤める人が多い。")


@pytest.mark.parametrize("type_word", ["整骨院", "作業所", "牧場", "鉄工所", "旅館", "デイサービス"])
def test_a_workplace_named_before_a_broad_list_of_type_words_is_found(type_word):
    assert ("facility", f"山田{type_word}") in [(f.kind, f.text) for f in check_text(f"山田{type_word}に通っている。")]


@SETTINGS
@given(handles=st.lists(st.from_regex(r"[a-z]{3,8}[._][a-z]{1,8}", fullmatch=True), min_size=2, max_size=3, unique=True))
def test_chat_handles_on_lines_of_their_own_with_the_time_are_speakers(handles):
    # a part that is the word "bot" or "system" is a program's line, left alone on purpose
    assume(not any(part in ("bot", "system") for h in handles for part in re.split(r"[._]", h)))
    log = "".join(f"{handle}  10:{12 + i}\n了解です\n" for i, handle in enumerate(handles))
    found = person_names(log)
    assert all(handle in found for handle in handles), found


def test_one_line_of_a_word_and_a_time_is_a_timetable_not_a_speaker():
    assert not check_text("集合\nCheck-in 10:00\n")


# --- Latin names with initials, and names two rules found in parts -----------------------------------

LATIN_NAME = st.sampled_from(["Hannah", "Ricardo", "Marcos", "Hiroshi", "Thandiwe", "Oyelaran", "Brankica"])
SURNAME = st.sampled_from(["Weber", "Gomes", "Kaneda", "Mudiyanselage", "Morioka", "Nakamura", "Okonkwo"])
INITIAL = st.sampled_from("ABCDKLTVW").map(lambda letter: f"{letter}.")


@SETTINGS
@given(title=st.sampled_from(["Mr.", "Ms.", "Dr.", ""]), given_name=LATIN_NAME, initial=INITIAL, surname=SURNAME)
def test_a_name_with_a_middle_initial_is_found_whole(title, given_name, initial, surname):
    name = " ".join(p for p in (title, given_name, initial, surname) if p)
    found = person_names(f"The case was referred by {name} on Monday.")
    assert any(f"{given_name} {initial} {surname}" in text for text in found), found


@SETTINGS
@given(initials=st.lists(INITIAL, min_size=1, max_size=2).map(" ".join), surname=SURNAME)
def test_initials_before_a_surname_belong_to_the_name(initials, surname):
    assert f"{initials} {surname}" in person_names(f"担当: {initials} {surname}\n")


# --- surnames the dictionary tags as places ---------------------------------------------------------

PLACE_SURNAMES = st.sampled_from(["長田", "三宅", "野田", "岸本", "上野", "戸田", "本田"])


@SETTINGS
@given(surname=PLACE_SURNAMES, title=st.sampled_from(["先生", "主任", "課長", "医師", "教諭", "という男"]))
def test_a_surname_tagged_as_a_place_before_a_title_is_a_name(surname, title):
    assert surname in person_names(f"産科の{surname}{title}に相談した。")


@SETTINGS
@given(surname=PLACE_SURNAMES, role=st.sampled_from(["担任 ", "課長", "学年主任の", "［担当：", "書記官 "]),
       after=st.sampled_from(["に共有した。", "から連絡。", "］", "、"]))
def test_a_surname_tagged_as_a_place_after_a_role_is_a_name(surname, role, after):
    assert surname in person_names(f"{role}{surname}{after}")


def test_a_place_without_a_person_cue_stays_a_place():
    assert not [f for f in check_text("大阪に行く担当は東京に戻る。東京さんの支社と調整。長野県の長野市") if f.kind == "person_name"]


# --- labelled numbers written in spaced digit groups -------------------------------------------------

@SETTINGS
@given(groups=st.lists(st.from_regex(r"[1-9][0-9]{2,6}", fullmatch=True), min_size=2, max_size=3),
       label=st.sampled_from(["受給者番号　", "被保険者番号：", "パスポート（番号 ", "整理番号 ", "会員ID: "]),
       wide=st.booleans())
def test_a_labelled_number_in_spaced_digit_groups_is_found_whole(groups, label, wide):
    value = " ".join(groups)
    # twelve digits with a valid check digit are found as a My Number, shown masked
    assume(not is_my_number("".join(groups)))
    if wide:
        value = value.translate({code: code + 0xFEE0 for code in range(0x30, 0x3A)})
    assert value in [f.text for f in check_text(f"{label}{value}\n")]


def test_two_short_spaced_numbers_after_a_label_are_no_identifier():
    assert not check_text("番号 12 34\n")


# --- an office's document number, 第…号 ----------------------------------------------------------------

@SETTINGS
@given(office=st.sampled_from(["東管在", "浜福保", "", "市福第"[:2]]),
       number=st.from_regex(r"(?:[0-9]{2}-)?[1-9][0-9]{3,6}", fullmatch=True))
def test_an_office_document_number_of_four_digits_or_more_is_a_case_number(office, number):
    found = [(f.kind, f.text) for f in check_text(f"通知書 {office}第{number}号 を受け取った。")]
    assert ("case_number", number) in found, found


@pytest.mark.parametrize("text", ["令和5年法律第1234号", "厚生労働省告示第1234号", "平成30年度第1234号", "登録番号 第19081234号",
                                  "第3号"])
def test_statutes_registers_and_short_numbers_are_not_document_numbers(text):
    assert not [f for f in check_text(text) if f.kind == "case_number"]
