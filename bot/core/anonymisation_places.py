"""Places written as people write them, and the public places that are not personal.

- Romaji addresses: "2-4-10 Minamicho", "1-8-22 Kitamachi, Kazo", "Kamijima 3-8-12, Naka-ku, Hamamatsu",
  with a building before them ("Corpo Sakura 102, 5-22-3 Higashiogu, Arakawa-ku").
- A town and its block number alone: "本町 4-2-7", "栄町3-11-5", "塚越5丁目".
- Schools by the names people use: "市立西小4年", "市立第三中", "都立竹台高校", "県立盲学校", and public
  hospitals ("県立中央病院").
- An address, postal code or phone number that follows the name of a public body (a regional
  immigration bureau, FRESC, 法テラス…) in the same line or sentence is that body's, not a person's.

Works on the folded text (see ``bot.core.anonymisation``); yields ``(kind, start, end, tier)``.
Bounded character classes only: linear time.
"""

from __future__ import annotations

import re
from typing import Iterator

CONFIDENT = "confident"
CHECK = "check"

_BLOCK = r"[0-9]{1,4}(?:-[0-9]{1,4}){1,3}"
_ROMAJI_WORD = r"[A-Z][a-zāēīōū]+(?:-[a-z]+)?"
_ROMAJI_UNIT = re.compile(r"(?:cho|chō|machi|mura|-ku|-shi|-gun|-ken|dori|dōri)$|^(?:Tokyo|Osaka|Kyoto|Hokkaido)$")
_BUILDING_BEFORE = r"(?:(?:[A-Z][A-Za-z]+ ){1,3}[0-9]{1,4}, ?)?"
_ROMAJI_ADDRESS = re.compile(
    r"(?<![0-9A-Za-z\-])" + _BUILDING_BEFORE + _BLOCK + r",? " + _ROMAJI_WORD + r"(?:,? " + _ROMAJI_WORD + r"){0,3}"
    r"|(?<![A-Za-z])" + _ROMAJI_WORD + r" " + _BLOCK + r"(?![0-9])(?:, " + _ROMAJI_WORD + r"){0,3}")
# A romaji address as a whole, written in either order with its building and room: "Toshima-ku Ikebukuro
# 3-41-6 Green Heim 2F", "Apt. 203, Green Village Shimo-Ochiai, 2-7-19 Shimo-Ochiai, Shinjuku-ku, Tokyo",
# "Kanazawa-shi Nishi-izumi 4-chome 55-2, Leopalace Nishiizumi 108". A run of address-like words (capitalised
# words, block numbers, rooms) joined by spaces or commas is an address when it holds a block number and a unit
# (-shi, -ku, -cho, Tokyo…) or a building word.
_ROMAJI_PIECE = (r"(?:[A-Z][a-z]{1,4}\.[0-9]{1,4}|[A-Z][A-Za-zāēīōūÀ-ÿ]*(?:-[A-Za-zāēīōū]+)*\.?|#?[0-9]{1,5}"
                 r"(?:-[0-9]{1,5}){0,3}(?:-chome|-[A-Z])?[A-Z]?|[0-9]{1,2}F|(?:apto?|apt|rm|room)\.?)")
_ROMAJI_RUN = re.compile(r"(?<![A-Za-z0-9\-])" + _ROMAJI_PIECE + r"(?:(?:, ?| )" + _ROMAJI_PIECE + r"){1,14}")
_ROMAJI_BUILDING = re.compile(r"^(?:Apt|Apto|Rm|Room|Bldg|Heim|Heights|Haitsu|Court|Mansion|Corpo|Village|Residence"
                              r"|Leopalace|House|Tower|Garden|Palace|Plaza|Maison|Mezon|Heights|Flat|Dormitory|Dorm)\.?$",
                              re.IGNORECASE)
