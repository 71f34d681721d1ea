"""The anonymisation checker: finds personal data in case material before it can be released.

Kinds (stable strings, used in JSON): residence_card, my_number, phone, email, postal_code,
address, birth_date, person_name. The checker prefers precision on ordinary words (pseudonyms such
as "A氏", places such as "B市", themes, institutions, nationalities, visa statuses) and recall on
identifiers. My Numbers are masked the moment they are found: the clear number is never stored in
a Finding, printed or logged.

Positions: ``line`` and ``column`` are 1-based and count characters of the checked text.
"""

from __future__ import annotations

import bisect
import re
import threading
from dataclasses import asdict, dataclass
from typing import Iterable, Iterator

from bot.core import anonymisation_contacts, anonymisation_labels, anonymisation_names, anonymisation_places
from bot.core.documents import read_document
from bot.core.i18n import t

KINDS = ("residence_card", "my_number", "case_number", "passport", "bank_account", "insurance_number",
         "vehicle_plate", "personal_url", "sns_id", "phone", "email", "postal_code", "address", "birth_date", "school",
         "facility", "person_name")
# Two tiers: a confident finding is replaced in the proposal; one to check (要確認) comes from a weaker
# signal and is shown apart, replaced only when a person accepts it.
CONFIDENT = "confident"
CHECK = "check"
TIERS = (CONFIDENT, CHECK)

# When two findings overlap, the more specific kind wins (a valid My Number is not also a phone
# number; a postal code is not part of a name).
_PRIORITY = {kind: rank for rank, kind in enumerate(KINDS)}
# A number read from its label alone gives way to every identifier's own rule, not to names and places.
_FALLBACK_RANK = _PRIORITY["postal_code"] + 0.5


# The longest text checked, in characters: more than any 20 MB upload of Japanese text holds, and
# about two minutes of checking on one core. Longer text is refused, never checked in part.
MAX_CHECK_CHARS = 8_000_000


class TextTooLong(ValueError):
    """The text is longer than ``MAX_CHECK_CHARS``; ``limit`` is that bound."""

    def __init__(self, length: int) -> None:
        super().__init__(f"text of {length} characters is longer than the {MAX_CHECK_CHARS} checked")
        self.length = length
        self.limit = MAX_CHECK_CHARS


@dataclass(frozen=True)
class Finding:
    kind: str
    text: str
    line: int
    column: int
    suggestion: str
    part: str = "body"  # where in the file (bot.core.documents.PARTS); a pasted text is all body
    tier: str = CONFIDENT

    @property
    def confident(self) -> bool:
        return self.tier == CONFIDENT


@dataclass(frozen=True)
class _Hit:
    kind: str
    start: int
    end: int
    tier: str = CONFIDENT
    # Read from a label alone ("受付番号 …"): gives way to any finding of a kind's own rule it overlaps.
    fallback: bool = False


# --- normalisation -----------------------------------------------------------------------------
# Matching runs on a copy of the text with full-width ASCII folded to half-width and dash variants
# folded to "-". Every replacement is one character for one, so offsets in the copy are offsets
# in the original and findings quote the original text.
_FOLD = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FOLD.update({0x3000: " ", 0x00A0: " "})
_FOLD.update({0x0660 + d: str(d) for d in range(10)} | {0x06F0 + d: str(d) for d in range(10)})  # ٠١٢ / ۰۱۲
_FOLD.update({ord(dash): "-" for dash in "‐‑‒–—―−﹣"})


# OCR of a fax or a scan reads digits as the letters that look like them (O for 0, l or I for 1) and a dash as
# 一 or ー: in a run of digits and such letters, with a digit among them and no other letter beside, the letters
# are read as the digits, and 一 or ー between two digits as a dash ("O9O一 6ll2一 38O5", "2Ol2. O9. 25").
_OCR_DIGITS = re.compile(r"(?<![A-Za-z0-9])(?:(?=[0-9OlI]*[OlI])(?=[0-9OlI]*[0-9])[0-9OlI]+(?![A-Za-z0-9])"
                         r"|(?<![A-Za-z])[OlI]{1,2}(?= ?(?:丁目|番地|号|年|月|日))"  # "美濃町 l 丁目"
                         # a group of such letters alone, beside a group of digits: "O7O一l000一OOOO", "l96O.Ol.Ol"
                         r"|(?:(?<=[0-9OlI][.\-/一ー])|(?<=[0-9OlI][.\-/一ー] ))[OlI]{1,4}(?![A-Za-z0-9])"
                         r"|[OlI]{1,4}(?= ?[.\-/一ー] ?[0-9OlI]{1,4}[.\-/一ー] ?[0-9]))")
_OCR_DASH = re.compile(r"(?:(?<=[0-9])|(?<=[0-9] ))[一ー](?= ?[0-9])")
_OCR_LETTERS = str.maketrans("OlI", "011")


def _fold(text: str) -> str:
    folded = text.translate(_FOLD)
    if "O" in folded or "l" in folded or "I" in folded:
        folded = _OCR_DIGITS.sub(lambda m: m.group().translate(_OCR_LETTERS), folded)
    if "一" in folded or "ー" in folded:
        folded = _OCR_DASH.sub("-", folded)
    return folded


# --- My Number ---------------------------------------------------------------------------------

def my_number_check_digit(first_eleven: str) -> int:
    """The check digit of a My Number (個人番号) from its first 11 digits.

    The official rule (総務省令): with P(n) the n-th digit counted from the right of the 11 and
    Q(n) = n + 1 for n <= 6, n - 5 for n >= 7, the remainder r = sum(P(n) * Q(n)) mod 11 gives
    check digit 0 when r <= 1 and 11 - r otherwise.
    """
    digits = [int(d) for d in reversed(first_eleven)]
    total = sum(p * (n + 1 if n <= 6 else n - 5) for n, p in enumerate(digits, start=1))
    remainder = total % 11
    return 0 if remainder <= 1 else 11 - remainder


def is_my_number(candidate: str) -> bool:
    digits = "".join(ch for ch in _fold(candidate) if ch.isascii() and ch.isdigit())
    return len(digits) == 12 and my_number_check_digit(digits[:11]) == int(digits[11])


def mask_my_number(s: str) -> str:
    """Every digit but the last four replaced by "*", separators kept: "****-****-1234"."""
    positions = [i for i, ch in enumerate(s) if ch.isdigit()]
    hidden = set(positions[:-4]) if len(positions) > 4 else set(positions)
    return "".join("*" if i in hidden else ch for i, ch in enumerate(s))


_MY_NUMBER = re.compile(r"(?<![0-9])(?<![0-9]-)[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{4}(?![0-9])(?!-[0-9])")


def _my_numbers(folded: str) -> Iterator[_Hit]:
    for match in _MY_NUMBER.finditer(folded):
        if is_my_number(match.group()):
            yield _Hit("my_number", match.start(), match.end())


# --- residence card, e-mail, phone, postal code -------------------------------------------------

# Written compactly in either case, or grouped with spaces/hyphens in capitals only: grouped
# lowercase ("to 1000 2000 of") is ordinary English.
_RESIDENCE_CARD = re.compile(
    r"(?<![A-Za-z0-9])(?:[A-Za-z]{2}[0-9]{8}[A-Za-z]{2}|[A-Z]{2}[ -]?[0-9]{4}[ -]?[0-9]{4}[ -]?[A-Z]{2}"
    r"|[A-Z] [A-Z] ?[0-9]{4} ?[0-9]{4} ?[A-Z] ?[A-Z]|[A-Z]{2} ?[0-9]{4} ?[0-9]{4} ?[A-Z] [A-Z])"  # OCR-spaced letters
    r"(?![A-Za-z0-9])")
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")

_SEP = r"(?:[ \-ー.・]| - )"  # "090・3377・1208", "076 - 223 - 9140"
_PHONE = re.compile(
    r"(?<![0-9A-Za-z+\-])"
    r"(?:\+81" + _SEP + r"?(?:\(0\)" + _SEP + r"?)?|\(0|0)"
    r"[0-9]{0,4}(?:\)" + _SEP + r"?|" + _SEP + r"|\()?"
    r"[0-9]{1,4}(?:\)" + _SEP + r"?|" + _SEP + r")?"
    r"[0-9]{3,4}"
    r"(?![0-9A-Za-z])(?!-[0-9])")
_LONG_PHONE_PREFIXES = ("020", "050", "060", "070", "080", "090")


# Toll-free and navigation numbers belong to organisations, never to a person.
_PUBLIC_PREFIXES = ("0120", "0570", "0800", "0180", "0990")
_MOBILE_PREFIXES = ("050", "060", "070", "080", "090")
# A landline right after the name of a public body or a helpline is that body's published number.
_PUBLIC_CONTEXT = re.compile("(?:" + "|".join(
    ("出入国在留管理局", "労働基準監督署", "労働局", "ハローワーク", "役所", "役場", "年金事務所", "税務署", "警察署",
     "裁判所", "法務局", "保健所", "センター", "相談所", "福祉事務所", "大使館", "領事館", "協会", "協議会", "機構",
     "ダイヤル", "ホットライン", "ほっとライン", "相談窓口", "法テラス", "FRESC", "代表")) + ")")
_PERSONAL_CONTEXT = re.compile("自宅|携帯|本人|連絡先|相談者|夫|妻|母|父|勤務先|実家")


def _is_public_number(folded: str, start: int, digits: str) -> bool:
    if digits.startswith(_PUBLIC_PREFIXES):
        return True
    if digits.startswith(_MOBILE_PREFIXES):
        return False
    before = folded[max(0, start - 30):start].rpartition("\n")[2]
    public = [m.end() for m in _PUBLIC_CONTEXT.finditer(before)]
    personal = [m.end() for m in _PERSONAL_CONTEXT.finditer(before)]
    return bool(public) and (not personal or personal[-1] < public[-1])


def _is_phone_number(candidate: str) -> bool:
    digits = re.sub(r"[^0-9]", "", candidate)
    if candidate.startswith("+81"):
        digits = "0" + digits[2:].removeprefix("0")
    if not digits.startswith("0") or digits.startswith("00"):
        return False
    if len(digits) == 11:
        return digits.startswith(_LONG_PHONE_PREFIXES)
    return len(digits) == 10


def _phones(folded: str) -> Iterator[_Hit]:
    for match in _PHONE.finditer(folded):
        found = match.group()
        if _is_phone_number(found) and not _is_public_number(folded, match.start(), re.sub(r"[^0-9]", "", found)):
            start = match.start() + (1 if found.startswith("(") and ")" not in found else 0)
            yield _Hit("phone", start, match.end())


_POSTAL_MARKED = re.compile(r"〒 ?[0-9]{3}-?[0-9]{4}(?![0-9])")
_POSTAL_BARE = re.compile(r"(?<![0-9\-])[0-9]{3}-[0-9]{4}(?![0-9])(?!-[0-9])")
_POSTAL_CUE_BEFORE = re.compile(r"(?:郵便番号|住所|所在地|〒|(?i:postal code|post code|zip(?: code)?))[^\n。]{0,4}$")


def _postal_codes(folded: str, addresses: list[_Hit]) -> Iterator[_Hit]:
    """"〒123-4567" anywhere; a bare "123-4567" only in an address context: after a label such as
    郵便番号, just before a place name, or right next to an address found in the text."""
    for match in _POSTAL_MARKED.finditer(folded):
        yield _Hit("postal_code", match.start(), match.end())
    address_starts = {a.start for a in addresses}
    address_ends = {a.end for a in addresses}
    for match in _POSTAL_BARE.finditer(folded):
        before = folded[max(0, match.start() - 12):match.start()]
        after = folded[match.end():match.end() + 12].lstrip(" ,、")
        next_to_address = any(match.start() - gap in address_ends or match.end() + gap in address_starts
                              for gap in range(4))
        if (next_to_address or _POSTAL_CUE_BEFORE.search(before) or _PLACE_START.match(after)
                or _EN_PLACE_START.match(after)):
            yield _Hit("postal_code", match.start(), match.end())


