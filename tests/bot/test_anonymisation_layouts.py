"""Kinds of text the blind batches 12 and 13 showed (issue 21): interviews written down turn by turn through an
interpreter, notes written in romanised Japanese, letter-spaced headings of scanned forms. Inputs are
generated, so each rule is shown on a kind of text, not on a string of a batch."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.anonymisation import CONFIDENT, check_text

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

MYANMAR = "ကခဂဃငစဆဇဈညတထဒဓနပဖဗဘမယရလဝသဟအ"
DEVANAGARI = "अआइईउएओकखगघचछजझटठडढतथदधनपफबभमयरलवशसह"
SCRIPT_WORD = st.sampled_from([MYANMAR, DEVANAGARI]).flatmap(lambda letters: st.text(alphabet=letters, min_size=2,
                                                                                      max_size=7))
# Sentences of the languages residents answer in, built from their ordinary words, capitalised at the start.
LATIN_WORDS = ("saya kerja di pabrik sudah bulan gaji belum dibayar ada foto kirim ke rekening "
               "em làm ở công ty số của là hết hạn năm chưa được trả lương "
               "ako pumunta sa noong pero hindi siya nag-post ng litrato oo kotse").split()
LATIN_SENTENCE = st.lists(st.sampled_from(LATIN_WORDS), min_size=2, max_size=7).map(
    lambda words: " ".join(words).capitalize() + ".")
SCRIPT_SENTENCE = st.lists(SCRIPT_WORD, min_size=1, max_size=4).map(lambda words: " ".join(words) + "။")
JAPANESE_QUESTION = st.sampled_from(["いつからですか。", "会社の名前は?", "保険証はお持ちですか。", "はい、わかりました。",
                                     "通帳のコピーはありますか。"])
ROLES = st.sampled_from([("相談者", "相談員"), ("相談者", "通訳"), ("本人", "支援員"), ("相談者", "通訳(中)")])


def confident_names(text: str) -> list[str]:
    return [f.text for f in check_text(text) if f.kind == "person_name" and f.tier == CONFIDENT]


@SETTINGS
@given(roles=ROLES, answers=st.lists(st.one_of(LATIN_SENTENCE, SCRIPT_SENTENCE), min_size=2, max_size=4),
       questions=st.lists(JAPANESE_QUESTION, min_size=2, max_size=4))
def test_in_an_interview_written_turn_by_turn_the_speakers_label_heads_speech_not_a_name(roles, answers, questions):
    asker, answerer = roles
    lines = []
    for question, answer in zip(questions, answers):
        lines += [f"{answerer}:{question}", f"{asker}:{answer}"]
    assert confident_names("\n".join(lines)) == []


@SETTINGS
@given(names=st.lists(st.sampled_from(["陳 偉", "林 美玲", "GURUNG Sujan", "Maung Kyaw", "グエン・ヴァン・アン"]),
                      min_size=2, max_size=3, unique=True))
def test_a_form_that_repeats_its_name_field_for_each_person_still_names_them(names):
    text = "\n".join(f"氏名:{name}\n続柄:子\n生年月日:2015年1月8日" for name in names)
    assert set(names) <= set(confident_names(text))


@SETTINGS
@given(word=SCRIPT_WORD, kin=st.sampled_from(["သမီး", "သား", "ဇနီး"]))
def test_a_name_after_a_burmese_kinship_word_in_a_turn_is_found(word, kin):
    name = "မေ" + word.replace(" ", "")
    text = (f"相談員:ご家族は?\n相談者:{kin} {name} ပါ။ ကျောင်းသွားတယ်။\n相談員:わかりました。\n"
            f"相談者:ဟုတ်ကဲ့။ ကျေးဇူးတင်ပါတယ်။")
    assert name in confident_names(text) or any(name in found for found in confident_names(text))


SYLLABLES = "ka ki ku ke ko sa shi su se so ta chi tsu te to na ni nu ne no ha hi fu ho ma mi mu me mo ya yu yo ra ri ru re ro wa".split()
ROMAJI_SURNAME = st.lists(st.sampled_from(SYLLABLES), min_size=3, max_size=4).map("".join).filter(
    lambda word: word not in ("kokoro", "sakura", "tokoro")).map(str.capitalize)
ROMAJI_SENTENCE = st.sampled_from(["{} ni denwa shimashita.", "Kinou {} to hanashimashita.",
                                   "Ashita {} ga kimasu kara, yoroshiku onegaishimasu.", "{} e\nOtegami arigatou."])


@SETTINGS
@given(surname=ROMAJI_SURNAME, honorific=st.sampled_from([" sensei", "-san", " san", " sama", "-chan", " kun"]),
       sentence=ROMAJI_SENTENCE)
def test_a_word_before_a_romanised_honorific_is_a_person(surname, honorific, sentence):
    found = {f.text: f.tier for f in check_text(sentence.format(surname + honorific)) if f.kind == "person_name"}
    assert found.get(surname) == CONFIDENT


@SETTINGS
@given(surname=ROMAJI_SURNAME, honorific=st.sampled_from([" sensei", " san"]))
def test_a_lowercase_word_before_a_romanised_honorific_is_one_to_check(surname, honorific):
    found = {f.text: f.tier for f in check_text(f"konnichiwa {surname.lower()}{honorific}\ngenki desu ka")
             if f.kind == "person_name"}
    assert found.get(surname.lower()) is not None


@SETTINGS
@given(kin=st.sampled_from(["Okaa", "Otou", "Obaa", "Ojii", "Onee", "Isha", "Tannin", "Kouchou"]),
       honorific=st.sampled_from(["-san", " san", "-chan", " sensei"]))
def test_a_kin_or_role_before_a_romanised_honorific_is_no_person(kin, honorific):
    assert confident_names(f"Kinou {kin}{honorific} ni denwa shimashita.") == []


@SETTINGS
@given(name=st.lists(ROMAJI_SURNAME, min_size=1, max_size=2).map(" ".join),
       kind_and_word=st.sampled_from([("school", "shougakko"), ("school", "shōgakkō"), ("school", "chuugakkou"),
                                      ("school", "Shogakko"), ("facility", "Kōgyō"), ("facility", "kougyou"),
                                      ("facility", "Byouin"), ("facility", "seisakusho")]))
def test_a_romanised_type_word_in_any_spelling_of_its_long_vowels_ends_a_place(name, kind_and_word):
    kind, word = kind_and_word
    place = f"{name} {word}"
    found = {f.text for f in check_text(f"Kodomo wa {place} ni kayotte imasu.") if f.kind == kind}
    assert place in found


# Words of forms' and notices' headings, several of them led by a kanji that is also a Chinese surname.
HEADING_WORDS = "申請 文化 許可 変更 在留 資格 就学 援助 受給 保護 命令 連絡 多文化 届出 証明 交付 周知 方針 林業 金融 高校".split()
HEADING = st.lists(st.sampled_from(HEADING_WORDS), min_size=3, max_size=6).map(lambda words: " ".join("".join(words)))


@SETTINGS
@given(heading=HEADING, tail=st.sampled_from(["書", "票", "届", "（記入例）", ""]))
def test_a_heading_spaced_letter_by_letter_holds_no_name(heading, tail):
    text = f"  {heading} {' '.join(tail)}\n\n受付日:2026年4月17日\n"
    assert [name for name in confident_names(text) if name.replace(" ", "") in heading.replace(" ", "")] == []


@SETTINGS
@given(surname=st.sampled_from("陳林王張周孫"), given=st.text(alphabet="偉美明華強軍", min_size=1, max_size=2),
       honorific=st.sampled_from(["さん", "様", "（母）", ""]))
def test_a_chinese_name_with_one_space_outside_a_spaced_heading_is_still_found(surname, given, honorific):
    name = f"{surname} {given}"
    assert name in confident_names(f"面談には {name}{honorific} が来た。\n")


@SETTINGS
@given(verb=st.sampled_from(["申請", "申込", "申立", "申告", "申出"]), spaced=st.booleans(),
       after=st.sampled_from(["書", "日:2026年4月1日", "ての趣旨:", "の内容"]))
def test_a_forms_verb_led_by_the_surname_shin_is_no_name(verb, spaced, after):
    written = " ".join(verb) if spaced else verb
    assert confident_names(f"{written}{after}\n") == []


def ocr(digits: str, choices: list[int]) -> str:
    """``digits`` as a scan reads them: some 0 as O, some 1 as l or I, some dashes as 一 (choices pick which)."""
    misread = {"0": "O", "1": "l", "-": "一"}
    return "".join(misread[c] if c in misread and choices[i % len(choices)] else c for i, c in enumerate(digits))


MOBILE = st.builds(lambda a, b, c: f"0{a}0-{b:04d}-{c:04d}", st.sampled_from("789"), st.integers(1000, 9999),
                   st.integers(0, 9999)).filter(lambda p: "0" in p[4:] or "1" in p)
CHOICES = st.lists(st.integers(0, 1), min_size=1, max_size=5).filter(any)


@SETTINGS
@given(phone=MOBILE, choices=CHOICES, label=st.sampled_from(["携帯", "TEL:", "電話番号:", "連絡先 "]))
def test_a_phone_number_read_by_ocr_with_letters_for_digits_is_found(phone, choices, label):
    written = ocr(phone, choices)
    found = {f.text for f in check_text(f"{label}{written}\n") if f.kind == "phone"}
    assert written in found


@SETTINGS
@given(year=st.integers(1960, 2019), month=st.integers(1, 12), day=st.integers(1, 28), choices=CHOICES,
       shape=st.sampled_from(["{y}年{m}月{d}日", "{y}.{m:02d}.{d:02d}", "{y}/{m:02d}/{d:02d}"]))
def test_a_birth_date_read_by_ocr_is_found(year, month, day, choices, shape):
    written = ocr(shape.format(y=year, m=month, d=day), choices)
    found = {f.text for f in check_text(f"生年月日:{written}\n") if f.kind == "birth_date"}
    assert any(written in text for text in found)


@SETTINGS
@given(word=st.sampled_from(["Olga", "Ilona", "Lola", "Iowa", "Oslo"]), number=st.integers(2, 99))
def test_letters_that_look_like_digits_inside_a_word_stay_letters(word, number):
    text = f"Her friend {word}{number} and {word} {number} came.\n"
    assert [f for f in check_text(text) if f.kind not in ("person_name", "sns_id")] == []


PLACE_BLANK = st.sampled_from(["〇〇", "○○", "XX", "××"])


@SETTINGS
@given(blank=PLACE_BLANK, numbers=st.sampled_from(["0-0-0", "X 丁目 X 番 X 号", "X-X-X"]),
       postal=st.sampled_from(["〒000-0000", "〒XXX-XXXX", ""]))
def test_an_address_of_a_templates_blanks_is_nobodys(blank, numbers, postal):
    text = f"住所:{postal} {blank}県{blank}市{blank}町{numbers}\n"
    assert [f for f in check_text(text) if f.kind in ("address", "postal_code")] == []


@SETTINGS
@given(name=st.sampled_from(["山田 太郎", "山田 花子", "ヤマダ ハナコ", "ヤマダ タロウ"]),
       cue=st.sampled_from(["（記入例）", "記載例", "見本", "例）"]), line=st.sampled_from(["氏名:{}", "申立人 {} さん"]))
def test_the_sample_names_of_a_filled_in_example_are_nobodys(name, cue, line):
    text = f"保護命令申立書{cue}\n" + line.format(name) + "\n"
    assert confident_names(text) == []


@SETTINGS
@given(name=st.sampled_from(["山田 太郎", "山田 花子"]), line=st.sampled_from(["氏名:{}", "相談者 {} さん"]))
def test_the_sample_names_are_people_in_a_text_that_is_no_example(name, line):
    assert name in confident_names(line.format(name) + "\n来所。\n")


@SETTINGS
@given(name=st.sampled_from(["山田 太郎", "山田 花子"]), local=st.sampled_from(["footer", "info", "taro"]),
       domain=st.sampled_from(["example.jp", "example.com", "sample.co.jp", "mail.example.org"]))
def test_an_address_at_an_example_domain_does_not_make_the_text_an_example(name, local, domain):
    """The full run found it: a document holding footer@example.jp hid the 山田太郎 in its body."""
    assert name in confident_names(f"相談者 {name} さん\n連絡先 {local}@{domain}\n")


@SETTINGS
@given(counts=st.lists(st.tuples(st.integers(0, 6), st.sampled_from(["", "一", "丅", "下", "F"])), min_size=2, max_size=5),
       names=st.lists(st.sampled_from(["マリア・サントス", "グエン・ヴァン・ロン", "ダンテ・クルス", "アラフ・ホセイン"]),
                      min_size=2, max_size=5))
def test_a_ledger_counting_in_sho_strokes_names_no_one_by_its_tallies(counts, names):
    rows = [f"{i:02d} {name}　　受取 {'正' * full + stroke}（{full * 5 + len(stroke)}回）"
            for i, (name, (full, stroke)) in enumerate(zip(names, counts), 1) if full or stroke]
    text = "受取欄は回数（正の字）\n" + "\n".join(rows) + "\n"
    assert [name for name in confident_names(text) if name.startswith(("正", "丅", "下"))] == []


def test_a_given_name_written_like_a_tally_is_a_name_outside_a_ledger():
    assert "田中 正一" in confident_names("担当の田中 正一さんに連絡した。\n")


@SETTINGS
@given(local=st.sampled_from(["sample", "example", "xxxxx", "test", "dummy", "your.name"]),
       domain=st.sampled_from(["example.com", "example.org", "mail.example.net", "foo.test", "bar.example"]))
def test_a_placeholder_at_a_domain_reserved_for_examples_is_nobodys(local, domain):
    assert [f for f in check_text(f"メール:{local}@{domain}\n") if f.kind == "email"] == []


@SETTINGS
@given(local=st.builds("{}.{}".format, st.sampled_from(["maria", "jc", "siti"]), st.sampled_from(["santos", "aisyah"])),
       domain=st.sampled_from(["example.com", "example.org"]))
def test_a_persons_address_at_an_example_domain_is_still_found(local, domain):
    assert [f.text for f in check_text(f"メール:{local}@{domain}\n") if f.kind == "email"] == [f"{local}@{domain}"]


@SETTINGS
@given(ditto=st.sampled_from(["同上", "同右", "同左"]), names=st.lists(st.sampled_from(["マリア・サントス", "ダンテ・クルス"]),
                                                                       min_size=2, max_size=2))
def test_a_ledgers_ditto_word_is_no_name(ditto, names):
    text = f"No 氏名 住所 備考\n1 {names[0]} 川崎区 米2kg\n2 {names[1]} {ditto} {ditto}\n"
    assert [name for name in confident_names(text) if ditto in name] == []