_ROMAJI_BLOCK = re.compile(r"^#?[0-9]{1,4}-[0-9]{1,4}|-chome$|^[0-9]{1,4}-chome")
_ROMAJI_UNIT_WORD = re.compile(r"-(?:shi|ku|cho|chō|machi|mura|gun|fu|ken|to)$|^(?:Tokyo|Osaka|Kyoto|Hokkaido)$")
_PUBLIC_WORDS = frozenset("Bureau Immigration Embassy Consulate Office Agency Ministry Police Station "
                          "Center Centre Council Association Library Museum".split())
_NOT_ADDRESS_WORD = re.compile(r"^(?:I|We|He|She|They|The|My|Our|Your|His|Her|At|In|On|To|From|Address|Endereço|Lives?|Moved)$")


def _romaji_addresses(folded: str) -> Iterator[tuple[str, int, int, str]]:
    for match in _ROMAJI_RUN.finditer(folded):
        pieces = list(re.finditer(_ROMAJI_PIECE, match.group()))
        # A word that ends a sentence ends the address: "…Toyota-shi. She…"
        for i, piece in enumerate(pieces[:-1]):
            word = piece.group()
            if word.endswith(".") and not _ROMAJI_BUILDING.match(word) and len(word) > 4:
                pieces = pieces[:i + 1]
                break
        while pieces and _NOT_ADDRESS_WORD.match(pieces[0].group().rstrip(".")):
            pieces.pop(0)
        words = [p.group().rstrip(",") for p in pieces]
        if len(words) < 2 or not any(_ROMAJI_BLOCK.search(w) for w in words):
            continue
        if any(w.rstrip(".") in _PUBLIC_WORDS for w in words):
            continue  # "Tokyo Regional Immigration Services Bureau, 5-5-30 Konan": a public body's address
        unit = any(_ROMAJI_UNIT_WORD.search(w.rstrip(".")) for w in words)
        building = any(_ROMAJI_BUILDING.match(w) for w in words)
        if not (unit or building):
            continue
        start, end = match.start() + pieces[0].start(), match.start() + pieces[-1].end()
        if folded[end - 1] == "." and not _ROMAJI_BUILDING.match(words[-1]):
            end -= 1
        yield "address", start, end, CONFIDENT if unit else CHECK


# "本町 4-2-7", "栄町3-11-5", "本郷町 2-14-3", "塚越5丁目": a town (…町, …丁目) and its number alone.
_TOWN_BLOCK = re.compile(
    r"(?<![一-龥ァ-ヴー])(?P<town>[一-龥ァ-ヴー]{1,5}(?:町|通|台|丘))[ ]?" + _BLOCK + r"(?![0-9\-])"
    r"|(?<![一-龥ァ-ヴー])(?P<area>[一-龥]{2,4}市)?[一-龥]{2,4}[0-9]{1,2}丁目(?![0-9])")
_NOT_A_TOWN = re.compile(r"(?:時間|期間|年|月|日|号|第|約|計|合計|番|回|人|歳|才|円|点|位|階|級|組|学期|週)")

_SCHOOL = re.compile(
    r"(?:(?<![一-龥ァ-ヴー])[一-龥]{1,5}?)?(?:市|区|町|村|都|道|府|県|国|私)立"
    r"(?P<name>[一-龥ァ-ヴー]{0,10}?)(?P<type>小学校|中学校|高等学校|高校|特別支援学校|盲学校|聾学校|ろう学校|養護学校"
    r"|中等教育学校|小|中|高)(?:小学部|中学部|高等部)?(?![一-龥])"
    r"|(?<![一-龥ァ-ヴー])(?P<bare>[一-龥]{2,6}?(?:第[一二三四五六七八九十]+)?)(?P<abbr>小|中)(?= ?[0-9]年|\()")
_PUBLIC_HOSPITAL = re.compile(r"(?<![一-龥])(?:[一-龥]{1,4})?(?:市|県|都|府|道|国)立[一-龥ァ-ヴー]{1,10}?(?:病院|医療センター)")
_NOT_SCHOOL_NAME = re.compile(r"^(?:[A-Z]|[〇○△□]+)$|期間|途|最|年|授業|在籍|給食|学校|院|娠|務|出|事|業|議|療|休|話|留|滞")