# --- addresses ---------------------------------------------------------------------------------

PREFECTURES = (
    "北海道 青森県 岩手県 宮城県 秋田県 山形県 福島県 茨城県 栃木県 群馬県 埼玉県 千葉県 東京都 神奈川県 "
    "新潟県 富山県 石川県 福井県 山梨県 長野県 岐阜県 静岡県 愛知県 三重県 滋賀県 京都府 大阪府 兵庫県 "
    "奈良県 和歌山県 鳥取県 島根県 岡山県 広島県 山口県 徳島県 香川県 愛媛県 高知県 福岡県 佐賀県 長崎県 "
    "熊本県 大分県 宮崎県 鹿児島県 沖縄県").split()
_KANJI = r"一-龥々〆ヶ"
_KATAKANA = r"ァ-ヴー"
# Real municipality names written in hiragana; other hiragana ends a place name (it is a particle).
_HIRAGANA_PLACES = "さいたま|つくば|ひたちなか|いわき|かすみがうら|つくばみらい|いちき串木野|みどり|あきる野|ふじみ野|みよし|かほく|あわら|たつの|うきは|えびの|いなべ|南あわじ"
_PLACE_START = re.compile(
    "(?:" + "|".join(PREFECTURES) + "|(?:" + _HIRAGANA_PLACES + ")市"
    "|[" + _KANJI + _KATAKANA + "A-Za-z]{1,5}(?:市|区|郡))")
_KANJI_NUMERAL = "[一二三四五六七八九十〇]+"
# A lot number read out in kanji with hundreds or thousands ("千五百二十の三", "三百二十の八の二"): long enough
# to be a number of an address after the town, with one の or more.
_LONG_KANJI_NUMBER = "[一二三四五六七八九]?[千百][〇一二三四五六七八九十百]*"
_NUMBER = r"(?:[0-9]+|" + _KANJI_NUMERAL + r")"
_BLOCK_NUMBERS = (
    r"(?:" + _NUMBER + r"丁目 ?の?(?:(?:" + _LONG_KANJI_NUMBER + r"|" + _NUMBER + r")(?:(?:番地?)?(?:の" + _NUMBER
    + r"){1,3}(?:号室?)?|番地?|-)?(?:" + _NUMBER + r"号?)?)?"
    r"|" + _LONG_KANJI_NUMBER + r"(?:の" + _NUMBER + r"){1,3}(?:号室?)?(?![0-9一二三四五六七八九十〇])"
    r"|" + _NUMBER + r"(?:の" + _NUMBER + r"){2}(?![0-9一二三四五六七八九十〇])"
    r"|字[" + _KANJI + _KATAKANA + r"]{1,6}[0-9]{1,5}(?:番地?)?(?:-[0-9]{1,4})?(?![0-9])"
    r"|" + _NUMBER + r"番地(?:の" + _NUMBER + r"|" + _NUMBER + r"号?|-[0-9]+)?"
    r"|" + _NUMBER + r"番" + _NUMBER + r"号?"
    r"|[0-9]+(?:- ?[0-9]+){1,2}号?)")  # "5- 18- 7": a scan read with a space after each dash
# What follows the street number: a building ("グリーンハイツ", "保見団地", "サンライズビル") and a
# floor or room ("201号室", "3号棟504", "12-305", "5F", "12階"), or only a room ("-203").
_BUILDING_WORDS = ("マンション|ハイツ|コーポ|アパート|荘|ビル|レジデンス|メゾン|ハイム|団地|住宅|寮|タワー|ヒルズ"
                   "|コート|パレス|プラザ|館|棟|ハウス|ヴィラ|シャトー|カーサ")
_ROOM = (r"(?:[0-9]{1,3}号棟 ?)?(?:[0-9]{1,4}号室|[0-9]{1,4}-[0-9]{2,4}|[0-9]{1,3}(?:F|階)|[0-9]{1,4}号|[0-9]{2,4}"
         r"|の?[〇一二三四五六七八九]{3,4}(?:号室?)?)")  # a room read out digit by digit: "三〇五号室"
_BUILDING = (r"(?: ?(?!TEL|Tel|tel|FAX|Fax|電話|携帯|Mail|mail|E-mail)(?:(?:[" + _KANJI + _KATAKANA + r"A-Za-z・]{0,14}?| [ぁ-ん" + _KANJI + _KATAKANA
             + r"]{1,14}?)(?:" + _BUILDING_WORDS + r")[" + _KANJI + _KATAKANA
             + r"A-Za-z]{0,8}(?: ?" + _ROOM + r")?|[" + _KANJI + _KATAKANA + r"A-Za-z・]{1,14}? ?" + _ROOM
             + r")|-[0-9]{2,4}|" + r" ?[0-9]{1,4}号室)?")
_ADDRESS = re.compile(
    # A street number follows a place within a few dozen characters: looked for first, so a text of place
    # words and no numbers ("区区区…") costs one short scan per character, not every way of reading it.
    "(?=[^\n]{0,48}?[0-9一二三四五六七八九十〇])"
    "(?:" + _PLACE_START.pattern + ")"
    "(?:[" + _KANJI + _KATAKANA + "ノの]|が(?=[丘岡原浜崎谷森関台池島])|[0-9]+(?:条|線|地割)|" + _HIRAGANA_PLACES + "){0,16}?"
    " ?" + _BLOCK_NUMBERS + _BUILDING +
    r"(?![0-9])(?![回件人名歳才日月年時分%％割倍円])")
# Labels that the loose place-name pattern can swallow when they run straight into an address.
_ADDRESS_LABELS = ("現住所", "住所", "所在地", "居所", "自宅", "本籍")
_EN_PLACE_START = re.compile(r"(?:Tokyo|Osaka|Kyoto|Hokkaido|[A-Z][a-z]+-(?:ku|shi|ken|cho|machi|gun))\b")
_EN_ADDRESS = re.compile(
    r"(?<![0-9A-Za-z-])[0-9]{1,4}(?:-[0-9]{1,4}){1,2},? "
    r"[A-Z][A-Za-z]*(?:-[A-Za-z]+)*(?:,? [A-Z][A-Za-z]*(?:-[A-Za-z]+)*){0,4}")
_EN_ADDRESS_UNIT = re.compile(r"-(?:ku|shi|cho|machi|mura|gun|ken)\b|\b(?:City|Ward|Town|Prefecture)\b")


def _addresses(folded: str) -> Iterator[_Hit]:
    for match in _ADDRESS.finditer(folded):
        start, found = match.start(), match.group()
        prefecture = min((found.find(p) for p in PREFECTURES if p in found), default=-1)
        if prefecture > 0:
            start += prefecture
        else:
            label = next((lab for lab in _ADDRESS_LABELS if found.startswith(lab)), "")
            start += len(label)
        yield _Hit("address", start, match.end())
    for match in _EN_ADDRESS.finditer(folded):
        if _EN_ADDRESS_UNIT.search(match.group()):
            yield _Hit("address", match.start(), match.end())


# --- birth dates -------------------------------------------------------------------------------

_ERA = r"(?:明治|大正|昭和|平成|令和)"
_MONTHS_EN = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
              r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
_FULL_DATES = re.compile(
    r"(?<![0-9])(?:"
    r"(?P<western>(?:19|20)[0-9]{2}(?:[（(](?:昭和|平成|令和)[0-9元]{1,2}[）)])?年(?:[（(](?:昭和|平成|令和)[0-9元]{1,2}年[）)])?"
    r" ?[0-9]{1,2}月 ?[0-9]{1,2}日"
    r"|[一九二〇][〇一二三四五六七八九]{3}年[一二三四五六七八九十]{1,2}月[一二三四五六七八九十]{1,3}日"
    # a year read out in words, as voice input writes it: "千九百七十七年三月五日", "二千十八年の七月十日"
    r"|(?:千九百|二千)[一二三四五六七八九十]{0,4}年 ?の? ?[一二三四五六七八九十]{1,2}月[一二三四五六七八九十]{1,3}日"
    r"|(?:19|20)[0-9]{2}([/.\-])[0-9]{1,2}\2[0-9]{1,2}(?![0-9])"
    r"|[0-9]{1,2}/[0-9]{1,2}/(?:19|20)[0-9]{2}"
    r"|[0-9]{1,2}(?:st|nd|rd|th)? " + _MONTHS_EN + r",? (?:19|20)[0-9]{2}"
    r"|" + _MONTHS_EN + r" [0-9]{1,2}(?:st|nd|rd|th)?,? (?:19|20)[0-9]{2})"
    r"|(?P<old_era>(?:明治|大正|昭和)(?:[0-9]{1,2}|元)年 ?[0-9]{1,2}月 ?[0-9]{1,2}日"
    r"|(?<![A-Za-z])[MTS]\.? ?[0-9]{1,2}[./][0-9]{1,2}[./][0-9]{1,2}(?![0-9]))"
    r"|(?P<new_era>(?:平成|令和)(?:[0-9]{1,2}|元)年 ?[0-9]{1,2}月 ?[0-9]{1,2}日"
    r"|(?<![A-Za-z])[HR]\.? ?[0-9]{1,2}[./][0-9]{1,2}[./][0-9]{1,2}(?![0-9]))"
    r")")
_YEAR_MONTH = re.compile(
    r"(?<![0-9])(?:(?:19|20)[0-9]{2}|" + _ERA + r"(?:[0-9]{1,2}|元))年 ?[0-9]{1,2}月(?! ?[0-9])"
    r"|(?<![0-9A-Za-z])" + _MONTHS_EN + r" (?:19|20)[0-9]{2}")
# A birth cue must sit right next to the date: a label before it ("生年月日：", "born on") or a
# word after it ("生まれ", "生", an age in brackets). A cue further away in the sentence is about
# something else ("2019年4月1日に来日し、子の出生届を…").
_BIRTH_CUE_BEFORE = re.compile(
    r"(?:生年月日|誕生日|出生日|生誕)[ :：は、]{0,3}$"
    # "生年月日上の子が…": whose date it is, between the cue and the date
    r"|(?:生年月日|誕生日)(?:は)?[^0-9〇一二三四五六七八九\n。、]{1,6}(?:が|は)$"
    r"|(?i:\bborn\b|\bbirth\b|\bDOB\b|D\.O\.B\.?)[^.;\n]{0,20}$")
_BIRTH_CUE_AFTER = re.compile(
    r"^(?: ?(?:に|の)?(?:生まれ|出生|誕生|生(?=[)）\s、。,]|$))"
    r"| ?[（(] ?満?[0-9]{1,3} ?[歳才]"
    r"| ?[（(] ?(?:小|中|高)[1-6一二三四五六](?:年生?)? ?[）)]"  # a child's school year: "2015/08/19（小4）"
    r"|,? (?i:aged?) [0-9]{1,3})")


# "長男ラジュ（平成20年9月14日）": a full date alone in brackets right after a person.
_PERSON_BEFORE_BRACKET = re.compile(
    "(?:" + "|".join(("長男", "長女", "次男", "次女", "三男", "三女", "息子", "娘", "子", "妻", "夫", "母", "父",
                      "本人", "相談者", "さん", "氏", "様", "くん", "ちゃん")) + ")"
    "[^、。（(）)\n]{0,12}[（(]$")


