"""Contact details written as people write them: international phone numbers (+55 11 …, +977 …,
0063-…, (080) 7182-4406, 010-4821-7730), e-mail addresses with "(at)", and personal URLs (blogs,
fundraising pages, social profiles). An organisation's general inbox (info@, soudan@…) and the sites
of public bodies (go.jp, lg.jp…) are not personal.

Works on the folded text (see ``bot.core.anonymisation``); yields ``(kind, start, end, tier)``. The
patterns repeat only groups that begin with a separator, so they cannot backtrack: linear time.
"""

from __future__ import annotations

import re
from typing import Iterator

CONFIDENT = "confident"
CHECK = "check"

_INTERNATIONAL_PHONE = re.compile(
    r"(?<![0-9A-Za-z+])(?:\+|00)[1-9][0-9]{0,2}(?:[ \-]?\([0-9]{1,4}\))?(?:[ \-][0-9]{2,8}){2,4}(?![0-9])")
# Landline or mobile in brackets and 3-4-4 mobiles of other countries (Korea's 010, …).
_BRACKETED_PHONE = re.compile(r"(?<![0-9])\(0[0-9]{1,4}\) ?[0-9]{1,4}[ \-][0-9]{4}(?![0-9])")
_THREE_FOUR_FOUR = re.compile(r"(?<![0-9\-])0[1-9]0[ \-][0-9]{4}[ \-][0-9]{4}(?![0-9\-])")

_DOT = r"(?:\.| ?\((?:dot|DOT|ドット)\) ?| ?\[(?:dot|DOT)\] ?)"
_OBFUSCATED_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]{1,64} ?(?:\((?:at|AT|あっと|アット)\)|\[(?:at|AT)\]|<at>|★|☆|◎)"
    r" ?[A-Za-z0-9\-]{1,63}(?:" + _DOT + r"[A-Za-z0-9\-]{1,63}){1,4}(?![A-Za-z0-9\-])"
    # spelled out: "ayumi.kuroda.1990 at example dot jp" (a known top-level domain at the end)
    r"|(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]{2,64} at [A-Za-z0-9\-]{1,63}(?: dot [A-Za-z0-9\-]{1,63}){0,3}"
    r" dot (?:com|net|org|jp|info|biz|edu|gov|io|me|br|ph|vn|np|id|uk|us|ca|au|cn|kr|tw|th|my|in|pk|lk|mm|pe|ne|co)"
    r"(?![A-Za-z0-9\-])")
# An organisation's general inbox, published for anyone to write to.
GENERAL_INBOXES = frozenset("""info information soudan sodan consult consultation contact contacts office support help
    helpdesk inquiry inquiries toiawase otoiawase uketsuke madoguchi jimukyoku admin webmaster noreply no-reply
    kouhou koho press center centre desk general mail""".split())

_URL = re.compile(r"(?:https?://|www\.)[A-Za-z0-9\-._~:/?#@!$&'*+,;=%]{3,200}")
_PUBLIC_DOMAINS = re.compile(r"(?:\.go\.jp|\.lg\.jp|\.gov(?:\.[a-z]{2})?|\.int|\.ac\.jp|\.ed\.jp|\.or\.jp|\.un\.org"
                             r"|courts\.go\.jp|houterasu\.or\.jp|moj\.go\.jp|mhlw\.go\.jp)(?:/|$|:)")
_PERSONAL_HOSTS = re.compile(
    r"(?:facebook\.com|fb\.com|instagram\.com|twitter\.com|x\.com|tiktok\.com|youtube\.com/(?:@|c/|user/|channel/)"
    r"|linkedin\.com/in|gofundme\.com|readyfor\.jp|campfire\.co\.jp|motion-gallery\.net|justgiving\.com|kickstarter\.com"
    r"|patreon\.com|note\.com|ameblo\.jp|hatenablog\.|hatena\.ne\.jp|blogspot\.|wordpress\.com|livedoor\.blog"
    r"|fc2\.com|medium\.com/@|tumblr\.com|linktr\.ee|lit\.link|line\.me/ti/p|vk\.com|weibo\.com|naver\.com"
    r"|substack\.com|github\.io)")


