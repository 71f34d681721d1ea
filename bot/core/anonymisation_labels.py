"""Label-driven findings: whatever follows a label such as 氏名：, Address:, 生年月日, ケース番号 in a
``label：value`` / ``label: value`` line, a tab- or │-separated table cell, or after a wide gap, is read
as that label's kind, whatever its shape. A number given with a label is flagged whatever its check
digit (a mistyped My Number exposes its holder just as much).

Works on the folded text of ``bot.core.anonymisation`` (full-width ASCII folded, one character for
one) and yields ``(kind, start, end, tier)``. Every pattern is a sequence of bounded character classes
with no nested repetition, so the time is linear in the text.
"""

from __future__ import annotations

import re
from typing import Iterator

CONFIDENT = "confident"
CHECK = "check"

# The value of a field ends at a line break, a tab, a table rule, a bracket, a Japanese comma or
# full stop, or a gap of two spaces (folded full-width spaces included).
_VALUE = r"(?P<value>[^\n\t│|（(、。※<>]{1,60})"
_SEPARATOR = r"[ \t]*(?:[:：]|\t|│|\|)[ \t│|]*"

_PERSON_LABELS = (
    "氏名", "名前", "本名", "通称名", "通称", "相談者", "申請者", "申請人", "申立人", "相手方", "対象者", "患者", "児童",
    "生徒", "学生", "保護者", "依頼者", "受付者", "記入者", "記入", "記録者", "記録", "担当者", "担当", "通訳者", "通訳", "子",
    "配偶者", "世帯主", "代理人", "当事者", "出席者", "参加者", "上司", "ケアマネジャー", "ケースワーカー", "喪主", "咨询人", "姓名",
    "Name", "Full name", "Client", "Cliente", "Patient", "Applicant", "Student", "Child", "Mother", "Father",
    "Husband", "Wife", "Marido", "Esposa", "Nome", "From", "Từ", "Pangalan", "이름",
)
# Kinship words that may stand between a label and the name ("子：長女 大槻 エマ", "保護者│父 X 母 Y").
_KIN_INSIDE = re.compile(r"(?:^|(?<=\s))(?:長男|長女|次男|次女|三男|三女|父|母|夫|妻|息子|娘|祖父|祖母)(?:\s+|(?=[^\s]))")
_HONORIFIC_TAIL = re.compile(r"\s*(?:さん|様|氏|さま|くん|ちゃん|先生|女士|先生|씨|님)\s*$")
# Values that are not names: blanks of a form, placeholders, pseudonyms, "unknown".
_NOT_A_NAME = re.compile(r"^(?:[＿_\-ー―・*＊〇○×?？ ]+|[A-Z]|[A-Z]氏|[〇○△□]+.*|不明|なし|無し|非公開|省略|未定|匿名|本人"
                         r"|同上|記載なし|n/?a|none|unknown)$", re.IGNORECASE)
# Words that make a value an organisation or a role, not a person.
_ORGANISATION = re.compile(r"(?:課|係|部|室|局|所|署|院|会|団|庁|センター|協会|機構|窓口|事務所|相談員|公式|チーム"
                           r"|[Tt]eam|[Oo]ffice|[Cc]entre|[Cc]enter|[Dd]ept)")
_PARTICLES = re.compile(r"[をがはにでへもや]|から|まで|ます|です|した|して")

_PERSON_FIELD = re.compile(
    r"(?:^|(?<=[\s│|・（(]))(?:[一-龥ァ-ヴー]{1,6}?)?(?P<label>"
    + "|".join(sorted(map(re.escape, _PERSON_LABELS), key=len, reverse=True)).replace("氏名", "氏 {0,4}名")
    + r")(?:[（(][^）)\n]{1,12}[）)])?" + _SEPARATOR + _VALUE, re.MULTILINE)

_ADDRESS_FIELD = re.compile(
    r"(?:^|(?<=[\s│|・（(]))(?:[一-龥ァ-ヴー]{1,4}?)?(?P<label>住 {0,4}所|現住所|新住所|自宅|居所|住まい|寮|所在地|Address|Endereço(?: no Japão)?"
    r"|Địa chỉ|Dirección|Tirahan|주소)(?:[（(][^）)\n]{1,12}[）)])?" + _SEPARATOR + _VALUE, re.MULTILINE)
_POSTAL_PREFIX = re.compile(r"^〒? ?[0-9]{3}-?[0-9]{4}\s*")

_PLACE_FIELD = re.compile(
    r"(?:^|(?<=[\s│|・（(]))(?P<label>勤務先|勤め先|職場|アルバイト先|バイト先|通院先|入所先|(?i:employer|workplace)"
    r"|(?P<school>学校名|学校|前籍校|編入先|在籍校|転校先|(?i:school)))(?:・[一-龥]{1,4})?(?:[（(][^）)\n]{1,12}[）)])?"
    + _SEPARATOR + _VALUE, re.MULTILINE)
_PLACE_TYPE = re.compile(r"(?:学校|小学校|中学校|高校|大学|学院|学園|保育園|幼稚園|病院|クリニック|医院|会社|株式会社|有限会社"
                         r"|\(株\)|工場|工業|食品|店|ホーム|センター|[A-Z][a-z]+ [A-Z][a-z]+)")