def _dated_person(folded: str, start: int, end: int) -> bool:
    return folded[end:end + 1] in ("）", ")") and bool(_PERSON_BEFORE_BRACKET.search(folded[max(0, start - 16):start]))


def _has_birth_cue(folded: str, start: int, end: int, reach: int) -> bool:
    # Only the same line counts; the window is cut first so a text without line breaks costs
    # no more than one with them.
    before = folded[max(0, start - reach):start].rpartition("\n")[2]
    after = folded[end:end + 12].partition("\n")[0]
    return bool(_BIRTH_CUE_BEFORE.search(before) or _BIRTH_CUE_AFTER.match(after))


def _next_in_a_list_of_births(folded: str, start: int, last_birth_end: int) -> bool:
    """"上の子が二〇一八年五月十四日下の子が二〇二一年九月二日": a date a few words after a birth date, with
    no number or sentence end between, is the next person's birth date."""
    between = folded[last_birth_end:start] if 0 <= last_birth_end <= start else ""
    # (a date in brackets right after another is the same date written again, not the next person's)
    return (0 < len(between) <= 6 and re.search(r"[ぁ-んァ-ヴ一-龥A-Za-z]", between) is not None
            and not re.search(r"[0-9〇一二三四五六七八九。\n]", between))


def _plausible_day(text: str) -> bool:
    numbers = [int(n) for n in re.findall(r"[0-9]+", text)]
    if len(numbers) < 3:
        return True  # English month names: the regex already fixed the shape
    if re.match(r"[0-9]{1,2}/[0-9]{1,2}/", text):  # dd/mm/yyyy or mm/dd/yyyy: either may hold the day
        return numbers[0] <= 31 and numbers[1] <= 31 and min(numbers[0], numbers[1]) <= 12
    month, day = numbers[-2], numbers[-1]
    return 1 <= month <= 12 and 1 <= day <= 31


def _birth_dates(folded: str) -> Iterator[_Hit]:
    full_starts: list[int] = []  # in order: finditer moves forward and the spans do not overlap
    full_ends: list[int] = []
    last_birth_end = -1
    for match in _FULL_DATES.finditer(folded):
        if not _plausible_day(match.group()):
            continue
        full_starts.append(match.start())
        full_ends.append(match.end())
        # Shōwa and earlier dates, or forms like "S60.4.3", are practically always birth dates in
        # present-day case material; recent dates are only birth dates when the text says so.
        if (match.group("old_era") or _has_birth_cue(folded, match.start(), match.end(), reach=24)
                or _dated_person(folded, match.start(), match.end())
                or _next_in_a_list_of_births(folded, match.start(), last_birth_end)):
            last_birth_end = match.end()
            yield _Hit("birth_date", match.start(), match.end())
    for match in _YEAR_MONTH.finditer(folded):
        inside = bisect.bisect_right(full_starts, match.start()) - 1
        if inside >= 0 and match.start() < full_ends[inside]:
            continue
        if _has_birth_cue(folded, match.start(), match.end(), reach=12):
            yield _Hit("birth_date", match.start(), match.end())


# --- person names ------------------------------------------------------------------------------

_HONORIFICS = ("さん", "氏", "様", "さま", "くん", "君", "ちゃん", "師", "牧師", "先生")
_NAME_CUES = ("名前", "氏名", "本名", "通称", "通称名")
# A family word right before a word makes it a name: "長男ラジュ", "妻のアナ", "母：ローザ".
_FAMILY_WORDS = ("長男", "長女", "次男", "次女", "三男", "三女", "息子", "娘", "妻", "夫", "母", "父", "兄", "姉",
                 "弟", "妹", "祖母", "祖父", "孫", "配偶者", "婚約者", "内縁の夫", "内縁の妻", "元夫", "元妻", "喪主")
_FAMILY_CUE = re.compile("(?:" + "|".join(_FAMILY_WORDS) + ")(?:の|は|：|:|・| )?$")
# Katakana words that take an honorific without being a name ("ヘルパーさん", "オーナー様").
_ROLE_WORDS = frozenset("""ヘルパー ケアマネ ケアマネジャー ママ パパ ボランティア スタッフ ドライバー コック シェフ
    オーナー マネージャー マネジャー リーダー トレーナー ガイド ホスト パート バイト アルバイト カウンセラー ワーカー
    ソーシャルワーカー コーディネーター ナース ドクター シスター ブラザー ファザー マザー ベビーシッター ゲスト
    メンバー パートナー サポーター ファン ユーザー クライアント オペレーター インストラクター ティーチャー""".split())
# Festivals and religious words the dictionary may take for names.
_RELIGIOUS_WORDS = frozenset("ラマダン ラマダーン イード ディワリ ダサイン テト ハラール ノウルーズ ソンクラーン "
                             "クリスマス イースター ハヌカ ナマズ サラート".split())
_NAME_SEPARATORS = frozenset({"・", "＝", "=", "･"})
_KATAKANA_WORD = re.compile("^[" + _KATAKANA + "ヷ-ヺ]+$")
_ASCII = re.compile(r"^[\x00-\x7f]+$")
# Words SudachiPy's dictionary tags as personal names that, in case material, almost always mean
# something else. Kept deliberately small; extend only after seeing a false alarm.
_NOT_NAMES = frozenset({
    "キリスト",  # the religion in 異文化・宗教 cases, not a person
}) | _RELIGIOUS_WORDS

# Prefectures (without 都/府/県) and the bureaus' cities: the dictionary also lists most of them
# as surnames ("山口", "長野", "石川"), but alone in case material they are the place.
_PLACES_ALSO_SURNAMES = frozenset(
    [p[:-1] if p[-1] in "都府県" else p for p in PREFECTURES] + "札幌 仙台 名古屋 広島 高松 福岡".split())

# SudachiPy: one Dictionary per process, loaded on first use (about a second) and shared; one
# Tokenizer per thread made from it. A Tokenizer refuses a second caller while it is working
# ("Tokenizer is already in use"), and checks run in several worker threads at once (an upload, a
# /jirei check, a guarded message). Making tokenizers from, and reading parts of speech out of, one
# Dictionary from several threads is safe: its data are immutable and shared behind an Arc.
_dictionary = None
_dictionary_lock = threading.Lock()
_this_thread = threading.local()
_parts_of_speech: dict[int, tuple[str, ...]] = {}


def _loaded_dictionary():
    global _dictionary
    with _dictionary_lock:
        if _dictionary is None:
            from sudachipy import Dictionary

            _dictionary = Dictionary(dict="core")
        return _dictionary


def _sudachi():
    """This thread's SudachiPy tokenizer (only the part-of-speech field is loaded)."""
    tokenizer = getattr(_this_thread, "tokenizer", None)
    if tokenizer is None:
        from sudachipy import SplitMode

        tokenizer = _this_thread.tokenizer = _loaded_dictionary().tokenizer(mode=SplitMode.C, fields={"pos"})
    return tokenizer


def _part_of_speech(pos_id: int) -> tuple[str, ...]:
    """Each part-of-speech tuple is built once per process, by its id."""
    found = _parts_of_speech.get(pos_id)
    if found is None:
        found = _parts_of_speech[pos_id] = tuple(_loaded_dictionary().pos_of(pos_id))
    return found


@dataclass(frozen=True)
class _Token:
    surface: str
    start: int
    end: int
    pos: tuple[str, ...]
    oov: bool

    @property
    def is_name(self) -> bool:
        # Latin letters ("A氏", "Ｂさん") are pseudonyms or romanised names, handled separately.
        return (self.pos[:3] == ("名詞", "固有名詞", "人名") and not _ASCII.match(_fold(self.surface))
                and self.surface not in _NOT_NAMES)

    @property
    def is_katakana(self) -> bool:
        return bool(_KATAKANA_WORD.match(self.surface)) and self.pos[0] == "名詞" and "地名" not in self.pos

    @property
    def is_katakana_word(self) -> bool:
        """Katakana and a noun, places included ("サントス", "リマ" are also given names)."""
        return bool(_KATAKANA_WORD.match(self.surface)) and self.pos[0] == "名詞"

    @property
    def is_proper_or_unknown(self) -> bool:
        return self.oov or (self.pos[1] == "固有名詞" and "地名" not in self.pos)


_SENTENCE = re.compile(r"[^。！？!?\n]*[。！？!?]?")
_SUDACHI_CHUNK = 2000  # characters; SudachiPy refuses very long inputs


def _sentences(text: str, start: int = 0, end: int | None = None, names_only: bool = False) -> Iterator[list[_Token]]:
    """Tokens of each sentence of ``text[start:end]``, one sentence at a time, with offsets into
    ``text``. A sentence longer than ``_SUDACHI_CHUNK`` is tokenised in pieces of that length,
    counted from the sentence's start. With ``names_only`` pieces all in ASCII are left out."""
    tokenizer = _sudachi()
    for match in _SENTENCE.finditer(text, start, len(text) if end is None else end):
        if not match.group().strip():
            continue
        for offset in range(match.start(), match.end(), _SUDACHI_CHUNK):
            chunk = text[offset:min(match.end(), offset + _SUDACHI_CHUNK)]
            if names_only and chunk.isascii():
                continue  # a Japanese name is never ASCII
            yield [_Token(m.surface(), offset + m.begin(), offset + m.end(), _part_of_speech(m.part_of_speech_id()),
                          m.is_oov())
                   for m in tokenizer.tokenize(chunk)]


def _tokens(text: str) -> list[list[_Token]]:
    """Tokens of each sentence of a short ``text``, with offsets into it."""
    return list(_sentences(text))


def _name_runs(tokens: list[_Token]) -> Iterator[tuple[int, int]]:
    """Index ranges [i, j) of tokens that may together form one person's name."""
    i = 0
    while i < len(tokens):
        if not (tokens[i].is_name or tokens[i].is_katakana):
            i += 1
            continue
        j = i + 1
        while j < len(tokens):
            previous, current = tokens[j - 1], tokens[j]
            if current.surface in _NAME_SEPARATORS and j + 1 < len(tokens) and (
                    tokens[j + 1].is_name or tokens[j + 1].is_katakana):
                j += 2  # "グエン・ヴァン・アン": the dot joins any two katakana words
                continue
            joined_by_space = current.surface.strip() == "" and j + 1 < len(tokens)
            nxt = tokens[j + 1] if joined_by_space else current
            # Without a dot, only name-like neighbours join ("山田太郎", "中村 健太", "マリア サントス"),
            # so a loanword next to a name does not become part of it; two surnames in a row
            # ("石川 福井" in a list of prefectures) are two words, not one name.
            two_surnames = previous.pos[3:4] == ("姓",) and nxt.pos[3:4] == ("姓",)
            if ((nxt.is_name or (nxt.is_katakana and nxt.oov)) and (previous.is_name or previous.oov)
                    and not two_surnames):
                j += 2 if joined_by_space else 1
                continue
            break
        yield i, j
        i = j


def _is_person_name(run: list[_Token], before: str, after: str) -> bool:
    words = [tok for tok in run if tok.surface not in _NAME_SEPARATORS]
    honorific = after.startswith(_HONORIFICS)
    labelled = before.rstrip(" ：:は、").endswith(_NAME_CUES)
    family = bool(_FAMILY_CUE.search(before))
    cued = labelled or family
    if after.startswith(PUBLIC_BODY_SUFFIXES) or any(w.surface in _NOT_NAMES for w in words):
        return False  # "長野労働基準監督署", "ラマダン中"
    if any(tok.is_name for tok in words):
        if not (honorific or cued) and all(w.surface in _PLACES_ALSO_SURNAMES for w in words):
            return False
        # A single-kanji surname (王, 金, 李…) is also an ordinary word; it needs an honorific.
        return len("".join(w.surface for w in words)) >= 2 or honorific or cued
    if not (honorific or cued):
        return False
    if (family and not (honorific or labelled or after.startswith(("（", "(")))
            and not any(w.is_proper_or_unknown or "地名" in w.pos for w in words)):
        return False  # "配偶者ビザ": a family word before an ordinary word ("長女ソフィア（5歳）" is a name)
    # Katakana next to an honorific or after a family word: foreign names are often missing from
    # the dictionary or are also ordinary words and places ("タマンさん", "長女リマ"); a word for a
    # role is not a name ("ヘルパーさん").
    return len(words) >= 2 or not all(w.surface in _ROLE_WORDS or not w.is_katakana_word for w in words)