# A number read out in words, as people dictate it: "〇九〇-二二七四-八八一五", "ゼロキュウゼロ・サンイチニナナ・…",
# "ゼロハチゼロ の ロクゴーイチニ の …", "zero-hachi-zero, 4418, 2276". Each unit is one digit.
_DIGIT_WORDS = {"0": "〇 ○ 零 ゼロ レイ マル ぜろ れい まる zero oh", "1": "一 イチ いち ichi one",
                "2": "二 ニー ニ にい に ni two", "3": "三 サン さん san three", "4": "四 ヨン よん yon four",
                "5": "五 ゴー ゴ ごう ごー ご go five", "6": "六 ロク ろく roku six", "7": "七 ナナ シチ なな しち nana shichi seven",
                "8": "八 ハチ はち hachi eight", "9": "九 キュウ キュー ク きゅう きゅー く kyuu kyu nine"}
_DIGIT_UNIT = "(?:[0-9]|" + "|".join(sorted((w for words in _DIGIT_WORDS.values() for w in words.split()),
                                          key=len, reverse=True)) + ")"
_SPOKEN_PHONE = re.compile(r"(?<![A-Za-z0-9ァ-ヴー〇一二三四五六七八九十])(?:0|〇|○|零|ゼロ|レイ|マル|ぜろ|zero)(?:(?:[ \-・,]{1,3}|[ ]?の[ ]?)?"
                           + _DIGIT_UNIT + r"){9,14}(?![A-Za-z0-9ァ-ヴー])")
_UNIT = re.compile(_DIGIT_UNIT)
_DIGIT_OF = {word: digit for digit, words in _DIGIT_WORDS.items() for word in words.split()} | {d: d for d in "0123456789"}


def _phones(folded: str) -> Iterator[tuple[str, int, int, str]]:
    for pattern in (_INTERNATIONAL_PHONE, _BRACKETED_PHONE, _THREE_FOUR_FOUR):
        for match in pattern.finditer(folded):
            digits = re.sub(r"[^0-9]", "", match.group())
            if 9 <= len(digits) <= 15:
                yield "phone", match.start(), match.end(), CONFIDENT
    for match in _SPOKEN_PHONE.finditer(folded):
        units = _UNIT.findall(match.group())
        end = match.end()
        while len(units) > 10 and not (len(units) == 11 and _DIGIT_OF[units[1]] in "5789" and _DIGIT_OF[units[2]] == "0"):
            end = match.start() + match.group().rfind(units[-1])  # "…ゼロに電話": the particle after it
            units.pop()
            end = match.start() + len(match.group()[:end - match.start()].rstrip(" -・,の"))
        spelled = not all(unit.isdigit() for unit in units) or "の" in match.group()
        if len(units) in (10, 11) and spelled:
            yield "phone", match.start(), end, CONFIDENT


# Letters read out in katakana, as a residence card's letters are dictated: "エスエー", "ケーディー".
_LETTER_WORDS = ("エー", "エイ", "ビー", "シー", "ディー", "デー", "イー", "エフ", "ジー", "エイチ", "エッチ", "アイ", "ジェイ",
                 "ジェー", "ケー", "ケイ", "エル", "エム", "エヌ", "オー", "ピー", "キュー", "アール", "エス", "ティー", "テー",
                 "ユー", "ブイ", "ヴィー", "ダブリュー", "エックス", "ワイ", "ゼット", "ズィー")
_LETTER_UNIT = "(?:" + "|".join(sorted(_LETTER_WORDS, key=len, reverse=True)) + ")"
_SPOKEN_GAP = r"(?:[ ・\-]|の)?"
# A residence card read out: two letters, eight digits, two letters ("エーエフ七二〇四八八一九ケーエー").
_SPOKEN_CARD = re.compile(r"(?<![ァ-ヴー])" + _LETTER_UNIT + "{2}" + _SPOKEN_GAP + "(?:" + _DIGIT_UNIT + _SPOKEN_GAP + "){7}"
                          + _DIGIT_UNIT + _SPOKEN_GAP + _LETTER_UNIT + "{2}(?!" + _LETTER_UNIT + ")")
# Twelve digits read out in three groups of four: a My Number when a cue names it nearby.
_SPOKEN_TWELVE = re.compile(r"(?<![0-9〇一二三四五六七八九])(?:" + _DIGIT_UNIT + "){4}(?: (?:" + _DIGIT_UNIT
                            + "){4}){2}(?!" + _DIGIT_UNIT + ")")