_BIRTH_CUE = re.compile(
    r"(?:生年月日|誕生日|出生日|うまれた ?ひ|たんじょうび|せいねんがっぴ|(?i:date of birth|birth ?date|d\.?o\.?b\.?|born(?: on)?|nascid[oa] em|nacid[oa] el"
    r"|data de nascimento|fecha de nacimiento|sinh ngày|ngày sinh|kapanganakan|ipinanganak))"
    r"(?:[（(][^）)\n]{1,12}[）)])?[ \t:：│|]{0,4}")
_DATE = re.compile(
    r"(?:[0-9]{1,2}[/.\-][0-9]{1,2}[/.\-](?:19|20)[0-9]{2}|(?:19|20)[0-9]{2}[/.\-][0-9]{1,2}[/.\-][0-9]{1,2}"
    r"|(?:19|20)[0-9]{2}(?:[（(](?:昭和|平成|令和)[0-9元]{1,2}[）)])?年 ?[0-9]{1,2}月 ?[0-9]{1,2}日|(?:19|20)[0-9]{2} ?ねん ?[0-9]{1,2} ?がつ ?[0-9]{1,2} ?にち|(?:明治|大正|昭和|平成|令和)(?:[0-9]{1,2}|元)年 ?[0-9]{1,2}月 ?[0-9]{1,2}日)"
    r"(?![0-9])")

_MY_NUMBER_FIELD = re.compile(
    r"(?:個人番号|マイナンバー|(?i:my ?number)|마이넘버)(?:カード)?(?:の番号)?(?:[（(][^）)\n]{1,20}[）)])?[^0-9\n]{0,6}?"
    r"(?P<value>(?<![0-9])[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{4})(?![0-9])")

_CASE_LABELS = ("ケース番号", "事件番号", "受付番号", "申請番号", "社員番号", "従業員番号", "職員番号", "学籍番号", "学生番号",
                "納税通知書番号", "通知書番号", "宛名番号", "許可番号",
                "労働審判", "調停", "employee no.", "employee number", "employee id", "staff no.", "student no.",
                "student id", "case no.", "case number", "file no.", "reference no.", "ref. no.")
_ERA_CASE = r"(?:令和|平成|昭和)(?:[0-9]{1,2}|元)年 ?[（(][^）)\n]{1,4}[）)] ?第 ?[0-9]{1,6} ?号"
_CASE_FIELD = re.compile(
    r"(?i:" + "|".join(sorted(map(re.escape, _CASE_LABELS), key=len, reverse=True)) + r")"
    r"[ \t:：は=（(]{0,3}(?P<value>" + _ERA_CASE + r"|[A-Za-z0-9一-龥/\-]{1,30})")
# A court case number needs no label: "令和6年（家イ）第1187号" (a statute, "令和6年法律第60号", has no brackets).
_COURT_CASE = re.compile(_ERA_CASE)
# An office's document number of four digits or more: "浜福保第3127号", "東管在第23-118705号", "第22-精-004881号"
# (a statute or circular, "令和5年法律第1234号", "告示第1234号", names its kind before 第 and is public).
_DOCUMENT_NUMBER = re.compile(r"第 ?(?P<value>[0-9]{1,4}(?:-[一-龥A-Za-z]{1,3})?-[0-9]{3,8}|[0-9]{4,8}) ?号")
_STATUTE_BEFORE = re.compile(r"(?:法律|法|政令|省令|府令|令|条例|規則|告示|通知|通達|訓令|規程|要綱|公示|条|年度?)[ 　]?$")

_PHONE_FIELD = re.compile(
    r"(?:電話番号|電話|携帯|TEL|Tel|tel|Phone|phone|Mobile|mobile|直通|連絡先|Telefone|Teléfono|Numero|Número"
    r"|Số điện thoại|電話號碼|电话|연락처)[^0-9+\n]{0,8}?"
    r"(?P<value>(?<![0-9])\+?[0-9][0-9 ()\-]{7,16}[0-9])(?![0-9])")
_PUBLIC_PREFIXES = ("0120", "0570", "0800", "0180", "0990")


def _strip(folded: str, start: int, end: int) -> tuple[int, int]:
    while start < end and folded[start] in " ,:：":
        start += 1
    while end > start and folded[end - 1] in " ,:：":
        end -= 1
    return start, end


def _value_end(folded: str, start: int, end: int) -> int:
    """Where a field's value really ends: before a wide gap ("  ") or ", " followed by a lowercase word
    ("Santos, nascida em"); "DELA CRUZ, Ramon" stays whole."""
    value = folded[start:end]
    gap = value.find("  ")
    if gap != -1:
        value = value[:gap]
    for match in re.finditer(r", (?=[a-zà-ÿ0-9])", value):
        value = value[:match.start()]
        break
    return start + len(value)


# Column headers of a table: a label after a label is no value.
_HEADER_WORDS = frozenset("国籍 性別 年齢 生年月日 住所 電話 電話番号 連絡先 在留資格 在留期限 在留カード メモ 備考 内容 対応 "
                          "言語 使用言語 場所 日付 依頼者 No 番号 勤務先 学校 学年 用件 区分 つなぎ先 人数 メモ Nationality Sex Gender Age Phone Address "
                          "Notes Date".split())