# A one-kanji surname and a given name the dictionary does not join ("張偉さん", "趙磊（32歳）").
_GIVEN_NAME_AFTER = re.compile("^[" + _KANJI + "]{1,2}(?=さん|氏|様|くん|ちゃん|[（(][0-9０-９]|[（(][^）)]{0,6}[・ぁ-ん])")
_CHINESE_SURNAMES = frozenset("王 李 張 劉 陳 楊 黄 趙 周 呉 徐 孫 馬 朱 胡 郭 何 林 高 羅 鄭 梁 謝 宋 唐 許 韓 馮 鄧 曹 "
                              "彭 曾 蕭 董 潘 袁 蔡 蒋 余 杜 葉 程 魏 蘇 呂 丁 沈 姚 盧 姜 崔 鍾 譚 陸 汪 范 金 廖 賈 夏 "
                              "韋 方 鄒 孟 熊 秦 邱 尹 薛 閻 段 雷 侯 龍 史 陶 黎 賀 顧 毛 郝 龔 邵 錢 武 戴 孔 湯 朴 申 "
                              "権 洪 全 文 裵 柳 南 河 成 車 禹 具 閔".split())
# A name given after a label: "氏名は陳美玲", "名前：NGUYEN THI HUONG".
_LABELLED_NAME = re.compile(
    r"(?:氏名|名前|本名|通称名?)(?:は|：|:| |　)[ 　]*(?P<name>[" + _KANJI + r"]{2,5}(?![" + _KANJI + r"ぁ-ん])"
    r"|[" + _KATAKANA + r"]{2,}(?:[・＝=][" + _KATAKANA + r"]+)*)")
_NOT_A_NAME_AFTER_LABEL = ("不明", "非公開", "省略", "未定", "記載", "匿名", "仮名", "不詳", "確認", "変更", "欄", "表記")


def _japanese_names(text: str, start: int, end: int) -> Iterator[_Hit]:
    """Names read from the tokens of the sentences in ``text[start:end]`` (the chunk's own part)."""
    # The last walk back over "・"-joined words: from where it began to the name's first word. A
    # later walk that reaches that stretch ends where it ended, so no stretch is walked twice
    # (a text of nothing but "ア・ア・…" would otherwise be walked back to its start for each run).
    walked_from = walked_to = -1
    for sentence in _sentences(text, start, end, names_only=True):
        for i, j in _name_runs(sentence):
            run = sentence[i:j]
            first, last = run[0].start, run[-1].end
            if len(run) == 1 and run[0].surface in _CHINESE_SURNAMES:
                given = _GIVEN_NAME_AFTER.match(text[last:last + 12])
                last += given.end() if given else 0
            # "レ・ヴァン・トゥアン": a one-letter first word the dictionary does not call a noun
            walk = first
            while walk >= 2 and text[walk - 1] in _NAME_SEPARATORS and _KATAKANA_WORD.match(text[walk - 2]):
                walk -= 2
                while walk > 0 and _KATAKANA_WORD.match(text[walk - 1]):
                    walk -= 1
                if walked_to < walk <= walked_from:
                    walk = walked_to
                    break
            if walk != first:
                walked_from, walked_to, first = first, walk, walk
            before = text[max(0, first - 6):first]
            if _is_person_name(run, before, text[last:last + 6]) and not (
                    " " in text[first:last] and anonymisation_names.letter_spaced(text, first, last)):
                yield _Hit("person_name", first, last)
        yield from _surnames_tagged_as_places(text, sentence)
        # A Chinese surname the dictionary takes for a word ("王" is also "king"), with its given name
        for k, token in enumerate(sentence):
            if token.surface in _CHINESE_SURNAMES and not token.is_name:
                given = _GIVEN_NAME_AFTER.match(text[token.end:token.end + 12])
                if given:
                    yield _Hit("person_name", token.start, token.end + given.end())


# Many surnames are tagged by the dictionary as places or other proper nouns (長田, 三宅, 福井, 野田, 本田):
# such a word is a person when a title or honorific follows it ("長田先生", "宮地主任"), when a role
# stands before it and a particle or mark after it ("担任 福井に", "課長三輪から", "［担当：上野］"), or
# when "という男" follows it.
_TITLE_AFTER = re.compile(r"(?:先生|さん|様|さま|氏|くん|君|ちゃん|医師|教諭|弁護士|主任|課長|係長|部長|店長|社長|院長|所長"
                          r"|副校長|校長|教頭|看護師|先輩|という(?:男|女|人|名前|方|者|少年|少女))")
_ROLE_BEFORE = re.compile(r"(?:担任|副担任|主治医|担当医|担当|上司|課長|部長|係長|主任|教諭|書記官|シスター|ブラザー|医師|弁護士"
                          r"|相談員|通訳|校長|副校長|教頭|看護師|保健師|ケースワーカー|記録者|作成者|社長|店長|SC|CW|MSW)"
                          r"(?:の|は|が|[:：]|[ 　])?[ 　]?$")
_AFTER_BARE_SURNAME = re.compile(r"(?:[にへとがはのもや、。，,）)」］\]\n]|から|より|$)")


def _surnames_tagged_as_places(text: str, sentence: list[_Token]) -> Iterator[_Hit]:
    for token in sentence:
        if (token.pos[1] != "固有名詞" or token.is_name or not ("地名" in token.pos or token.pos[2] == "一般")
                or not re.fullmatch("[" + _KANJI + "]{2,3}", token.surface) or "国" in token.pos):
            continue
        after = text[token.end:token.end + 6]
        if _TITLE_AFTER.match(after):
            # "東京さん", "大阪様" are as often the branch there as a person
            if not after.startswith(PUBLIC_BODY_SUFFIXES) and not (token.surface in _PLACES_ALSO_SURNAMES
                                                                  and after.startswith(("さん", "様", "さま"))):
                yield _Hit("person_name", token.start, token.end)
        elif (_ROLE_BEFORE.search(text, max(0, token.start - 8), token.start) and _AFTER_BARE_SURNAME.match(after)
              and token.surface not in _PLACES_ALSO_SURNAMES):
            yield _Hit("person_name", token.start, token.end)


def _labelled_names(text: str) -> Iterator[_Hit]:
    for match in _LABELLED_NAME.finditer(text):
        if not match.group("name").startswith(_NOT_A_NAME_AFTER_LABEL):
            yield _Hit("person_name", match.start("name"), match.end("name"))


# "Tanaka", "O'Brien", "Jean-Luc", and passport style "NGUYEN".
_CAPITALISED = r"[A-Z](?:[a-z]+|[A-Z]+(?![a-z]))(?:[-'][A-Z]?[a-z]+)?"
_CAPITALISED_RUN = _CAPITALISED + r"(?: " + _CAPITALISED + r"){0,3}"
_EN_HONORIFIC_NAME = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.? " + _CAPITALISED_RUN)
_EN_CUED_NAME = re.compile(
    r"(?:\bnamed|\bcalled|\bname is|\bname was|\bName ?:|氏名 ?[:：]?|名前(?:は|[:：]))\s*(?P<name>"
    + _CAPITALISED_RUN + ")")
_EN_NAME_WITH_AGE = re.compile(
    r"(?P<name>" + _CAPITALISED + r"(?: " + _CAPITALISED + r"){1,3})"
    r"(?= ?\([0-9]{1,3}\)|, aged? [0-9]|, an? [0-9]{1,3}-year-old| ?(?:さん|氏|様))")
_EN_NAME_WITH_HONORIFIC_JA = re.compile(r"(?P<name>" + _CAPITALISED_RUN + r") ?(?=さん|氏|様)")
# Capitalised words that are places, institutions or calendar words, never part of a name.
_EN_NOT_NAME_WORDS = frozenset("""
    Japan Japanese Tokyo Osaka Kyoto Nagoya Sapporo Sendai Hiroshima Takamatsu Fukuoka Immigration
    Services Agency Bureau Regional City Ward Office Hall Hospital Clinic School Elementary Junior
    High University Hello Work Labour Labor Standards Inspection Council Social Welfare Centre Center
    Guidance Child Consultation Support Coordinator Coordinators Case Study Meeting Monday Tuesday
    Wednesday Thursday Friday Saturday Sunday January February March April May June July August
    September October November December The This That These Those Vietnam Vietnamese Philippines
    Filipino Brazil Brazilian Nepal Nepalese Indonesia Indonesian China Chinese English Technical
    Intern Training Specified Skilled Worker Permanent Resident Long-Term Dependent Company
""".split())


# Two to four capitalised words set in Japanese text ("（Maria Lourdes SANTOS、40代）", "名前：LI MEI")
# are a romanised name; English prose around them would be English, not Japanese.
_LATIN_WORD = r"[A-ZÀ-Ý](?:[a-zà-ÿ]+|[A-ZÀ-Ý]+(?![a-zà-ÿ]))(?:[-'][A-ZÀ-Ý]?[a-zà-ÿ]+)?"
_NAME_IN_JAPANESE = re.compile(
    r"(?:(?<=[\u3000-\u30ff\u4e00-\u9fff\uff08\uff1a（：、「(])|^)(?P<name>" + _LATIN_WORD + r"(?: " + _LATIN_WORD
    + r"){1,3})(?=[\u3000-\u30ff\u4e00-\u9fff）、」。（(),]|$)", re.MULTILINE)
_EN_NOT_NAME_WORDS_IN_JA = frozenset("LINE ID Facebook Instagram WeChat WhatsApp Messenger Google Hello Work NPO "
                                     "DV JR PDF Word Excel Zoom Teams Slack FRESC OTIT JITCO".split())


def _romanised_names(folded: str) -> Iterator[_Hit]:
    for match in _NAME_IN_JAPANESE.finditer(folded):
        words = match.group("name").split(" ")
        if not any(w in _EN_NOT_NAME_WORDS or w in _EN_NOT_NAME_WORDS_IN_JA for w in words):
            yield _Hit("person_name", match.start("name"), match.end("name"))
    for match in _EN_HONORIFIC_NAME.finditer(folded):
        yield _Hit("person_name", match.start(), match.end())
    for pattern in (_EN_CUED_NAME, _EN_NAME_WITH_AGE, _EN_NAME_WITH_HONORIFIC_JA):
        for match in pattern.finditer(folded):
            words = match.group("name").split(" ")
            if not any(word in _EN_NOT_NAME_WORDS for word in words):
                yield _Hit("person_name", match.start("name"), match.end("name"))


def _person_names(text: str, folded: str) -> Iterator[_Hit]:
    """The names the patterns find (those read from words: ``_japanese_names``)."""
    yield from _labelled_names(text)
    yield from _romanised_names(folded)