_MY_NUMBER_CUE = re.compile(r"個人番号|マイナンバー|(?i:my ?number)")
# An account number read out after its bank: "普通 ななゼロいちさんろくろくご", "ゆうちょ銀行の一二三九〇の四一八八二〇七一".
_SPOKEN_ACCOUNT = re.compile(r"(?:普通|当座|貯蓄|ゆうちょ(?:銀行)?|口座)(?:預金)?(?:の|は| )?(?P<value>(?:" + _DIGIT_UNIT + _SPOKEN_GAP
                             + "){6,13}" + _DIGIT_UNIT + r")(?!" + _DIGIT_UNIT + ")")
# A Japan Post Bank account has a five-digit symbol starting with 1 and an eight-digit number: "10380-52947811".
_YUCHO = re.compile(r"(?<![0-9\-])1[0-9]{4}-[0-9]{7,8}(?![0-9\-])")


_SPOKEN_COUNTS = {n: re.compile("(?:" + _DIGIT_UNIT + _SPOKEN_GAP + "){" + str(n - 1) + "}" + _DIGIT_UNIT) for n in range(7, 14)}


def _spoken_digits(value: str) -> int:
    """How many digits a read-out number holds, trying every way to cut it ("にいち" is に・いち): 0 if
    it holds fewer than 7 or more than 13."""
    return next((n for n, pattern in _SPOKEN_COUNTS.items() if pattern.fullmatch(value)), 0)


def _spoken_identifiers(folded: str) -> Iterator[tuple[str, int, int, str]]:
    for match in _SPOKEN_CARD.finditer(folded):
        yield "residence_card", match.start(), match.end(), CONFIDENT
    for match in _SPOKEN_TWELVE.finditer(folded):
        # (twelve units by the pattern's own groups; "にいち" is に・いち, not にい・ち)
        if re.search(r"[^0-9 ]", match.group()) and _MY_NUMBER_CUE.search(
                folded, max(0, match.start() - 80), match.start()):
            yield "my_number", match.start(), match.end(), CONFIDENT
    for match in _SPOKEN_ACCOUNT.finditer(folded):
        value = match.group("value")
        if _spoken_digits(value) and not value.isdigit() and not re.fullmatch(r"(?:[0〇○零]|ゼロ|レイ|マル|ぜろ|れい|まる|zero|の|[ ・\-])+", value):
            yield "bank_account", match.start("value"), match.end("value"), CONFIDENT
    for match in _YUCHO.finditer(folded):
        yield "bank_account", match.start(), match.end(), CONFIDENT


# Domains reserved for examples and tests (RFC 2606, RFC 6761), with a placeholder before the @: a form's
# sample ("sample@example.com", "xxxxx@example.com"); a person's name there is still found (notes write
# pseudonymised addresses at example.org).
_EXAMPLE_DOMAIN = re.compile(r"(?:^|\.)example\.(?:com|net|org)$|\.(?:example|test|invalid|localhost)$")
_PLACEHOLDER_LOCAL = re.compile(r"x+|sample|example|test|dummy|user|name|your_?\.?name|foo|bar|abc|aaa+")


def is_general_inbox(address: str) -> bool:
    parts = re.split(r"@| ?\(at\) ?", address, maxsplit=1)
    local = parts[0].lower()
    if len(parts) == 2 and _PLACEHOLDER_LOCAL.fullmatch(local) and _EXAMPLE_DOMAIN.search(parts[1].lower().rstrip(".")):
        return True
    return local in GENERAL_INBOXES or local.split(".")[0].split("-")[0] in GENERAL_INBOXES


def _emails(folded: str) -> Iterator[tuple[str, int, int, str]]:
    for match in _OBFUSCATED_EMAIL.finditer(folded):
        if not is_general_inbox(match.group()):
            yield "email", match.start(), match.end(), CONFIDENT


def _urls(folded: str) -> Iterator[tuple[str, int, int, str]]:
    for match in _URL.finditer(folded):
        url = match.group().rstrip(".,;:!?')")
        if _PUBLIC_DOMAINS.search(url):
            continue
        host_and_path = re.sub(r"^(?:https?://)?(?:www\.)?", "", url)
        if "/" not in host_and_path.rstrip("/") and not _PERSONAL_HOSTS.search(url):
            continue  # a site's home page names an organisation, not a person
        tier = CONFIDENT if _PERSONAL_HOSTS.search(url) else CHECK
        yield "personal_url", match.start(), match.start() + len(url), tier


def contact_hits(folded: str) -> Iterator[tuple[str, int, int, str]]:
    yield from _phones(folded)
    yield from _spoken_identifiers(folded)
    yield from _emails(folded)
    yield from _urls(folded)