def _looks_like_a_name(value: str) -> bool:
    if value.split(" ")[0] in _HEADER_WORDS or _column_kind(value):
        return False  # another column's header
    if not value or _NOT_A_NAME.match(value) or re.search(r"[0-9@/]", value):
        return False
    if _ORGANISATION.search(value):
        return False
    if len(value) > 40 or len(value.split()) > 5:
        return False
    # A sentence, not a name: particles or verb endings in hiragana mixed with kanji.
    return not (_PARTICLES.search(value) and re.search(r"[一-龥ァ-ヴ]", value))


# An interview written down turn by turn: "相談者:…", "通訳(中):…", "相談員:…" heading the lines. A label that
# heads two lines or more, most of them speech (a sentence, not a value), beside another such label, is a
# speaker: what follows it is what was said, not a field's value (a form repeats 氏名: for each person, but
# with values, not sentences).
_TURN = re.compile(r"^[ \t]*(?P<label>[一-龥ァ-ヴーA-Za-z]{1,12}(?:[（(][^）)\n]{1,8}[）)])?)[ \t]*[:：][ \t]*(?P<said>[^\n]*)",
                   re.MULTILINE)
_SPEECH = re.compile(r"[。？?！!။।]|[.,] |[.…]$")


def _is_speech(said: str) -> bool:
    return bool(_SPEECH.search(said)) or said.count(" ") >= 4


def speech_starts(folded: str) -> frozenset[int]:
    """Where the speech of each turn begins, in a text written as a dialogue between speakers (see _TURN)."""
    turns: dict[str, list[re.Match]] = {}
    for match in _TURN.finditer(folded):
        turns.setdefault(match.group("label"), []).append(match)
    speakers = [lines for lines in turns.values()
                if len(lines) >= 2 and sum(_is_speech(m.group("said")) for m in lines) * 2 >= len(lines)]
    if len(speakers) < 2:
        return frozenset()
    return frozenset(match.start("said") for lines in speakers for match in lines)


def _person_fields(folded: str) -> Iterator[tuple[str, int, int, str]]:
    speech = speech_starts(folded)
    for match in _PERSON_FIELD.finditer(folded):
        if match.start("value") in speech:
            continue
        start = match.start("value")
        end = _value_end(folded, start, match.end("value"))
        value = folded[start:end]
        if match.group("label") == "From":
            value = value.split("<")[0]
            end = start + len(value)
        # "SOUZA LIMA Gabriel 市立西小4年": the name ends before a chunk in another script or with digits.
        chunks = value.split(" ")
        for i, chunk in enumerate(chunks):
            if i and (re.search(r"[0-9:]", chunk) or (re.search(r"[A-Za-z]", chunks[0])
                                                     and re.search(r"[一-龥ぁ-んァ-ヴ]", chunk))):
                value = " ".join(chunks[:i])
                end = start + len(value)
                break
        tail = _HONORIFIC_TAIL.search(value)
        if tail:
            end = start + tail.start()
        # Several people in one cell: "父 GURUNG Bikash 母 Sita Gurung".
        pieces: list[tuple[int, int]] = []
        cursor = start
        for kin in _KIN_INSIDE.finditer(folded, start, end):
            pieces.append((cursor, kin.start()))
            cursor = kin.end()
        pieces.append((cursor, end))
        for piece_start, piece_end in pieces:
            piece_start, piece_end = _strip(folded, piece_start, piece_end)
            value = folded[piece_start:piece_end]
            if not _looks_like_a_name(value):
                continue
            # A short name in one script is sure; a longer mixed value is for a person to check.
            sure = bool(re.fullmatch(r"[A-Za-zÀ-ɏḀ-ỿ'.\-, ]{2,40}|[一-龥々]{2,6}|[一-龥々]{1,3} [一-龥々]{1,3}"
                                     r"|[ァ-ヴー・=＝ ]{2,30}|[ぁ-ん ]{2,10}|[가-힣 ]{2,10}|[一-龥々]{1,4} ?[ァ-ヴー]{2,10}",
                                     value))
            yield "person_name", piece_start, piece_end, CONFIDENT if sure else CHECK


# "A県B市", "B City", "〇〇市": a place already written as a pseudonym.
_PSEUDONYM_PLACE = re.compile(r"^(?:(?:[A-Z]|[〇○△□]+) ?(?:都|道|府|県|市|区|町|村|City|Prefecture|Ward|Town)[ ,]*)+$"
                              r"|^(?:[一-龥]{2,3}[都道府県])?[A-Z〇○△□]{1,2}[市区町村]$")


# Where a sentence goes on after the address: "…二番地の七に住む", "…で暮らす".
_ADDRESS_ENDS = re.compile(r"(?:に|で|から|へ|です|とのこと)(?=[ぁ-ん]{0,3}(?:住|暮|在|居|転|引|移|お|い|あ|な|。|$))")


# Another field after one space: "本町 4-2-7　電話 090-…".
_NEXT_LABEL = re.compile(r" (?:電話|TEL|Tel|携帯|連絡先|メール|E-?mail|生年月日|氏名|国籍|性別|在留)")