# --- numbers known by their label: passport, bank account, insurance and pension, SNS ids ---------
# Each kind is a label followed, on the same line and within a few characters, by a value of the
# kind's shape. The label is not part of the finding; the value is.
_GAP = r"[ \t:：は=＝（(、,]{0,4}"
_PASSPORT = re.compile(
    r"(?:旅券|パスポート|(?i:passport|passeport|pasaporte|N°))(?:番号|No\.?|ナンバー|(?i: ?(?:no\.?|number)))?[^0-9A-Z\n]{0,6}?" + _GAP +
    r"(?P<value>[A-Z]{1,2} ?[0-9]{6,8}[A-Z]?|[0-9]{2} [0-9]{7})(?![0-9A-Za-z])"
    r"|(?<![0-9A-Za-z])(?P<bare>[A-Z]{2}[0-9]{7})(?![0-9A-Za-z])")
_BANK_ACCOUNT = re.compile(
    r"(?:口座番号|口座|普通預金|当座預金|普通|当座|貯蓄預金|記号番号|ゆうちょ(?:銀行)?)[^0-9\n。]{0,12}?"
    r"(?P<value>[0-9]{5}-[0-9]{6,8}|(?<![0-9-])[0-9]{7})(?![0-9-])")
_INSURANCE = re.compile(
    r"(?:被保険者(?:証)?(?:記号)?[・]?番号|保険証(?:の)?(?:番号|記号番号)?|基礎年金番号|年金番号|年金手帳(?:の)?番号"
    r"|(?:雇用|介護|健康|国民健康)保険(?:被保険者)?(?:証)?(?:の)?番号|記号番号)" + _GAP +
    r"(?P<value>[0-9]{4}-?[0-9]{6}(?:-?[0-9])?|(?<![0-9])[0-9]{6,10}(?![0-9]))(?![0-9-])"
    r"|(?P<pair>記号 ?[:：]? ?(?:[" + _KANJI + r"]{1,4} ?)?[0-9]{1,8}(?:-[0-9]{1,4})?[ ・、,]{0,2}番号 ?[:：]? ?[0-9]{1,8})(?![0-9])")
_SNS_SERVICES = (r"LINE|ライン|Facebook|facebook|フェイスブック|FB|Instagram|instagram|インスタグラム|インスタ"
                 r"|WeChat|ウィーチャット|微信|WhatsApp|ワッツアップ|Viber|Zalo|KakaoTalk|カカオトーク|Messenger"
                 r"|メッセンジャー|Twitter|ツイッター|TikTok|Telegram|Skype|QQ|X")
_SNS = re.compile(
    r"(?<![A-Za-z])(?:" + _SNS_SERVICES + r") ?(?:の)?(?:(?:ID|ＩＤ|アカウント|ユーザー名|ユーザーネーム|番号)"
    r" ?[:：は=＝]? ?| ?[:：は=＝] ?)(?P<value>(?:https?://)?(?:www\.)?[A-Za-z0-9-]+\.(?:com|me|jp)/[A-Za-z0-9._/~\-]+"
    r"|\+[0-9][0-9 \-]{7,16}[0-9]|@?[A-Za-z0-9][A-Za-z0-9._\-]{2,40})(?![A-Za-z0-9@])"
    r"|(?<![A-Za-z0-9.])(?P<url>(?:https?://)?(?:www\.)?(?:facebook|fb|instagram|twitter|x|tiktok)\.com"
    r"/[A-Za-z0-9._\-]+|line\.me/[A-Za-z0-9/._~\-]+)"
    r"|(?<![A-Za-z0-9._%+\-@])(?P<handle>@[A-Za-z0-9_][A-Za-z0-9_.]{2,29})(?![A-Za-z0-9@])"
    # "LINE lorna.v.0715": a service, one space, then something shaped like a handle (a dot, an
    # underscore or digits among its letters), not a word
    r"|(?<![A-Za-z])(?:" + _SNS_SERVICES + r") (?P<spaced>(?=[A-Za-z0-9._]*[A-Za-z])(?=[A-Za-z0-9._]*[0-9._])"
    r"[A-Za-z0-9][A-Za-z0-9._]{3,29}[A-Za-z0-9])(?![A-Za-z0-9@/]|\.[A-Za-z0-9])")


# A passport's number or a messenger handle a few words after its cue, not right after a label: "母のパスポート
# 番号（コピーあり）AQ590317", "旅券の保管は…番号は分かりますか。\nYoga：C4718265", "<passport country="IR">X48317265",
# "RC …／PP E1295834"; "アカウント名はdilshani.perera.5492", "LINE は作り直して rathana_k2024 です". The cue is looked
# for in the 80 (a handle: 40) characters before, with no other number's label between.
_PASSPORT_CUE = re.compile(r"旅券|パスポート|(?i:passport|passeport|pasaporte|passaporte|paspor|hộ chiếu)|(?<![A-Za-z])PP(?![A-Za-z])")
_PASSPORT_SHAPE = re.compile(r"(?<![0-9A-Za-z\-])(?:[A-Z]{2} ?[0-9]{6,8}|[A-Z] ?[0-9]{7,8})(?![0-9A-Za-z\-])")
_OTHER_NUMBER_LABEL = re.compile(r"在留|カード|受付|ケース|事件|口座|保険|社員|学籍|管理|患者|電話|携帯|TEL|(?i:card|tel|phone|case|ID)")
_HANDLE_CUE = re.compile(r"(?:" + _SNS_SERVICES + r"|アカウント|ユーザー名|ユーザーネーム|(?i:account|user ?name|handle))")
_HANDLE_SHAPE = re.compile(r"(?<![A-Za-z0-9._@/\-])[a-z][a-z0-9]*(?:[._][a-z0-9]+)+(?![A-Za-z0-9@/]|\.[A-Za-z0-9])")
_NOT_A_HANDLE_END = re.compile(r"\.(?:com|net|org|jp|co|ne|or|go|ac|me|io|info|pdf|docx?|xlsx?|csv|txt|png|jpe?g|gif|html?|zip"
                               r"|py|js|json|xml)$|^www\.")


# A health insurance card's 記号・番号 as written on the card: the insurer's place in kanji and its digits, then
# the number ("練43・201877", "小牧41・208175", "千稲12・0338517").
_INSURANCE_SYMBOL = re.compile(r"(?<![" + _KANJI + r"0-9])[" + _KANJI + r"]{1,3}[0-9]{1,3}・[0-9]{6,8}(?![0-9])")


def _cued_numbers(folded: str) -> Iterator[_Hit]:
    for match in _INSURANCE_SYMBOL.finditer(folded):
        yield _Hit("insurance_number", match.start(), match.end())
    for match in _PASSPORT_SHAPE.finditer(folded):
        before = folded[max(0, match.start() - 80):match.start()]
        cues = list(_PASSPORT_CUE.finditer(before))
        if cues and not _OTHER_NUMBER_LABEL.search(before, cues[-1].end()):
            yield _Hit("passport", match.start(), match.end())
    for match in _HANDLE_SHAPE.finditer(folded):
        handle = match.group()
        if len(handle) < 6 or _NOT_A_HANDLE_END.search(handle):
            continue
        line_start = folded.rfind("\n", max(0, match.start() - 40), match.start()) + 1 or max(0, match.start() - 40)
        if _HANDLE_CUE.search(folded, line_start, match.start()):
            yield _Hit("sns_id", match.start(), match.end())


def _labelled_numbers(folded: str) -> Iterator[_Hit]:
    yield from _cued_numbers(folded)
    for kind, pattern, groups in (("passport", _PASSPORT, ("value", "bare")),
                                  ("bank_account", _BANK_ACCOUNT, ("value",)),
                                  ("insurance_number", _INSURANCE, ("value", "pair")),
                                  ("sns_id", _SNS, ("value", "url", "handle", "spaced"))):
        for match in pattern.finditer(folded):
            group = next(g for g in groups if match.group(g))
            value = match.group(group)
            if kind == "sns_id" and "@" in value[1:]:
                continue  # an e-mail address, found as such
            line_start = folded.rfind("\n", max(0, match.start() - 24), match.start()) + 1 or max(0, match.start() - 24)
            banked = group == "pair" and re.search(r"ゆうちょ|銀行|口座|振込", folded[line_start:match.start()])
            # ゆうちょ銀行 記号12340 番号56781231 is an account
            yield _Hit("bank_account" if banked else kind, match.start(group), match.end(group))


# --- vehicle plates ----------------------------------------------------------------------------
# 品川 300 さ 12-34: the office's place name, a class number, one hiragana, the serial.
_VEHICLE_PLATE = re.compile(
    r"(?:(?<![" + _KANJI + r"])[" + _KANJI + r"]{1,4}|(?<![ぁ-ん])[ぁ-ん]{2,5}) ?[0-9]{2,3} ?[あ-をん] ?"
    r"(?:[0-9]{1,2}-[0-9]{2}|[0-9]{4}|[・.]{1,3}[0-9]{1,3})(?![0-9])(?!の[0-9])")  # "080の7314の2580" is a phone


# --- named schools and facilities --------------------------------------------------------------
# A school or facility is named when a proper noun, an unknown word or a word in kana stands
# before its type ("佐鳴台小学校", "ひまわり保育園", "大和田メンタルクリニック") or after a type
# that comes first ("株式会社サンワーク", "グループホームひだまりの家"). Generic ones ("近くの小学校",
# "総合病院", "弁当工場", "〇〇病院", "X市立Y小学校") are not, nor are public bodies.
_SCHOOL_TYPES = ("小学校|中学校|高等学校|高校|中等教育学校|義務教育学校|特別支援学校|幼稚園|保育園|保育所|こども園"
                 "|短期大学|大学校|大学|専門学校|日本語学校|日本語学院|日本語教育センター|語学センター|学院|学園"
                 "|アカデミー|インターナショナルスクール|スクール")
_FACILITY_SUFFIXES = ("病院|クリニック|医院|診療所|医療センター|歯科|整形外科|心療内科|小児科|皮膚科|眼科|耳鼻咽喉科|産婦人科"
                      "|内科|薬局|僧院|苑|荘|ホーム|ハウス|シェルター|寮"
                      "|センター|ステーション|サポート|サービス|ネット|建工|テック|工業所|事務所|マスジド|精機|精工所"
                      "|株式会社|有限会社|合同会社|工業|製作所|精工|縫製|食品|水産|建設|運輸|物流|商事|産業|工場|農園|農場"
                      "|商店|店|ストア|マート|食堂|レストラン|寺院|教会|モスク|自治会|町内会"
                      "|整骨院|接骨院|鍼灸院|治療院|作業所|デイサービス|デイケア|グループホーム|牧場|商会|興業|電機|化成"
                      "|製菓|鉄工所|旅館|美容室|託児所|礼拝堂|ネットワーク|サロン|クラブ|ひろば|の会(?![一-龥])")
_FACILITY_PREFIXES = ("株式会社|有限会社|合同会社|\\(株\\)|（株）|㈱|\\(有\\)|（有）|㈲|グループホーム|老人ホーム"
                      "|特別養護老人ホーム|有料老人ホーム|シェルター|女性シェルター|マスジド|モスク|レストラン|カフェ|ホテル"
                      "|特定非営利活動法人|NPO法人|一般社団法人|一般財団法人|公益社団法人|公益財団法人|社会福祉法人"
                      "|医療法人(?:社団|財団)?|弁護士法人|行政書士法人|学校法人|宗教法人|事業協同組合|協同組合")
# Each type word is looked at on its own, with the name-like characters before it: a type that
# turns out to name nothing ("…会社の寮") must not hide another one inside its window.
_SUFFIX_TYPE = re.compile(r"(?P<type>" + _SCHOOL_TYPES + "|" + _FACILITY_SUFFIXES
                          + r")(?![ァ-ヴー])(?P<cls> ?[0-9一二三四五六]年生? ?[0-9一二三四五六七八九A-Za-z]{1,2}組)?")