PUBLIC_BODIES = ("出入国在留管理局", "入国管理局", "出張所", "支局", "在留支援センター", "インフォメーションセンター", "FRESC",
                 "法テラス", "労働基準監督署", "労働局", "ハローワーク", "公共職業安定所", "市役所", "区役所", "町役場",
                 "村役場", "年金事務所", "税務署", "法務局", "家庭裁判所", "地方裁判所", "大使館", "領事館", "保健所",
                 "児童相談所", "福祉事務所", "国際交流協会", "社会福祉協議会", "外国人技能実習機構", "よりそいホットライン",
                 "DV相談+", "DV相談ナビ", "国際交流会館", "市民活動センター", "インフォメーションセンター", "日本年金機構",
                 "弁護士会", "Immigration Services Bureau", "Immigration Bureau", "Support Center", "City Hall",
                 "Ward Office", "Embassy", "Consulate", "Legal Affairs Bureau", "Hello Work")
_PERSONAL_IN_BETWEEN = re.compile(r"自宅|携帯|本人|相談者|夫|妻|母|父|住所|連絡先|申請人|申立人|さん|様|氏")


# A clinic named in kana before its department: "ひまわり整形外科", "さくら内科".
_KANA_CLINIC = re.compile(r"(?<![ぁ-んァ-ヴー一-龥])[ぁ-んァ-ヴー]{2,10}(?:整形外科|心療内科|内科|外科|小児科|皮膚科|眼科"
                          r"|耳鼻咽喉科|耳鼻科|産婦人科|婦人科|精神科|歯科)(?:クリニック|医院|病院)?")


# Workplaces and services named the way people name them: a kana name after its legal form or type
# ("有限会社くまがや縫製", "母子生活支援施設あすなろ", "居宅介護支援事業所こもれび", "ホテルすばる"), a type word that
# ends the name ("深谷フーズ", "北関東国際協同組合", "杉山行政書士事務所"), and the "…の家" of care services.
_NAMED_SERVICE = re.compile(
    r"(?:株式会社|有限会社|合同会社)(?P<legal>[ぁ-ん]{2,8}[一-龥ァ-ヴー]{0,6})(?=[\s、。(（のでにをはがと]|$)"
    r"|(?:施設|支援施設|事業所|支援事業所|ステーション|ホーム|シェルター|ホテル|Hotel|होटल|センター|ハウス) ?"
    r"(?P<after>[ぁ-んァ-ヴー]{2,10}(?:苑|園|荘|寮|舎|館|堂|[一-龥](?![一-龥]))?|[\u0900-\u097F]{2,12})(?![ぁ-んァ-ヴー\u0900-\u097F])"
    r"|(?P<typed>(?:(?<![一-龥ァ-ヴーぁ-ん])[ぁ-ん]{2,6}[一-龥ァ-ヴー・]{0,10}|(?<![一-龥ァ-ヴー・])[一-龥ァ-ヴー][一-龥ァ-ヴー・]{0,9})(?:フーズ|フード|ファーム"
    r"|ワークス|モーターズ|ハウジング|トレーディング|エンジニアリング|物産|工房|商会|協同組合|行政書士事務所|法律事務所|法務事務所|税理士事務所|司法書士事務所|社労士事務所"
    r"|社会保険労務士事務所)(?:(?![のにでをはがとへもや])[ぁ-ん]{2,6}(?![ぁ-ん]))?)"
    # a shop or service named in brackets after its type: "カフェ「ポラリス」", "デイサービス「ウリチプ」"
    r"|(?<![一-龥ァ-ヴー])(?P<bracketed>[一-龥ァ-ヴー]{0,8}(?:店|カフェ|サービス|レストラン|食堂|ホーム|センター|教室"
    r"|事業所|施設|ショップ|居酒屋|サロン|ストア|ハウス|ステーション)「[^」\n]{1,20}」)"
    r"|(?P<home>(?!))", re.MULTILINE)  # "…の家" care services: too often a common noun ("ムスリムの家")