def _address_fields(folded: str) -> Iterator[tuple[str, int, int, str]]:
    for match in _ADDRESS_FIELD.finditer(folded):
        start = match.start("value")
        end = _value_end(folded, start, match.end("value"))
        next_label = _NEXT_LABEL.search(folded, start, end)
        if next_label:
            end = next_label.start()
        verb = _ADDRESS_ENDS.search(folded, start, end)
        if verb:
            end = verb.start()
        postal = _POSTAL_PREFIX.match(folded, start, end)
        if postal:
            start = postal.end()
        start, end = _strip(folded, start, end)
        value = folded[start:end]
        if len(value) < 3 or _NOT_A_NAME.match(value) or _PSEUDONYM_PLACE.match(value) or _column_kind(value):
            continue
        has_number = bool(re.search(r"[0-9]|丁目|番地", value))
        yield "address", start, end, CONFIDENT if has_number else CHECK


def _place_fields(folded: str) -> Iterator[tuple[str, int, int, str]]:
    for match in _PLACE_FIELD.finditer(folded):
        start = match.start("value")
        start, end = _strip(folded, start, _value_end(folded, start, match.end("value")))
        value = folded[start:end]
        if len(value) < 2 or _NOT_A_NAME.match(value) or re.match(r"[0-9]", value):
            continue
        kind = "school" if match.group("school") else "facility"
        yield kind, start, end, CONFIDENT if _PLACE_TYPE.search(value) else CHECK


def _birth_fields(folded: str) -> Iterator[tuple[str, int, int, str]]:
    for cue in _BIRTH_CUE.finditer(folded):
        date = _DATE.match(folded, cue.end())
        if date:
            yield "birth_date", date.start(), date.end(), CONFIDENT


def _number_fields(folded: str) -> Iterator[tuple[str, int, int, str]]:
    for match in _MY_NUMBER_FIELD.finditer(folded):
        yield "my_number", match.start("value"), match.end("value"), CONFIDENT
    for match in _CASE_FIELD.finditer(folded):
        value = match.group("value")
        trimmed = value
        # The value runs on into the next word ("0417号福祉…"): keep it up to its last digit or 号.
        while trimmed and not (trimmed[-1].isdigit() or trimmed[-1] == "号" or
                               (trimmed[-1].isascii() and trimmed[-1].isalpha() and any(c.isdigit() for c in trimmed))):
            trimmed = trimmed[:-1]
        if "号" in trimmed:
            trimmed = trimmed[:trimmed.index("号") + 1]
        if not any(c.isdigit() for c in trimmed):
            continue
        yield "case_number", match.start("value"), match.start("value") + len(trimmed), CONFIDENT
    for match in _COURT_CASE.finditer(folded):
        yield "case_number", match.start(), match.end(), CONFIDENT
    for match in _DOCUMENT_NUMBER.finditer(folded):
        if not (_STATUTE_BEFORE.search(folded, max(0, match.start() - 6), match.start())
                or _NOT_ID_LABEL.search(folded, max(0, match.start() - 12), match.start())):  # 登録番号 第…号: a register
            yield "case_number", match.start("value"), match.end("value"), CONFIDENT, True
    for match in _PHONE_FIELD.finditer(folded):
        value = match.group("value")
        digits = re.sub(r"[^0-9]", "", value)
        if len(digits) < 9 or digits.startswith(_PUBLIC_PREFIXES):
            continue
        if re.fullmatch(r"(?:19|20)[0-9]{2}", digits[:4]) and len(digits) == 8:
            continue  # a date, not a number
        yield "phone", match.start("value"), match.end("value"), CONFIDENT


_INSURANCE_FIELD = re.compile(r"(?:証券番号|保険証券番号|(?i:policy no\.?|policy number))[ \t:：は]{0,3}"
                              r"(?P<value>[0-9][0-9\-]{5,20}[0-9])(?![0-9])")
_BANK_FIELD = re.compile(r"(?:(?<![A-Za-z])A/C|(?i:account no\.?|account number|acct\.?|conta|número da conta|số tài khoản))"
                         r"[ \t:：.]{0,3}(?P<value>[0-9][0-9\-]{5,24}[0-9])(?![0-9])")
_SNS_BRACKET = re.compile(
    r"(?<![ァ-ヴーA-Za-z])(?:LINE|ライン|WeChat|微信|KakaoTalk|카카오톡|Instagram|インスタ|Facebook|Zalo|WhatsApp|Viber|Telegram|Messenger"
    r"|Skype|TikTok|X|Twitter)(?: ?ID)? ?[（(] ?(?:ID|微信号|아이디|ユーザー名|user ?name)? ?[:：]? ?"
    r"(?P<value>@?[A-Za-z0-9][A-Za-z0-9._\-]{2,40})(?=[）)])")


def _account_fields(folded: str) -> Iterator[tuple[str, int, int, str]]:
    for kind, pattern in (("insurance_number", _INSURANCE_FIELD), ("bank_account", _BANK_FIELD),
                          ("sns_id", _SNS_BRACKET)):
        for match in pattern.finditer(folded):
            if kind == "sns_id" and re.fullmatch(r"[0-9\-]+", match.group("value")):
                continue  # a phone number in brackets, found as such
            start = match.start("value") + (1 if match.group("value").startswith("@") else 0)
            yield kind, start, match.end("value"), CONFIDENT