_NAME_BEFORE = re.compile(r"[" + _KANJI + _KATAKANA + r"ぁ-んA-Za-z・ ]{1,24}$")
_NAMED_PREFIX = re.compile(r"(?P<type>" + _FACILITY_PREFIXES + r") ?(?P<after>[" + _KANJI + _KATAKANA
                           + r"ぁ-んA-Za-z・0-9 ｦ-ﾟ]{1,20})")
_SCHOOL_TYPE = re.compile("(?:" + _SCHOOL_TYPES + ")$")
# A name that begins with a word in hiragana, at the start of a line, a cell or a phrase: a town written in
# kana, or a name of its own ("こまき中央保育園", "ぎふ多文化ネットワーク", "はしま中央整形外科"). Words that end like
# a particle, an adjective or a verb ("あたらしい病院", "いつもの店") describe, they do not name.
_KANA_HEADED = re.compile(r"(?:^|(?<=[\s>「『(,、:\"|│/・]))(?P<head>[ぁ-ゖ]{2,8})(?P<rest>[" + _KANJI + _KATAKANA + r"・]{0,14}?)"
                          r"(?P<type>" + _SCHOOL_TYPES + "|" + _FACILITY_SUFFIXES + r")(?![" + _KANJI + _KATAKANA + r"])",
                          re.MULTILINE)
_NAME_GOES_ON = re.compile(r"[ぁ-ん" + _KANJI + _KATAKANA + r"]{0,10}?(?:の会|会|協会|ネットワーク|センター|クラブ|ひろば|の家|ハウス"
                           r"|の里|の森|の郷)(?![" + _KANJI + _KATAKANA + r"])")
_KANA_NOT_A_NAME = re.compile(r"[いなのたるくてにをはがでともへやかよねだ]$|^(?:この|その|あの|どの|ある|かかりつけ|ちかく|となり"
                              r"|いつも|おなじ|ほか|べつ|まち|みんな|こども|こころ|おとな|ことば|にほんご)")
_NURSERY = re.compile("(?:保育園|保育所|こども園|幼稚園)$")
_LEGAL_FORMS = ("株式会社", "有限会社", "合同会社", "(株)", "（株）", "㈱", "(有)", "（有）", "㈲", "特定非営利活動法人", "NPO法人",
                "一般社団法人", "一般財団法人", "公益社団法人", "公益財団法人", "社会福祉法人", "医療法人", "医療法人社団",
                "医療法人財団", "弁護士法人", "行政書士法人", "学校法人", "宗教法人", "事業協同組合", "協同組合")
_GENERIC_BEFORE_LEGAL_FORM = ("企業", "会社", "メーカー", "業者", "大手", "系", "関連", "グループ", "派遣", "下請け", "元請け",
                              "取引先", "勤務先", "就職先", "中小", "零細")
_KANA_WORD = re.compile(r"^[ぁ-んァ-ヴー]{2,}$")
# Kana words that describe rather than name ("こども病院", "ケアハウス" are types, not names).
_GENERIC_KANA = frozenset("こども こころ おとな ことば みんな にほんご かかりつけ ケア デイ ショート ナイト メンタル レディース "
                          "ファミリー シルバー コンビニ スーパー ドラッグ ペット カレー ラーメン パン".split()
                          # denominations: "カトリック教会" is a kind of church, not its name
                          + "カトリック プロテスタント ルーテル バプテスト 聖公会 正教会 イスラム ヒンドゥー 仏教 "
                            "キリスト教 キリスト モルモン".split())
# Public bodies, never a private facility or a person: "大阪出入国在留管理局", "岐阜労働基準監督署".
PUBLIC_BODY_SUFFIXES = ("出入国在留管理局", "入国管理局", "労働基準監督署", "労働局", "公共職業安定所", "ハローワーク",
                        "市役所", "区役所", "町役場", "村役場", "役所", "役場", "年金事務所", "税務署", "警察署",
                        "家庭裁判所", "地方裁判所", "法務局", "保健所", "保健センター", "児童相談所", "福祉事務所",
                        "大使館", "総領事館", "領事館", "国際交流協会", "社会福祉協議会", "教育委員会",
                        "外国人技能実習機構", "支援センター", "インフォメーションセンター", "相談センター", "法テラス",
                        "情報センター", "雇用サービスセンター", "給食センター", "保健福祉センター")


def _is_proper_word(token: _Token) -> bool:
    surface = token.surface.strip()
    if surface in _GENERIC_KANA:
        return False
    if not surface or re.fullmatch(r"[A-Za-zＡ-Ｚａ-ｚ]|[〇○△□◇×＊*]+|第?[0-9一二三四五六七八九十]+|ライン", surface):
        return False  # pseudonyms: "X市立Y小学校", "〇〇病院"
    if token.pos[1] == "固有名詞" or token.oov:
        return "国" not in token.pos  # "ベトナム食品" is a kind of shop, not its name
    return bool(_KANA_WORD.match(surface)) and surface not in _GENERIC_KANA and token.pos[0] == "名詞"


_NAME_PART_POS = ("名詞", "接頭辞", "接尾辞", "形状詞")  # 形状詞: "クリーン" of "関西クリーンサービス"


def _name_tokens(tokens: list[_Token]) -> list[_Token]:
    """The words of a name: nouns (and their prefixes and suffixes), "・", and "の" inside
    "ひだまりの家"; a particle, a verb, punctuation or an honorific ("マテオくん伊勢崎市立…") ends them."""
    kept: list[_Token] = []
    for i, token in enumerate(tokens):
        if token.surface in _HONORIFICS or token.surface in ("くん", "ちゃん", "さま"):
            break
        joined_by_no = (token.surface == "の" and kept and i + 1 < len(tokens)
                        and tokens[i + 1].surface in ("家", "郷", "里", "森", "園", "丘", "杜", "舎"))
        if token.pos[0] in _NAME_PART_POS or token.surface in ("・", " ") or joined_by_no:
            kept.append(token)
            continue
        break
    while kept and kept[-1].surface in ("・", " "):
        kept.pop()
    return kept


def _legal_name_tokens(tokens: list[_Token]) -> list[_Token]:
    """The words of a name after a legal form: up to the first particle, mark or gap."""
    kept: list[_Token] = []
    for i, token in enumerate(tokens):
        joined_by_no = (token.surface == "の" and kept and i + 1 < len(tokens)
                        and tokens[i + 1].surface in ("家", "郷", "里", "森", "園", "丘", "杜", "舎"))
        # "・" between two words of a name joins them: "株式会社ナカハラ・ハラルフーズ".
        joined_by_dot = (token.surface in ("・", "=", "＝") and kept and i + 1 < len(tokens)
                         and re.match(r"[" + _KATAKANA + _KANJI + r"A-Za-z]", tokens[i + 1].surface) is not None)
        # "ちゃんどまん静岡": "ん" inside a name is no particle
        inside_name = token.surface == "ん" and kept and i + 1 < len(tokens) and tokens[i + 1].pos[0] == "名詞"
        if ((token.pos[0] in ("助詞", "補助記号") and not joined_by_no and not joined_by_dot and not inside_name)
                or (token.pos[0] == "助動詞" and (not kept or token.surface in ("です", "だ", "で", "でした", "ます")))):
            break
        if not kept and re.fullmatch(r"[ぁ-ん]{1,2}", token.surface) and token.pos[1] != "固有名詞":
            break  # "協同組合とも面談": a particle the dictionary did not call one
        if token.pos[0] == "空白":
            if kept:
                break
            continue
        kept.append(token)
    while kept and kept[-1].surface == "の":
        kept.pop()
    return kept


_WINDOWS_KEPT = 4096


def _named_facilities(folded: str) -> Iterator[_Hit]:
    # The words before a type, by the window they are read from: a text that repeats itself
    # ("…店店店…", "ア小学校ア小学校…") has few different windows however long it is.
    words_before: dict[str, tuple[list[_Token], bool]] = {}
    for match in _SUFFIX_TYPE.finditer(folded):
        window = _NAME_BEFORE.search(folded, max(0, match.start() - 24), match.start())
        if window is None:
            continue
        before = window.group()
        known = words_before.get(before)
        if known is None:
            if len(words_before) >= _WINDOWS_KEPT:
                words_before.clear()
            sentences = _tokens(before)
            words = _name_tokens(list(reversed(sentences[-1]))) if sentences else []
            words.reverse()
            known = words_before[before] = (words, any(_is_proper_word(w) for w in words))
        words, named = known
        if words and words[-1].end != len(before):
            continue  # something that is not a name stands right before the type
        if match.group("type") == "店" and before.endswith(("支", "本")):
            continue  # a bank's branch or head office
        # A nursery is a care service, not a school ("わかば保育園"); a kindergarten is a school.
        kind = ("school" if _SCHOOL_TYPE.search(match.group("type")) and not _NURSERY.search(match.group("type"))
                else "facility")
        # Nouns right before a legal form are the company's name ("東洋縫製株式会社"), unless they say
        # what kind of company it is: "IT企業株式会社テックブリッジ" is named after it.
        if (not named and match.group("type") in _LEGAL_FORMS and words
                and not words[-1].surface.strip().endswith(_GENERIC_BEFORE_LEGAL_FORM)
                and not (words[-1].surface.isspace() and len(words) > 1
                         and words[-2].surface.endswith(_GENERIC_BEFORE_LEGAL_FORM))
                and not re.match(r" ?[" + _KANJI + _KATAKANA + r"A-Za-zｦ-ﾟ「『（(]", folded[match.end():match.end() + 2])):
            # (a legal form followed by a name is that name's prefix: "実習先 有限会社 北勢縫製")
            named = True
        if not named:
            continue
        start = window.start() + words[0].start
        name = folded[start:match.end()]
        if name.lstrip().startswith(PUBLIC_BODY_SUFFIXES) or any(b in name for b in PUBLIC_BODY_SUFFIXES):
            continue
        start += len(name) - len(name.lstrip())
        yield _Hit(kind, start, match.end())
    yield from _kana_headed_facilities(folded)
    yield from _prefixed_facilities(folded)


def _kana_headed_facilities(folded: str) -> Iterator[_Hit]:
    """Workplaces named after a town in hiragana or katakana before their type ("こまき中央保育園")."""
    for match in _KANA_HEADED.finditer(folded):
        if _KANA_NOT_A_NAME.search(match.group("head")) or (not match.group("rest") and len(match.group("head")) < 3):
            continue
        name = match.group()
        if any(body in name for body in PUBLIC_BODY_SUFFIXES):
            continue
        kind = ("school" if _SCHOOL_TYPE.search(match.group("type")) and not _NURSERY.search(match.group("type"))
                else "facility")
        yield _Hit(kind, match.start(), match.end())


def _prefixed_facilities(folded: str) -> Iterator[_Hit]:
    """Workplaces named after their type or legal form ("NPO法人 住まいるネット三河")."""
    for match in _NAMED_PREFIX.finditer(folded):
        sentences = _tokens(match.group("after"))
        legal = match.group("type") in _LEGAL_FORMS
        # After a legal form the name runs to the first particle or mark, whatever its words
        # ("NPO法人 住まいるネット三河に" keeps "住まいる"); after a type, to the first word that is no noun.
        words = (_legal_name_tokens(sentences[0]) if legal else _name_tokens(sentences[0])) if sentences else []
        if not words or not (legal or any(_is_proper_word(w) for w in words)):
            continue
        end = match.start("after") + words[-1].end
        if legal:
            # "NPO法人 川口ともに生きる会": a name that is a phrase runs on to the word that says what it is
            goes_on = _NAME_GOES_ON.match(folded, end)
            if goes_on:
                end = goes_on.end()
        if any(body in folded[match.start():end] for body in PUBLIC_BODY_SUFFIXES):
            continue  # "公益財団法人静岡県国際交流協会": a public body whatever its legal form
        yield _Hit("facility", match.start(), end)