# A nursery or kindergarten named in kana: "わしづ保育園", "たかいだ保育所".
_KANA_NURSERY = re.compile(r"(?:(?<![ぁ-んァ-ヴー一-龥])|(?<=[一-龥ァ-ヴー][をにはがでとのへも]))(?P<name>[ぁ-んァ-ヴー]{2,8})(?P<type>保育園|保育所|こども園|幼稚園)")
# A type word followed by a name in Latin letters ("ブラジル食材店 Casa Verde") or by a place ("…文化センター名古屋",
# "セレモニーホール勝川"): the latter is a weaker signal, to check.
_TYPE_THEN_NAME = re.compile(
    r"(?<![一-龥ァ-ヴー・])(?P<type>[一-龥ァ-ヴー・]{0,16}(?:店|ショップ|レストラン|カフェ|食堂|ホール|センター|ハウス|教会|寺院))"
    r"(?:[ ]?(?P<latin>[A-Z][a-zà-ÿ]+(?: [A-Z][a-zà-ÿ]+){0,3})(?![A-Za-z])"
    r"|(?P<place>[一-龥]{2,3})(?![一-龥ァ-ヴー]))")
# A place of worship named after its type and a space: "ベトナム仏教寺院 東浦念仏堂", "カンボジア寺院 ワット・カンプチア 綾瀬".
_WORSHIP_THEN_NAME = re.compile(
    r"(?<![一-龥ァ-ヴー])[一-龥ァ-ヴー]{0,10}(?:寺院|僧院|寺|教会|モスク|マスジド|礼拝所) (?P<name>[一-龥ァ-ヴー・]{2,14})"
    r"(?: [一-龥]{2,3}(?![一-龥ァ-ヴー]))?")
_NOT_A_PLACE_AFTER = re.compile(r"^(?:内|前|長|員|職員|窓口|利用|経由|主催|担当|所長|事務|会議|から|まで)|[内前長員中側]$")
_NAMED_POLICE = re.compile(r"(?<![一-龥ァ-ヴー])[一-龥ァ-ヴー]{2,6}(?:警察署|交番)")