# Any other number given with a label is an identifier, whatever its shape: "患者ID：2291-04587",
# "MRN: 00731846", "受付番号 東難 2023-11-0418", "証明書番号 輪災-R6-008872", "Encounter No.: IP-2025-004417",
# "the Bureau's case reference is R4-SHIN-771023". The label says the kind (口座 → bank account, 保険 or
# 年金 → insurance, 旅券 → passport…); a label of a public register (登録番号, 法人番号, 保険者番号…) or of
# a kind read elsewhere (電話, 郵便…) is left to those rules.
_ID_LABEL = re.compile(
    r"(?P<label>(?<![一-龥ァ-ヴー])[一-龥ァ-ヴー・]{0,8}(?:番号|ナンバー|ＩＤ|ID|No\.?|コード)"
    r"|(?<![A-Za-z])(?:MRN|(?i:num[ée]ro de [a-z]+|n[úu]mero de [a-z]+|(?:case|file|patient|member|employee|staff|student|claim|invoice|application|receipt"
    r"|encounter|admission|record|ticket|reference|card|policy|registration|certificate)\.? ?(?:no\.?|number|#|id"
    r"|reference|ref\.?)|case reference|reference)))"
    r"(?:[（(][^）)\n]{1,12}[）)])?(?:[ \t]*(?:is|は|が|:|：|=|#|→)[ \t]*|[ \t]{1,2}|(?<=\.)(?=[A-Z0-9]))"
    r"(?P<value>(?<![0-9])[0-9]{2,8}(?: [0-9]{2,8}){1,3}(?![0-9A-Za-z])"  # digit groups with single spaces: "6041 2273"
    r"|(?:[一-龥]{1,4}[ -]?){0,2}(?:[A-Z]{1,3} )?[A-Za-z0-9〇一二三四五六七八九第][A-Za-z0-9_一-龥〇\-/・.の]{2,30})")
_KANJI_DIGITS = "〇一二三四五六七八九"
# A label that ends its line's field with a colon: the codes after it on the line are its values.
_ID_LABEL_LINE = re.compile(r"(?P<label>(?<![一-龥ァ-ヴー])[一-龥ァ-ヴー・]{0,8}(?:番号|ID|No\.?))(?:[（(][^）)\n]{1,12}[）)])?[ \t]*[:：]")
# More codes of the same label on its line: "社員番号：ズン HS-0412、フオン HS-0415".
_CODE = re.compile(r"(?<![A-Za-z0-9\-])[A-Z]{1,4}-?[0-9]{3,8}(?:-[0-9A-Z]{1,6})?(?![A-Za-z0-9\-])")
_NOT_ID_LABEL = re.compile(r"電話|TEL|Tel|FAX|Fax|携帯|郵便|部屋|登録|法人|(?<!被)保険者番号|事業所|医療機関|機関|番号札"
                           r"|カード番号|在留カード|部品|製品|商品|品番|型番|型式|シリアル|ロット|バージョン|モデル|注文|規格"
                           r"|(?i:phone|room|registration|zip|postal|part|model|serial|order|item|product|version|lot)")
_ID_KIND = (("bank_account", re.compile(r"口座|銀行|ゆうちょ|信用金庫|(?i:account|bank)")),
            ("insurance_number", re.compile(r"保険|年金|(?i:insurance|pension|policy)")),
            ("passport", re.compile(r"旅券|パスポート|(?i:passport)")),
            ("my_number", re.compile(r"個人番号|マイナンバー|通知カード|(?i:my ?number)")))


def _any_labelled_ids(folded: str) -> Iterator[tuple[str, int, int, str]]:
    for match in _ID_LABEL.finditer(folded):
        label = match.group("label")
        if _NOT_ID_LABEL.search(label):
            continue
        value = match.group("value")
        if "号" in value:
            value = value[:value.index("号") + 1]
        # The value ends at its last digit (or a letter after digits): "0417号福祉…" keeps "0417号".
        while value and not (value[-1].isdigit() or value[-1] in "号" + _KANJI_DIGITS
                             or (value[-1].isascii() and value[-1].isalpha() and any(c.isdigit() for c in value))):
            value = value[:-1]
        digits = sum(c.isdigit() or c in _KANJI_DIGITS for c in value)
        if re.search(r"[A-Za-z_]", value) and re.search(r"LINE|ライン|WeChat|Instagram|インスタ|Facebook|(?i:kakao)",
                                                         folded[max(0, match.start() - 40):match.start()]):
            yield "sns_id", match.start("value"), match.start("value") + len(value), CONFIDENT
            continue
        if (digits < 3 or (digits < 5 and value.isdigit())
                or (" " in value and (digits < 6 or re.fullmatch(r"(?i)no", label)))  # "No 1234 5678 is a serial" or value.startswith("の") or re.fullmatch(r"T[0-9]{13}", value)
                or set(re.sub(r"[^0-9]", "", value)) == {"0"}):
            continue  # a count or a short number; "T…" is a business's public invoice registration
        line = folded[max(0, folded.rfind("\n", 0, match.start()) + 1, match.start() - 60):match.start()]
        kind = _id_kind(label, line)
        # A case number gives way to any kind's own rule; a label that names a kind wins over a bare shape.
        yield kind, match.start("value"), match.start("value") + len(value), CONFIDENT, kind == "case_number"
        line_end = folded.find("\n", match.end("value"), match.end("value") + 100)
        for code in _CODE.finditer(folded, match.start("value") + len(value), line_end if line_end != -1 else
                                   match.end("value") + 100):
            yield kind, code.start(), code.end(), CONFIDENT, kind == "case_number"
    for match in _ID_LABEL_LINE.finditer(folded):
        if _NOT_ID_LABEL.search(match.group("label")):
            continue
        line_end = folded.find("\n", match.end(), match.end() + 100)
        line = folded[max(0, folded.rfind("\n", 0, match.start()) + 1, match.start() - 60):match.start()]
        kind = _id_kind(match.group("label"), line)
        for code in _CODE.finditer(folded, match.end(), line_end if line_end != -1 else match.end() + 100):
            yield kind, code.start(), code.end(), CONFIDENT, kind == "case_number"
    yield from _id_columns(folded)