# --- putting it together -----------------------------------------------------------------------

# The text is checked in chunks, so a check holds the tokens and the folded copy of one chunk at a
# time, never of the whole text. A chunk owns at most _CHUNK_CHARS characters (a finding belongs to
# the chunk where it starts) and is cut after a line break, else after a sentence's end, else (a
# sentence longer than half a chunk) where its SudachiPy pieces are cut anyway: sentences are
# tokenised exactly as in the whole text. The patterns also read _CHUNK_CONTEXT characters on
# either side, so a finding that starts near a cut and runs over it is found whole, with its context.
_CHUNK_CHARS = 50_000
_CHUNK_CONTEXT = 1_000
_SENTENCE_ENDS = "。！？!?"


def _chunks(text: str) -> Iterator[tuple[int, int]]:
    """The [start, end) ranges the text is checked in, in order, covering it."""
    start, sentence_start = 0, 0
    while len(text) - start > _CHUNK_CHARS:
        limit, half = start + _CHUNK_CHARS, start + _CHUNK_CHARS // 2
        cut = text.rfind("\n", half, limit) + 1 or max(text.rfind(mark, half, limit) for mark in _SENTENCE_ENDS) + 1
        if not cut:
            # No sentence ends in the chunk's second half: cut the sentence where it is tokenised in pieces.
            sentence_start = max([sentence_start] + [text.rfind(mark, start, limit) + 1 for mark in "\n" + _SENTENCE_ENDS])
            cut = sentence_start + (limit - sentence_start) // _SUDACHI_CHUNK * _SUDACHI_CHUNK
        yield start, cut
        start = sentence_start = cut
    yield start, len(text)


def _moved(hit: _Hit, by: int) -> _Hit:
    return _Hit(hit.kind, hit.start + by, hit.end + by, hit.tier, hit.fallback)


def _chunk_hits(text: str, start: int, end: int) -> Iterator[_Hit]:
    """The hits that start in ``text[start:end]``, with offsets into ``text`` (mentions again of
    the people found are looked for once every chunk has been read: ``_mentions``)."""
    lo, hi = max(0, start - _CHUNK_CONTEXT), min(len(text), end + _CHUNK_CONTEXT)
    piece = text[lo:hi]
    folded = _fold(piece)
    own_start, own_end = start - lo, end - lo
    for hit in _rule_hits(piece, folded):
        if own_start <= hit.start < own_end and not _not_personal(folded, hit):
            yield _moved(hit, lo)
    # Only this chunk reads these sentences: a name found in them is its own, even one whose first
    # word, joined by "・", stands before the chunk.
    for hit in _japanese_names(piece, own_start, own_end):
        if not _not_personal(folded, hit):
            yield _moved(_widened(folded, hit), lo)
    for line_start, line_end in _spaced_out_lines(piece, own_start, own_end):
        yield from (_moved(hit, lo) for hit in _despaced_hits(piece, line_start, line_end))