def place_hits(folded: str) -> Iterator[tuple[str, int, int, str]]:
    yield from _romaji_addresses(folded)
    for match in _ROMAJI_ADDRESS.finditer(folded):
        words = re.findall(r"[A-Za-z\-āēīōū]+", match.group())
        unit = any(_ROMAJI_UNIT.search(w) for w in words) or match.group().count(",") >= 1
        yield "address", match.start(), match.end(), CONFIDENT if unit else CHECK
    for match in _TOWN_BLOCK.finditer(folded):
        town = match.group("town") or ""
        if _NOT_A_TOWN.search(town) or _NOT_A_TOWN.search(match.group()[:3]):
            continue
        yield "address", match.start(), match.end(), CONFIDENT
    for match in _SCHOOL.finditer(folded):
        name = match.group("name") if match.group("name") is not None else match.group("bare")
        special = (match.group("type") or "") in ("特別支援学校", "盲学校", "聾学校", "ろう学校", "養護学校")
        if (not name and not special) or (name and _NOT_SCHOOL_NAME.search(name)):
            continue
        yield "school", match.start(), match.end(), CONFIDENT if match.group("type") else CHECK
    for match in _NAMED_SERVICE.finditer(folded):
        tier = CHECK if match.group("home") else CONFIDENT
        start, end = (match.start("typed") if match.group("typed") else
                      match.start("bracketed") if match.group("bracketed") else match.start()), match.end()
        if match.group("typed") and re.search(r"[のにでをはがと]$", match.group("typed")):
            continue  # "…事務所に": ran on into a particle
        if match.group("after"):
            name = match.group("after")
            glued = re.match(r"[ァ-ヴー]", name) and re.search(r"[ァ-ヴー]$", folded[match.start():match.start("after")])
            if name[0] in "へのにでをはがともや" or re.match(r"から|まで|より|など|なし|だけ|ほか", name) or glued:
                continue  # "ホームへの…", "センターからの": a particle, not a name
            while len(name) > 2 and name[-1] in "にでをはがとへのも" and re.match(r"[一-龥ァ-ヴー]", folded[end:end + 1]):
                name, end = name[:-1], end - 1  # "あすなろに入所": the particle before the next word
            while start > 0 and match.start() - start < 10 and re.match(r"[一-龥ァ-ヴー]", folded[start - 1]):
                start -= 1  # the whole type: "母子生活支援施設", "居宅介護支援事業所"
        yield "facility", start, end, tier
    for match in _KANA_NURSERY.finditer(folded):
        if not re.search(r"[のにはをでへ]$", match.group("name")):  # "近くの保育園" names none
            yield "facility", match.start(), match.end(), CONFIDENT
    for match in _WORSHIP_THEN_NAME.finditer(folded):
        head = folded[match.start():match.start("name")].rstrip()
        if (head.endswith("寺") and not head.endswith("寺院") and re.fullmatch(r"[一-龥]{1,3}", match.group("name"))
                and match.group("name") not in ("住職", "副住職", "和尚", "僧侶", "境内", "本堂")):
            continue  # "小野寺 瑞穂": a surname ending in 寺 and a given name, not a temple
        yield "facility", match.start(), match.end(), CONFIDENT
    for match in _TYPE_THEN_NAME.finditer(folded):
        if match.group("latin"):
            yield "facility", match.start(), match.end(), CONFIDENT
        elif (not _NOT_A_PLACE_AFTER.search(match.group("place")) and len(match.group("type")) > 3
              and match.group("type").endswith(("センター", "ホール", "ハウス", "教会", "寺院"))):
            yield "facility", match.start(), match.end(), CHECK
    for match in _NAMED_POLICE.finditer(folded):
        yield "facility", match.start(), match.end(), CHECK  # a public body, but the person's own station
    for match in _KANA_CLINIC.finditer(folded):
        yield "facility", match.start(), match.end(), CONFIDENT
    for match in _PUBLIC_HOSPITAL.finditer(folded):
        yield "facility", match.start(), match.end(), CONFIDENT


_PUBLIC_AFTER = re.compile(r"[ ]?[（(][^）)\n]{0,12}(?:会館|庁舎|役所|役場|裁判所|管理局)[^）)\n]{0,4}[）)]")


def is_public_place(folded: str, start: int, end: int | None = None) -> bool:
    """An address, postal code or number right after a public body's name in the same line or
    sentence, with nothing personal between them, or followed by the public building it is in
    ("岐阜市橋本町2丁目8番地（弁護士会館内）")."""
    if end is not None and _PUBLIC_AFTER.search(folded, end, min(len(folded), end + 40)):
        line_end = folded.find("\n", end, end + 40)
        public = _PUBLIC_AFTER.search(folded, end, min(len(folded), end + 40))
        if line_end == -1 or public.start() < line_end:
            return True
    line_start = max(folded.rfind("\n", 0, start), folded.rfind("。", 0, start), start - 80) + 1
    before = folded[line_start:start]
    body = max((before.rfind(name) + len(name) for name in PUBLIC_BODIES if name in before), default=-1)
    if body < 0 and folded[line_start - 1:line_start] == "\n" and not _PERSONAL_IN_BETWEEN.search(before):
        # A listing of bodies: the address or number on the lines under a heading that names the body
        # ("■ 外国人在留支援センター（FRESC）\n  東京都新宿区四谷1-6-1…").
        heading_start = folded.rfind("\n", max(0, line_start - 80), line_start - 1) + 1
        heading = folded[heading_start:line_start - 1]
        if heading.lstrip().startswith(("■", "□", "●", "○", "◆", "◇", "【", "・", "*", "-")) and any(
                name in heading for name in PUBLIC_BODIES):
            return True
    if body < 0:
        return False
    between = before[body:]
    # Another cell of a table row or another field belongs to someone else.
    return not (_PERSONAL_IN_BETWEEN.search(between) or "│" in between or "\t" in between or "|" in between)