def _id_kind(label: str, line: str) -> str:
    """The kind a label names, else the nearest cue before it on its line, else a case or file number."""
    found = next((kind for kind, cue in _ID_KIND if cue.search(label)), None)
    if found:
        return found
    cues = [(match.end(), kind) for kind, cue in _ID_KIND for match in cue.finditer(line)]
    return max(cues)[1] if cues else "case_number"


_TABLE_SEPARATORS = ("\t", "│", "|", ",")
_ID_HEADER = re.compile(r"(?:番号|ＩＤ|ID|No\.?|コード|(?i:number|mrn))$")


# What a column header says its cells are ("お名前", "Name (alphabet)", "生年月日", "個人番号（確認した場合）",
# "LINE / Facebook", "住所", "受付No"…): the label-driven rule for tables.
_COLUMN_KINDS = (
    ("my_number", re.compile(r"個人番号|マイナンバー|(?i:my ?number)")),
    ("residence_card", re.compile(r"在留カード")),
    ("passport", re.compile(r"旅券|パスポート|(?i:passport)")),
    ("birth_date", re.compile(r"生年月日|誕生日|出生日|(?i:birth|dob|d\.o\.b)")),
    ("sns_id", re.compile(r"LINE|SNS|Facebook|FB|Instagram|WeChat|(?i:kakao)")),
    ("phone", re.compile(r"電話|携帯|TEL|Tel|(?i:phone|mobile)")),
    ("address", re.compile(r"住所|居住地|所在地|(?i:address)")),
    ("person_name", re.compile(r"氏名|名前|フリガナ|カナ|代表者|対応者|担当者|相談者|利用者|(?i:^name|full name)"
                               r"|^担当$|通訳者?$|記録者|支援員|相談員|保護者|申請者|申請人|児童名|生徒名|患者名"
                               r"|(?i:^(?:interpreter|staff|worker|caseworker|guardian|parent|patient|client)(?: name)?$)")),
)
_DATE_CELL = re.compile(r"^(?:[0-9]{4}[/.\-][0-9]{1,2}[/.\-][0-9]{1,2}|[0-9]{1,2}[/.\-][0-9]{1,2}[/.\-][0-9]{4}"
                        r"|(?:[0-9]{4}|(?:明治|大正|昭和|平成|令和|[MTSHR]\.?)[0-9元]{1,2})[年./][0-9]{1,2}[月./][0-9]{1,2}日?)")
_HANDLE_IN_CELL = re.compile(r"@?(?P<handle>[A-Za-z0-9][A-Za-z0-9._\-]{2,40})$")


def _column_kind(header: str) -> str | None:
    header = header.strip()
    if not header or len(header) > 24:
        return None
    if _ID_HEADER.search(re.sub(r"[（(][^）)]*[）)]$", "", header)) and not _NOT_ID_LABEL.search(header) and not (
            re.search(r"個人番号|マイナンバー|在留カード|旅券|パスポート", header)):
        return _id_kind(header, "")
    return next((kind for kind, cue in _COLUMN_KINDS if cue.search(header)), None)


def _cell_hit(kind: str, folded: str, start: int, cell: str) -> tuple[str, int, int, str, bool] | None:
    stripped = cell.strip()
    if not stripped:
        return None
    start += cell.index(stripped)
    digits = sum(c.isdigit() for c in stripped)
    if kind == "person_name":
        return (kind, start, start + len(stripped), CONFIDENT, False) if _looks_like_a_name(stripped) else None
    if kind == "birth_date":
        date = _DATE_CELL.match(stripped)
        return (kind, start, start + date.end(), CONFIDENT, False) if date else None
    if kind == "sns_id":
        handle = _HANDLE_IN_CELL.search(stripped)
        if not handle or "/" in stripped or "@" in stripped[1:] or not re.search(r"[0-9._]", handle.group("handle")):
            return None
        return kind, start + handle.start("handle"), start + handle.end("handle"), CONFIDENT, False
    if kind == "address":
        if not re.search(r"[0-9]|丁目|番地", stripped):
            return None  # "所沢市": a town alone names nobody
        return kind, start, start + len(stripped), CONFIDENT, False
    if kind == "my_number":
        number = re.match(r"[0-9][0-9 \-]{9,15}[0-9]", stripped)
        if not number or not 11 <= sum(c.isdigit() for c in number.group()) <= 12:
            return None
        return kind, start, start + number.end(), CONFIDENT, False
    if digits < 3 or set(re.sub(r"[^0-9]", "", stripped)) == {"0"}:
        return None
    if kind == "phone" and (digits < 10 or re.sub(r"[^0-9]", "", stripped).startswith(_PUBLIC_PREFIXES)):
        return None
    return kind, start, start + len(stripped), CONFIDENT, kind == "case_number"