def _spaced_out_lines(piece: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Lines of ``piece[start:end]`` written (or read by OCR) with a space between characters:
    "個人番号　５ ０ ２ ３　８ ８ ７ １…", "豊橋市 上伝馬町 ２４ 番 地 の ７"."""
    position = start
    for line in piece[start:end].split("\n"):
        words = line.split()
        single = sum(1 for word in words if len(word) == 1)
        if single >= 4 and single * 2 >= len(words):
            yield position, position + len(line)
        position += len(line) + 1


def _despaced_hits(piece: str, line_start: int, line_end: int) -> Iterator[_Hit]:
    """The findings of a spaced-out line read with its single spaces taken out (a run of several spaces is
    read as one), placed back on the line as written."""
    folded_line = _fold(piece[line_start:line_end])
    kept: list[int] = []  # for each character of the compact line, its offset in the piece
    index = 0
    while index < len(folded_line):
        if folded_line[index] == " ":
            run_end = index
            while run_end < len(folded_line) and folded_line[run_end] == " ":
                run_end += 1
            if run_end - index >= 2:
                kept.append(line_start + index)
            index = run_end
            continue
        kept.append(line_start + index)
        index += 1
    compact = "".join(piece[i] for i in kept)
    folded = _fold(compact)
    found = list(_rule_hits(compact, folded)) + list(_japanese_names(compact, 0, len(compact)))
    for hit in found:
        if hit.end > hit.start and not _not_personal(folded, hit):
            yield _Hit(hit.kind, kept[hit.start], kept[hit.end - 1] + 1, hit.tier, hit.fallback)


def _mentions(text: str, cuts: list[tuple[int, int]], hits: list[_Hit]) -> Iterator[_Hit]:
    """Later (or earlier) mentions of the people found, anywhere in the text, chunk by chunk."""
    people = [hit for hit in hits if hit.kind == "person_name"]
    known = anonymisation_names.name_parts(_fold(text[h.start:h.end]) for h in people if h.tier == CONFIDENT)
    if not known[0]:
        return
    people.sort(key=lambda h: h.start)
    starts = [h.start for h in people]
    for start, end in cuts:
        lo, hi = max(0, start - _CHUNK_CONTEXT), min(len(text), end + _CHUNK_CONTEXT)
        folded = _fold(text[lo:hi])
        nearby = [(h.kind, h.start - lo, h.end - lo, h.tier)
                  for h in people[bisect.bisect_left(starts, lo):bisect.bisect_left(starts, hi)] if h.end <= hi]
        for kind, first, last, tier in anonymisation_names.mentions_again(folded, nearby, known):
            if start - lo <= first < end - lo and not anonymisation_names.is_not_a_person(folded[first:last],
                                                                                           folded[last:last + 12]):
                yield _Hit(kind, first + lo, last + lo, tier)


_SAMPLED_KINDS = frozenset({"residence_card", "my_number", "passport", "insurance_number", "case_number", "bank_account"})
_SAMPLE_CUE = re.compile(r"例|見本|サンプル|架空|(?i:e\.g\.|for example|looks like|(?<![@./])\b(?:sample|example)\b(?![.@/]))")


_TALLY = re.compile(r"正*[一丅丁下F止T]?")
_PLACEHOLDER = re.compile(r"[○〇×△□]{2}|XX|ＸＸ|(?<![A-Za-z])X(?= ?(?:丁目|番|号))")
_SAMPLE_NAMES = tuple("山田太郎 山田花子 ヤマダタロウ ヤマダハナコ やまだたろう やまだはなこ 日本太郎 日本花子".split())
# (not a domain: "footer@example.jp" says nothing about the text it is in)
_FILLED_IN_EXAMPLE = re.compile(r"記入例|記載例|見本|サンプル|例[）)：:]|(?i:(?<![@./])\b(?:sample|example)\b(?![.@/]))")


def _not_personal(folded: str, hit: _Hit) -> bool:
    """Public bodies' addresses and numbers, organisations' general inboxes, historical figures and
    job titles: found by some rule, but nobody's personal data."""
    if hit.kind in ("address", "postal_code", "phone") and anonymisation_places.is_public_place(
            folded, hit.start, hit.end if hit.kind in ("address", "postal_code") else None):
        return True
    if hit.kind == "email" and anonymisation_contacts.is_general_inbox(folded[hit.start:hit.end]):
        return True
    if hit.kind in ("phone", "postal_code", "case_number") and set(re.sub(r"[^0-9]", "", folded[hit.start:hit.end])) == {"0"}:
        return True  # "000-000-0000", "〒000-0000": a blank of a form or a template
    if "例" in folded[max(0, hit.start - 4):hit.start]:
        return True  # "例：AB12345678CD": an example of the shape, in a Q&A or a form's instructions
    if hit.kind in ("address", "postal_code") and len(_PLACEHOLDER.findall(folded, hit.start, hit.end)) >= 2:
        return True  # "〒000-0000 〇〇県〇〇市〇〇町0-0-0": a template's blanks
    if (hit.kind == "person_name" and re.sub(r"[\s・]", "", folded[hit.start:hit.end]).endswith(_SAMPLE_NAMES)
            and _FILLED_IN_EXAMPLE.search(folded)):
        return True  # the names every Japanese form's example is filled in with, in a text that says it is one
    if (hit.kind == "person_name" and _TALLY.fullmatch(folded, hit.start, hit.end)
            and ("正の字" in folded or "正正" in folded)):
        return True  # a ledger counting in 正 strokes (正一 is six), not a given name
    if hit.kind in _SAMPLED_KINDS:
        line_start = max(folded.rfind("\n", 0, hit.start) + 1, hit.start - 30)
        line_end = folded.find("\n", hit.end, hit.end + 40)
        around = folded[line_start:hit.start] + " " + folded[hit.end:line_end if line_end != -1 else hit.end + 40]
        if _SAMPLE_CUE.search(around):
            return True  # "記載例：在留カード番号「AB12345678CD」", "looks like "AB 1234 5678 CD" — only a sample"
    return hit.kind == "person_name" and anonymisation_names.is_not_a_person(folded[hit.start:hit.end],
                                                                             folded[hit.end:hit.end + 12])


# What a finding takes with it: a birth date its "生" (昭和56年1月23日生); an account number its bank,
# branch and type before it and the holder's name in katakana after it (みずほ銀行 高田馬場支店 普通 1187720
# ノムラ トモユキ), so the proposal leaves no half of them.
_BANK_BEFORE = re.compile(
    r"(?:(?:(?:[ぁ-ん]{2,4})?[" + _KANJI + _KATAKANA + r"A-Za-z]{0,12}(?:銀行|信用金庫|信金|信用組合|労働金庫|ろうきん|バンク)|ゆうちょ(?:銀行)?"
    r"|JA ?(?:Bank|バンク)?(?: [A-Z][a-z]+)?|[A-Z][A-Za-z]+ Bank)[ ]?"
    r"(?:[" + _KANJI + _KATAKANA + r"A-Za-z○〇]{1,10}(?:支店|出張所|店)[ ]?)?)"
    r"(?:普通預金|当座預金|普通|当座|貯蓄預金)?[ ]?(?:口座番号|口座)?[ :：]?$")
_HOLDER_AFTER = re.compile(r"[ ]?[" + _KATAKANA + r"]{2,10}(?: [" + _KATAKANA + r"]{2,10})?(?![" + _KATAKANA + _KANJI + r"])")


# A facility takes its legal form or type before it ("特定非営利活動法人 かけはし…", "行政書士 野村国際法務事務所",
# "ホテル金沢…") and an alias in brackets after it ("…仏教寺院（ランカ・ヴィハーラ）").
_ENTITY_BEFORE = re.compile(r"(?:" + _FACILITY_PREFIXES + r"|行政書士|弁護士|ホテル|カフェ|Hotel) ?$")
_BRANCH_AFTER = re.compile(r"(?: [" + _KANJI + _KATAKANA + r"]{1,6}(?:営業所|支店|本店|工場|事業所|ヤード|出張所|本社|店|教室|町)"
                           r"|・[" + _KANJI + r"]{1,4}科)(?![" + _KANJI + r"])")
_ALIAS_AFTER = re.compile(r"[（(][" + _KATAKANA + r"・A-Za-z ]{2,20}[）)]")


# What follows an address: its building, wing, floor and room, in any order people write them
# ("カネマル第2寮 105号", "ハイツ宮子 2-B", "2階B号", "保見団地 第3住宅 12棟 405号", "フォーレス鷲津 B棟 203号室",
# "2F-6", "コーポ豊 A-202").
_ROOM_PIECE = (r"(?![0-9]{3}-[0-9]{4}(?![0-9]))(?!0[0-9]{1,4}-[0-9]{1,4}-[0-9]{3,4})(?:[A-Z]棟|[A-Z]号室?|第?[0-9一二三四五六七八九十〇]{1,4}(?:号棟|棟|号室|号|階|F)|#[0-9]{1,4}"
               r"|[0-9]{1,4}(?:-[0-9A-Z]{1,4}){1,2}|[A-Z]-?[0-9]{2,4}|-[0-9]{1,4}|[0-9]{3,4}(?:号室?)?|[0-9]{1,2}[A-Z](?![A-Za-z]))"
               r"(?![0-9])(?![人名歳才回件円時分日月年%％])")
_ADDRESS_TAIL = re.compile(
    r"(?:[ ]?(?:" + _ROOM_PIECE + r"|[" + _KANJI + _KATAKANA + r"0-9第]{0,10}(?:" + _BUILDING_WORDS + r")(?:[" + _KANJI
    + _KATAKANA + r"]{0,6}?)(?:[0-9]{2,4}(?![0-9]))?|[" + _KANJI + _KATAKANA + r"]{2,10}(?= ?(?:[A-Z0-9]{1,3}棟|[0-9]{3,4}"
    r"(?:号室?)?(?![0-9])))|(?i:apto?\.?|apt\.?|rm\.?|room) ?[0-9]{1,4})){1,5}")


# A name takes the other words of the same name written beside it: "ゴメス アナ パウラ", "ダン・ヴァン・タイ",
# "竹内 かおり", "小久保 正則".
_KATAKANA_NAME_WORD = "[" + _KATAKANA + "]{2,10}"
_MORE_KATAKANA_AFTER = re.compile("(?:[ ・=＝](?!(?:" + "|".join(sorted(_ROLE_WORDS, key=len, reverse=True)) + ")(?![" + _KATAKANA
                                  + "]))" + _KATAKANA_NAME_WORD + "(?![" + _KATAKANA + _KANJI + "]))+")
_KATAKANA_JOINED_BEFORE = re.compile("(?<![" + _KATAKANA + "・=＝])(?:" + _KATAKANA_NAME_WORD + "[・=＝])+$")
_GIVEN_AFTER_SURNAME = re.compile(r" (?:[" + _KANJI + r"]{1,3}|[ぁ-ん]{2,4}?)(?=さん|様|氏|くん|ちゃん|先生|[ （(、。,\n]|$)")


def _widened(folded: str, hit: _Hit) -> _Hit:
    if hit.kind == "birth_date" and folded[hit.end:hit.end + 1] == "生":
        return _Hit(hit.kind, hit.start, hit.end + (3 if folded[hit.end:hit.end + 3] == "生まれ" else 1), hit.tier,
                    hit.fallback)
    if hit.kind == "person_name":
        name = folded[hit.start:hit.end]
        if _KATAKANA_WORD.match(name.replace(" ", "").replace("・", "")) and name not in _ROLE_WORDS:
            start, end = hit.start, hit.end
            more = _MORE_KATAKANA_AFTER.match(folded, hit.end)
            if more and not any(w in anonymisation_names.COUNTRIES_IN_KANA for w in re.split("[ ・=＝]", more.group())):
                end = more.end()
            before = _KATAKANA_JOINED_BEFORE.search(folded, max(0, hit.start - 24), hit.start)
            if before and not any(w in anonymisation_names.COUNTRIES_IN_KANA or w in _ROLE_WORDS
                                  for w in re.split("[・=＝]", before.group()) if w):
                start = before.start()
            return _Hit(hit.kind, start, end, hit.tier, hit.fallback)
        elif re.fullmatch("[" + _KANJI + "]{2,3}", name):
            given = _GIVEN_AFTER_SURNAME.match(folded, hit.end)
            if given and not anonymisation_names.is_not_a_person(given.group().strip()):
                return _Hit(hit.kind, hit.start, given.end(), hit.tier, hit.fallback)
        return hit
    if hit.kind == "address":
        tail = _ADDRESS_TAIL.match(folded, hit.end)
        if tail:
            return _Hit(hit.kind, hit.start, tail.end(), hit.tier, hit.fallback)
    if hit.kind == "facility":
        start, end = hit.start, hit.end
        entity = _ENTITY_BEFORE.search(folded, max(0, start - 12), start)
        if entity:
            start = entity.start()
        alias = _ALIAS_AFTER.match(folded, end) or _BRANCH_AFTER.match(folded, end)
        if alias:
            end = alias.end()
        return _Hit(hit.kind, start, end, hit.tier, hit.fallback)
    if hit.kind == "bank_account":
        line_start = max(folded.rfind("\n", 0, hit.start) + 1, hit.start - 48)
        before = _BANK_BEFORE.search(folded, line_start, hit.start)
        start = before.start() if before and before.group().strip(" :：") else hit.start
        holder = _HOLDER_AFTER.match(folded, hit.end)
        return _Hit(hit.kind, start, holder.end() if holder else hit.end, hit.tier, hit.fallback)
    return hit


def _rule_hits(text: str, folded: str) -> Iterator[_Hit]:
    yield from (_widened(folded, hit) for hit in _rule_hits_as_found(text, folded))


def _rule_hits_as_found(text: str, folded: str) -> Iterator[_Hit]:
    for family in (anonymisation_labels.labelled_hits(folded), anonymisation_contacts.contact_hits(folded),
                   anonymisation_places.place_hits(folded), anonymisation_names.name_hits(folded)):
        yield from (_Hit(*hit) for hit in family)
    yield from _my_numbers(folded)
    yield from _labelled_numbers(folded)
    yield from (_Hit("vehicle_plate", m.start(), m.end()) for m in _VEHICLE_PLATE.finditer(folded))
    yield from _named_facilities(folded)
    yield from (_Hit("residence_card", m.start(), m.end()) for m in _RESIDENCE_CARD.finditer(folded))
    yield from (_Hit("email", m.start(), m.end()) for m in _EMAIL.finditer(folded))
    yield from _phones(folded)
    addresses = list(_addresses(folded))
    yield from addresses
    yield from _postal_codes(folded, addresses)
    yield from _birth_dates(folded)
    yield from _person_names(text, folded)


def _adjacent_parts(text: str, first: _Hit, second: _Hit) -> bool:
    """Two names one space apart in the same script, or two katakana names joined by ・ or ＝, are the parts of
    one: "吉川 瑞穂", "ボロルマー・ガンゾリグ", "ラナシンハ アーラッチゲ". Kanji joined by ・ are two people (山田・佐藤)."""
    if second.start - first.end != 1:
        return False
    gap, left, right = text[first.end], text[first.end - 1], text[second.start]
    if gap in " 　":
        return _script_of(left) == _script_of(right) != ""
    return gap in "・=＝" and _script_of(left) == _script_of(right) == "katakana"


def _script_of(char: str) -> str:
    if re.match("[" + _KANJI + "]", char):
        return "kanji"
    if re.match("[" + _KATAKANA + "]", char):
        return "katakana"
    if re.match("[ぁ-ん]", char):
        return "hiragana"
    return ""


def _merged_names(hits: Iterable[_Hit], text: str = "") -> list[_Hit]:
    """Confident names found by two rules that overlap are one name: "Ms. Hannah" and "Hannah K. Weber"
    give "Ms. Hannah K. Weber" (otherwise the earlier one would win and cut the name); so are the parts of
    a name found apart, one space or (katakana) one ・ between them."""
    names, others = [], []
    for hit in hits:
        (names if hit.kind == "person_name" and hit.tier == CONFIDENT and not hit.fallback else others).append(hit)
    merged: list[_Hit] = []
    for hit in sorted(names, key=lambda h: h.start):
        if merged and (hit.start < merged[-1].end or (text and _adjacent_parts(text, merged[-1], hit))):
            if hit.end > merged[-1].end:
                merged[-1] = _Hit("person_name", merged[-1].start, hit.end)
            continue
        merged.append(hit)
    # The parts stay candidates too: where a more specific finding overlaps the whole, a part may still stand.
    return others + merged + names


def _without_overlaps(hits: Iterable[_Hit], length: int, text: str = "") -> list[_Hit]:
    """The hits that overlap no hit of a more specific kind (or an earlier, longer one of the same
    kind). A map of taken characters makes each test cost the hit's length, not the number of hits
    kept, so the whole check stays linear in the text."""
    taken = bytearray(length)
    kept: list[_Hit] = []
    hits = _merged_names(hits, text)
    for hit in sorted(hits, key=lambda h: (h.tier != CONFIDENT, _FALLBACK_RANK if h.fallback else _PRIORITY[h.kind],
                                           h.start, -(h.end - h.start))):
        if taken.find(1, hit.start, hit.end) == -1:
            taken[hit.start:hit.end] = b"\x01" * (hit.end - hit.start)
            kept.append(hit)
    return sorted(kept, key=lambda h: (h.start, _PRIORITY[h.kind]))


def check_text(text: str, lang: str = "ja") -> list[Finding]:
    """Personal data found in ``text``, in reading order; suggestions in ``lang``. The time is
    linear in the text, whatever it holds; a text longer than ``MAX_CHECK_CHARS`` raises TextTooLong."""
    if len(text) > MAX_CHECK_CHARS:
        raise TextTooLong(len(text))
    cuts = list(_chunks(text))
    hits = [hit for start, end in cuts for hit in _chunk_hits(text, start, end)]
    hits += _mentions(text, cuts, hits)
    suggestions = {kind: t(f"anonymisation.suggestion.{kind}", lang) for kind in {hit.kind for hit in hits}}
    findings = []
    line, line_start, position = 1, 0, 0
    for hit in _without_overlaps(hits, len(text), text):  # in reading order: lines are counted as we go
        newlines = text.count("\n", position, hit.start)
        if newlines:
            line += newlines
            line_start = text.rfind("\n", position, hit.start) + 1
        position = hit.start
        found = text[hit.start:hit.end]
        findings.append(Finding(
            kind=hit.kind,
            text=mask_my_number(found) if hit.kind == "my_number" else found,
            line=line,
            column=hit.start - line_start + 1,
            suggestion=suggestions[hit.kind],
            tier=hit.tier,
        ))
    return findings


def check_document(data: bytes, filename: str, lang: str = "ja") -> list[Finding]:
    """Read every part of the file and check it, each finding placed in its part; raises
    UnsupportedDocument / UnreadableDocument."""
    document = read_document(data, filename)
    return document.locate(check_text(document.text, lang=lang))


def findings_as_json(findings: Iterable[Finding]) -> dict:
    """The stable JSON shape: {"findings": [{"kind", "text", "line", "column", "suggestion", "part"}]}
    ("part" says where in the file: body, header, comment, properties… see documents.PARTS)."""
    return {"findings": [asdict(finding) for finding in findings]}


def format_finding(finding: Finding, lang: str = "ja") -> str:
    """One line for people: ``line N: kind「text」→ suggestion`` in the body, ``part: kind…``
    elsewhere (a header, a comment, the properties…), localised."""
    kind = t(f"anonymisation.kind.{finding.kind}", lang)
    if finding.tier != CONFIDENT:
        kind = t("anonymisation.cli.to_check", lang, kind=kind)
    if finding.part != "body":
        return t("anonymisation.cli.finding_in_part", lang, part=t(f"anonymisation.part.{finding.part}", lang),
                 kind=kind, text=finding.text, suggestion=finding.suggestion)
    return t("anonymisation.cli.finding", lang, line=finding.line, kind=kind, text=finding.text,
             suggestion=finding.suggestion)