# A comma-separated export quotes its cells ("412,600", "PHAN BOPHA"): a comma inside quotes is no separator.
_QUOTED_CELL = re.compile(r'"(?:[^"\n]|"")*"|[^,\n]*')


def _split_cells(line: str, separator: str) -> list[str]:
    if separator != "," or '"' not in line:
        return line.split(separator)
    cells, position = [], 0
    while True:
        cell = _QUOTED_CELL.match(line, position)
        cells.append(cell.group())
        position = cell.end()
        if position >= len(line) or line[position] != ",":
            if position < len(line):
                cells[-1] += line[position:]  # not a well-formed row: the rest stays in its last cell
            return cells
        position += 1


def _unquoted(cell: str) -> tuple[int, str]:
    """A quoted cell's offset and text inside its quotes."""
    stripped = cell.strip()
    if len(stripped) >= 2 and stripped[0] == stripped[-1] == '"':
        offset = cell.index(stripped) + 1
        return offset, stripped[1:-1]
    return 0, cell


def _id_columns(folded: str) -> Iterator[tuple[str, int, int, str, bool]]:
    """A table (tab, │, | or comma separated) whose header names its columns ("日付\t受付No\t氏名\t…\t個人番号",
    "タイムスタンプ,お名前,Name (alphabet),…,LINE / Facebook"): each row's cell in a column is that column's kind.
    A row with more separators than the header (a comma inside "PEREIRA SANTOS, Thiago") is read from the left
    up to the first name column and from the right after it."""
    columns: dict[int, str] = {}
    separator, width, first_name = "", 0, 0
    position = 0
    for line in folded.split("\n"):
        line_start, position = position, position + len(line) + 1
        cells = _split_cells(line, separator) if columns and separator else []
        if columns and separator and len(cells) - 1 >= width:
            extra = len(cells) - (width + 1)
            cell_start = line_start
            for index, cell in enumerate(cells):
                column = index if index <= first_name or not extra else index - extra
                kind = columns.get(column)
                if kind and not (extra and first_name < index <= first_name + extra):
                    offset, inner = _unquoted(cell)
                    hit = _cell_hit(kind, folded, cell_start + offset, inner)
                    if hit:
                        yield hit
                cell_start += len(cell) + len(separator)
            continue
        columns, separator, width = {}, "", 0
        for candidate in _TABLE_SEPARATORS:
            count = len(_split_cells(line, candidate)) - 1
            if count >= 2:
                headers = [_unquoted(cell)[1].strip() for cell in _split_cells(line, candidate)]
                if sum(bool(re.search(r"[0-9]", h)) for h in headers) * 2 > len(headers):
                    continue  # a row of values, not a header
                columns = {i: kind for i, kind in ((i, _column_kind(h)) for i, h in enumerate(headers)) if kind}
                names = [i for i, kind in columns.items() if kind == "person_name"]
                separator, width, first_name = candidate, count, (names[0] if names else width)
                break


# A machine export's key names its value: ``case_id=DV-24-0173``, ``"case_no": "IM-2024-1093"``,
# ``dob=1994-05-08``, ``"employee_id": "TB-020417"``. A key of an identifier ends in id, no or number; keys
# of the machinery itself (event, request, message, trace, session…) name nothing about a person.
_MACHINE_KEY = re.compile(
    r"(?<![A-Za-z0-9_\-])(?P<quote>\"?)(?P<key>[A-Za-z][A-Za-z0-9]{0,20}(?:[_\-][A-Za-z0-9]{1,20}){0,3})(?P=quote)"
    r"[ \t]*(?:=|:)[ \t]*\"?(?P<value>[^\s\",;&}\]]{1,40})")
_ID_KEY = re.compile(r"(?i:(?:^|[_\-])(?:id|no|num|number|code)$|[a-z](?:Id|No|Number)$)")
_BIRTH_KEY = re.compile(r"(?i:^(?:[a-z]+[_\-])?(?:dob|birth[_\-]?date|date[_\-]of[_\-]birth|birthday|born)$)")
_TECHNICAL_KEY = re.compile(r"(?i:event|request|req|message|msg|trace|span|session|thread|channel|team|app|bot|client_msg"
                            r"|job|task|run|build|commit|device|ip|host|node|pid|uuid|guid|tx|transaction|order"
                            r"|item|product|zip|post|tel|phone|fax|room|version|lang|locale|type|status)(?:[_\-]|$)")
_SNS_KEY = re.compile(r"(?i:^(?:line|wechat|kakao|insta(?:gram)?|facebook|fb|telegram|whatsapp|zalo|viber|skype|tiktok)[_\-])")


def _machine_keys(folded: str) -> Iterator[tuple[str, int, int, str, bool]]:
    for match in _MACHINE_KEY.finditer(folded):
        key, value = match.group("key"), match.group("value")
        start = match.start("value")
        if _BIRTH_KEY.match(key):
            date = _DATE_CELL.match(value)
            if date:
                yield "birth_date", start, start + date.end(), CONFIDENT, False
            continue
        if not _ID_KEY.search(key) or _TECHNICAL_KEY.match(key):
            continue
        value = value.rstrip(".")
        digits = sum(c.isdigit() for c in value)
        if digits < 3 or len(value) < 4 or set(re.sub(r"[^0-9]", "", value)) == {"0"} or not re.search(r"[0-9]$", value):
            continue
        if _SNS_KEY.match(key):
            yield "sns_id", start, start + len(value), CONFIDENT, False
            continue
        # A bare key takes the kind its parent names: {"passport": {"no": …}}.
        bare = re.fullmatch(r"(?i:id|no|num|number|code)", key)
        line = folded[max(0, folded.rfind("\n", 0, match.start()) + 1, match.start() - 30):match.start()] if bare else ""
        kind = _id_kind(key.replace("_", " "), line)
        yield kind, start, start + len(value), CONFIDENT, kind == "case_number"


# A machine export's key naming a person's name, in any of its forms: ``"name_fa": "…"``, ``<nameKm>…</nameKm>``,
# ``<name lang="fa">…</name>``, ``"pt_name" value="…"``. Keys of things (file, app, host, company, school…)
# are not people's names; a value in identifier style (``pt_name``) is another key, not a name.
_PERSON_NAME_KEY = (r"(?i:(?:(?:full|first|last|given|family|middle|sur|pt|patient|client|child|student|member|person|applicant"
                    r"|mother|father|guardian|parent|spouse|contact|emergency|staff|worker|caseworker|display|legal|native"
                    r"|local|alias|holder|resident|head|owner|tenant|sender|recipient)[_\-]?)?name"
                    r"(?:[_\-]?(?:[a-z]{2}|kana|kanji|romaji|native|local|latin|alphabet|en|ja|full|alt)){0,2})")
_NAME_KEY_VALUE = re.compile(
    r"\"(?P<key>" + _PERSON_NAME_KEY + r")\"[ \t]*:[ \t]*\"(?P<value>[^\"\n]{1,60})\""
    r"|<(?P<tag>" + _PERSON_NAME_KEY + r")(?:[ \t][^<>\n]{0,60})?>(?P<element>[^<>\n]{1,60})</(?P=tag)>"
    r"|name=\"(?P<field>" + _PERSON_NAME_KEY + r")\"[^<>\n]{0,40}?value=\"(?P<attribute>[^\"\n]{1,60})\"")
_THING_BEFORE = re.compile(r"(?i:employer|company|school|hospital|clinic|facility|org|agency|office|bank|workplace"
                           r"|branch|shop|store|church|temple|mosque|file|project|event)|勤務先|会社|学校|病院|施設|機関")
_IDENTIFIER_STYLE = re.compile(r"[a-z0-9_\-.]+|[A-Z0-9_]+_[A-Z0-9_]+")


def _name_keys(folded: str) -> Iterator[tuple[str, int, int, str]]:
    for match in _NAME_KEY_VALUE.finditer(folded):
        group = next(g for g in ("value", "element", "attribute") if match.group(g) is not None)
        start, end = _strip(folded, match.start(group), match.end(group))
        value = folded[start:end]
        if _IDENTIFIER_STYLE.fullmatch(value) or not _looks_like_a_name(value):
            continue
        key = match.group("key") or match.group("tag") or match.group("field")
        if key.lower() == "name" and _THING_BEFORE.search(folded, max(0, match.start() - 120), match.start()):
            continue  # {"employer": {"name": …}}: the name of a thing, left to the workplace and school rules
        yield "person_name", start, end, CONFIDENT


# A reference code of the shape offices give their files, with no label: letters, the year and a serial
# ("KS-2024-0311", "DV-24-0173", "M3-2021-087"). A standard's or model's name has one number, not two.
_CASE_SHAPE = re.compile(r"(?<![A-Za-z0-9\-./])[A-Z]{1,3}[0-9]?-(?:(?:19|20)[0-9]{2}|[0-9]{2})-[0-9]{3,6}(?![A-Za-z0-9\-/]|\.[0-9])")


def _case_shapes(folded: str) -> Iterator[tuple[str, int, int, str, bool]]:
    for match in _CASE_SHAPE.finditer(folded):
        yield "case_number", match.start(), match.end(), CONFIDENT, True


def labelled_hits(folded: str) -> Iterator[tuple[str, int, int, str]]:
    """Every value read through its label, as ``(kind, start, end, tier)``."""
    yield from _person_fields(folded)
    yield from _name_keys(folded)
    yield from _address_fields(folded)
    yield from _place_fields(folded)
    yield from _birth_fields(folded)
    yield from _number_fields(folded)
    yield from _account_fields(folded)
    yield from _any_labelled_ids(folded)
    yield from _machine_keys(folded)
    yield from _case_shapes(folded)
