"""The anonymised version the bot proposes for a flagged text: a pure function of the text and the
checker's findings.

Each entity gets one placeholder for the whole text: the first person is A氏, the next B氏 (a later
"山田さん" after "山田太郎" is the same person); places become X市, Y町; schools and other facilities
keep their type behind a mark (〇〇病院, △△小学校); a birth date becomes the age band it gives
(40代); numbers, e-mail addresses and ids are masked. Letters and marks the text already uses as
pseudonyms are skipped, so a new placeholder never merges with an existing one. A name found inside
a school's or facility's name gives that name its facility placeholder (〇〇中学校), never a
placeholder inside the word. What is inserted is in the document's language, not the reader's.

Only confident findings are replaced; 要確認 findings (a weaker signal) are listed in ``to_check``
with the placeholder they would get, and replaced only when the person asks (``include_checks``).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from datetime import date

from bot.core import anonymisation, wordml
from bot.core import documents
from bot.core.anonymisation import Finding

_PERSON_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVW"
_PLACE_LETTERS = "XYZWVUTS"
_FACILITY_MARKS = ("〇〇", "△△", "□□", "◇◇", "▽▽", "☆☆")
_HONORIFICS = ("さん", "氏", "様", "さま", "くん", "君", "ちゃん")
_PLACE_UNITS = ("市", "区", "町", "村", "郡")
# The longest suffix wins: 特別養護老人ホーム before ホーム, 小学校 before 学校.
_FACILITY_TYPES = sorted("""
    小学校 中学校 高等学校 高校 義務教育学校 特別支援学校 学校 大学 専門学校 日本語学校 保育園 保育所 幼稚園 こども園
    病院 医院 クリニック 診療所 歯科 薬局 特別養護老人ホーム 老人ホーム 介護施設 グループホーム デイサービス ホーム
    シェルター 施設 寮 会社 株式会社 有限会社 合同会社 工場 工業 製作所 商店 店 食堂 レストラン 農園 農場 組合 協会
    事務所 教会 モスク 寺院 センター
""".split(), key=len, reverse=True)
_ERA_START = {"明治": 1867, "大正": 1911, "昭和": 1925, "平成": 1988, "令和": 2018,
              "M": 1867, "T": 1911, "S": 1925, "H": 1988, "R": 2018}
_BIRTH_SUFFIX = re.compile(r"^ ?(?:に|の)?(?:生まれ|出生|誕生|生(?=[)）\s、。,]|$))")
_CLASS_SUFFIX = re.compile(r"[0-9０-９一二三四五六]+年[0-9０-９一二三四五六A-Za-zＡ-Ｚ]*組?$")
_MASKED = re.compile(r"[0-9A-Za-z０-９Ａ-Ｚａ-ｚ]")
# Names are matched to one another (a surname after the full name) by their first and last this
# many characters; no one's name is longer.
_NAME_INDEXED = 40


@dataclass(frozen=True)
class Replacement:
    kind: str
    original: str  # the replaced text as the finding quotes it (a My Number stays masked)
    placeholder: str
    line: int
    column: int
    part: str = "body"  # where in the file the original was (bot.core.documents.PARTS)


@dataclass(frozen=True)
class Proposal:
    text: str
    replacements: tuple[Replacement, ...]
    # 要確認 spans (a weaker signal), left as they are: each with the placeholder it would get, for a
    # person to decide. With include_checks they are replaced like the others and this is empty.
    to_check: tuple[Replacement, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.replacements)


def _offsets(text: str) -> list[int]:
    return [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]


class _Placeholders:
    """Hands out placeholders, one per entity, skipping those the text already uses."""

    def __init__(self, text: str, today: date, lang: str) -> None:
        self.text, self.today, self.lang = text, today, lang
        self.people: dict[str, str] = {}
        self.order: dict[str, int] = {}  # each name met, by when it was first met
        self.names_in_order: list[str] = []
        self.first_with_prefix: dict[str, int] = {}  # the first name met beginning with …
        self.first_with_suffix: dict[str, int] = {}  # … and ending with each string
        self.places: dict[str, str] = {}
        self.facilities: dict[str, str] = {}
        self.person_letters = iter([letter for letter in _PERSON_LETTERS
                                    if not re.search(letter + "(?:氏|さん|様|くん|ちゃん)", text)])
        self.place_letters = iter([letter for letter in _PLACE_LETTERS
                                   if not re.search(letter + "[市区町村郡]", text)])
        self.facility_marks = iter([mark for mark in _FACILITY_MARKS if mark not in text])

    def person(self, name: str, honorific_follows: bool) -> str:
        key = re.sub(r"[\s・＝=･]", "", name)
        letter = self.people.get(key)
        if letter is None:
            # A surname or a given name alone, after the full name, is the same person: the first
            # name met that begins or ends with this one, or that this one begins with.
            letter = self._same_person(key)
        if letter is None:
            letter = next(self.person_letters, "")
        if key not in self.people:
            self._remember(key, len(self.people))
        self.people[key] = letter
        if honorific_follows:
            return letter or "〇〇"
        if self.lang == "en":
            return f"Person {letter}" if letter else "(name)"
        return f"{letter}氏" if letter else "〇〇氏"

    def _same_person(self, key: str) -> str | None:
        """By lookups in indexes of the names met so far, so a text naming many people costs the
        length of each name, not the number of names before it."""
        if len(key) < 2:
            return None
        firsts = [self.first_with_prefix.get(key), self.first_with_suffix.get(key)]
        firsts += [self.order.get(key[:length]) for length in range(min(len(key), _NAME_INDEXED) + 1)]
        first = min((found for found in firsts if found is not None), default=None)
        return None if first is None else self.people[self.names_in_order[first]]

    def _remember(self, key: str, position: int) -> None:
        self.order[key] = position
        self.names_in_order.append(key)
        for length in range(2, min(len(key), _NAME_INDEXED) + 1):
            self.first_with_prefix.setdefault(key[:length], position)
            self.first_with_suffix.setdefault(key[-length:], position)

    def place(self, address: str) -> str:
        """The prefecture is kept (it identifies no one); the rest becomes one letter and its unit."""
        prefecture = next((p for p in anonymisation.PREFECTURES if address.startswith(p)), "")
        rest = address[len(prefecture):]
        unit = next((ch for ch in rest if ch in _PLACE_UNITS), "市")
        key = address.strip()
        if key not in self.places:
            self.places[key] = next(self.place_letters, "〇")
        letter = self.places[key]
        if self.lang == "en" and not re.search("[一-龥]", address):
            return f"{letter} City"
        return f"{prefecture}{letter}{unit}"

    def facility(self, name: str) -> str:
        bare = _CLASS_SUFFIX.sub("", name).strip()
        kind = next((suffix for suffix in _FACILITY_TYPES if bare.endswith(suffix)), "")
        if not kind:
            kind = next((suffix for suffix in _FACILITY_TYPES if suffix in bare), "")
        if bare not in self.facilities:
            self.facilities[bare] = next(self.facility_marks, "〇〇")
        return self.facilities[bare] + kind

    def age_band(self, birth_date: str) -> str | None:
        year = _birth_year(birth_date)
        if year is None or not 1900 <= year <= self.today.year:
            return None
        age = self.today.year - year
        if age < 10:
            return "under 10" if self.lang == "en" else "10歳未満"
        decade = age // 10 * 10
        return f"in their {decade}s" if self.lang == "en" else f"{decade}代"


def _birth_year(found: str) -> int | None:
    folded = found.translate({code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)})
    era = re.search(r"(明治|大正|昭和|平成|令和|(?<![A-Za-z])[MTSHR])\.? ?([0-9]{1,2}|元)", folded)
    if era:
        number = 1 if era.group(2) == "元" else int(era.group(2))
        return _ERA_START[era.group(1)] + number
    western = re.search(r"(?:19|20)[0-9]{2}", folded)
    return int(western.group()) if western else None


def _mask(found: str) -> str:
    if "@" in found:
        return "***@***"
    return _MASKED.sub("*", found)


def document_language(text: str) -> str:
    """The language a document is written in, for the words a proposal inserts ("40代", not "in
    their 40s", in a Japanese text read by an English-speaking coordinator): Japanese when kana and
    kanji are at least a quarter as many as Latin letters."""
    # Counted by subn: findall would hold one string object per character (hundreds of MiB at 16 MB).
    japanese = _JAPANESE_CHARS.subn("", text)[1]
    latin = _LATIN_CHARS.subn("", text)[1]
    return "ja" if japanese and japanese * 4 >= latin else "en"


_JAPANESE_CHARS = re.compile(r"[ぁ-んァ-ヴ一-龥]")
_LATIN_CHARS = re.compile(r"[A-Za-z]")
_WORD_CHARS = re.compile(r"[一-龥々ァ-ヴーぁ-ん]")


def _facility_around(text: str, start: int, end: int) -> tuple[int, int] | None:
    """When a name or place was found inside a facility's or school's name ("市立桜中学校" with 桜 a
    name), the whole name: the placeholder must not land inside the word ("市立C氏学校")."""
    left = start
    while left > 0 and start - left < 12 and re.match(r"[一-龥々ァ-ヴー]", text[left - 1]):
        left -= 1
    right = end
    while right < len(text) and right - end < 12 and _WORD_CHARS.match(text[right]) and not re.match("[ぁ-ん]",
                                                                                                      text[right]):
        right += 1
    word = text[left:right]
    for size in range(len(word), end - left, -1):
        if word[:size].endswith(tuple(_FACILITY_TYPES)) and left + size > end:
            return left, left + size
    return None


def propose_anonymised(text: str, findings: list[Finding], today: date, lang: str = "ja",
                       shown: list[tuple[int, int]] | None = None, include_checks: bool = False) -> Proposal:
    """``text`` with every finding replaced by its placeholder (see the module's docstring).

    ``findings`` are the checker's findings for this very text; ``today`` turns birth dates into
    age bands. ``shown`` (offset ranges, default the whole text) is what the proposed text keeps:
    a file's comments, deletions and properties get placeholders (listed in the replacements) but
    are not part of the text. Pure: nothing is stored, logged or fetched."""
    starts = _offsets(text)
    # What the proposal inserts is in the document's language (that of the line it goes in, when the
    # line says; else the whole text's), whoever reads it.
    whole = document_language(text)
    placeholders = _Placeholders(text, today, whole)
    edits: list[tuple[int, int, str]] = []
    replacements: list[Replacement] = []
    to_check: list[Replacement] = []
    position = 0
    for finding in sorted(findings, key=lambda f: (f.line, f.column)):
        start = starts[finding.line - 1] + finding.column - 1
        end = start + len(finding.text)
        if start < position:
            continue
        kind, original = finding.kind, finding.text
        if kind in ("person_name", "address"):
            around = _facility_around(text, start, end)
            if around is not None:
                kind, start, end = "school" if "学校" in text[around[0]:around[1]] else "facility", *around
                original = text[start:end]
        line_end = text.find("\n", start)  # never a copy of the rest of the text: that was quadratic
        line_text = text[starts[finding.line - 1]:line_end if line_end != -1 else len(text)]
        placeholders.lang = document_language(line_text) if re.search("[A-Za-zぁ-んァ-ヴ一-龥]", line_text) else whole
        placeholder, replaced_to = _placeholder(placeholders, kind, text[start:end], text, end)
        replacement = Replacement(kind, original + text[end:replaced_to], placeholder, finding.line,
                                  finding.column, getattr(finding, "part", "body"))
        if getattr(finding, "tier", "confident") != "confident" and not include_checks:
            to_check.append(replacement)
            continue
        edits.append((start, replaced_to, placeholder))
        replacements.append(replacement)
        position = replaced_to
    return Proposal(_apply(text, edits, [(0, len(text))] if shown is None else shown), tuple(replacements),
                    tuple(to_check))


def _apply(text: str, edits: list[tuple[int, int, str]], shown: list[tuple[int, int]]) -> str:
    """The shown ranges of ``text`` with the edits (sorted, not overlapping) made; an edit belongs
    to the range its start is in."""
    pieces: list[str] = []
    index = 0
    for range_start, range_end in shown:
        position = range_start
        while index < len(edits) and edits[index][0] < range_start:
            index += 1
        while index < len(edits) and edits[index][0] < range_end:
            start, end, placeholder = edits[index]
            pieces += [text[position:start], placeholder]
            position = max(position, end)
            index += 1
        pieces.append(text[position:range_end] if position < range_end else "")
    return "".join(pieces)


def _placeholder(placeholders: _Placeholders, kind: str, original: str, text: str, end: int) -> tuple[str, int]:
    """The placeholder for one finding and where the replaced span ends (a birth date takes the
    "生まれ" after it along: "1985年3月生まれ" becomes "40代")."""
    if kind == "person_name":
        return placeholders.person(original, text[end:end + 3].startswith(_HONORIFICS)), end
    if kind == "address":
        return placeholders.place(original), end
    if kind in ("school", "facility"):
        return placeholders.facility(original), end
    if kind == "birth_date":
        band = placeholders.age_band(original)
        if band is None:
            return ("(date of birth)" if placeholders.lang == "en" else "（生年月日）"), end
        suffix = _BIRTH_SUFFIX.match(text[end:end + 6])
        return band, end + (suffix.end() if suffix else 0)
    return _mask(original), end


@dataclass(frozen=True)
class DocumentProposal:
    proposal: Proposal
    docx: bytes | None  # the accepted .docx (see replace_in_docx); None for text and PDF
    layout_lost: bool  # a PDF: only its text can be proposed


def propose_document(data: bytes, filename: str, text: str, findings: list[Finding], today: date,
                     lang: str = "ja", document: documents.ReadDocument | None = None,
                     include_checks: bool = False) -> DocumentProposal:
    """The proposal for an uploaded file whose text (every part, documents.read_document) is
    ``text``: a .docx comes back as its accepted version (replace_in_docx); a PDF gives text only.
    The proposed text is what a reader reads: comments, deletions, hidden text, properties and
    the values behind the text (alt text, links) are left out of it."""
    kind = documents.document_kind(data, filename)
    if document is None and kind != "text":
        try:
            document = documents.read_document(data, filename)
        except ValueError:
            document = None
    shown = document.proposed_ranges() if document is not None and document.text == text else None
    proposal = propose_anonymised(text, findings, today, lang, shown, include_checks)
    if kind == "docx":
        return DocumentProposal(proposal, replace_in_docx(data, proposal), layout_lost=False)
    return DocumentProposal(proposal, None, layout_lost=kind == "pdf")


def replace_in_docx(data: bytes, proposal: Proposal) -> bytes:
    """The accepted .docx: tracked changes accepted, comments, hidden text and properties gone
    (bot.core.wordml.accepted_docx), and every replaced original swapped for its placeholder in
    every paragraph of every part (body, headers, footers, notes, text boxes, content controls),
    in alt text, field codes, links and data-bound values. An original split over several runs
    goes into the first run; the runs after it lose the characters it covered."""
    swaps = _Swaps(proposal)
    return wordml.accepted_docx(data, swaps.in_runs, lambda value: "".join(swaps.in_runs([value])))


_MY_NUMBER_SHAPE = re.compile(r"[0-9０-９]{4}[ -－]?[0-9０-９]{4}[ -－]?[0-9０-９]{4}")


class _Swaps:
    """Every replaced original and its placeholder, found in a text in one pass: candidates are the
    positions where some original's first character stands, and at each the known lengths are
    tried longest first. The work is the text's length times the number of distinct lengths,
    however many originals there are (a search per original costs their number times the text)."""

    def __init__(self, proposal: Proposal) -> None:
        self.placeholders = {r.original: r.placeholder for r in proposal.replacements
                             if r.kind != "my_number" and r.original}
        self.lengths = sorted({len(original) for original in self.placeholders}, reverse=True)
        firsts = "".join(sorted({original[0] for original in self.placeholders}))
        self.candidates = re.compile("[" + re.escape(firsts) + "]") if firsts else None
        # A My Number is quoted masked in findings; its clear digits are found again by shape.
        self.mask_my_numbers = any(r.kind == "my_number" for r in proposal.replacements)

    def edits(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, placeholder), left to right and not overlapping."""
        found: list[tuple[int, int, str]] = []
        position = 0
        if self.candidates is not None:
            for match in self.candidates.finditer(text):
                start = match.start()
                if start < position:
                    continue
                for length in self.lengths:
                    placeholder = self.placeholders.get(text[start:start + length])
                    if placeholder is not None:
                        found.append((start, start + length, placeholder))
                        position = start + length
                        break
        if self.mask_my_numbers:
            taken = bytearray(len(text))
            for start, end, _ in found:
                taken[start:end] = b"\x01" * (end - start)
            for match in _MY_NUMBER_SHAPE.finditer(text):
                if anonymisation.is_my_number(match.group()) and taken.find(1, match.start(), match.end()) == -1:
                    found.append((match.start(), match.end(), _mask(match.group())))
            found.sort()
        return found

    def in_runs(self, texts: list[str]) -> list[str]:
        """One paragraph's run texts with the swaps made across run boundaries (as many texts, in order)."""
        texts = list(texts)
        edits = self.edits("".join(texts))
        if not edits:
            return texts
        bounds = []  # where each run starts in the joined text
        position = 0
        for piece in texts:
            bounds.append(position)
            position += len(piece)
        # Right to left, so the offsets of edits still to make stay valid.
        for start, end, placeholder in reversed(edits):
            first = bisect.bisect_right(bounds, start) - 1
            last = max(first, bisect.bisect_left(bounds, end) - 1)
            for i in range(last, first - 1, -1):
                run_start, run_end = bounds[i], bounds[i] + len(texts[i])
                cut_from, cut_to = max(start, run_start), min(end, run_end)
                if cut_from >= cut_to and i != first:
                    continue
                inserted = placeholder if i == first else ""
                texts[i] = texts[i][:cut_from - run_start] + inserted + texts[i][max(cut_to, cut_from) - run_start:]
        return texts


def propose_file(data: bytes, filename: str, today: date, lang: str = "ja",
                 include_checks: bool = False) -> DocumentProposal:
    """Read, check and propose in one call (run it off the event loop: it is CPU work). Raises
    what read_document and check_text raise for files they refuse."""
    document = documents.read_document(data, filename)
    findings = document.locate(anonymisation.check_text(document.text, lang=lang))
    return propose_document(data, filename, document.text, findings, today, lang, document=document,
                            include_checks=include_checks)


def check_proposed(proposed: DocumentProposal, filename: str, lang: str = "ja") -> list[Finding]:
    """What the checker still finds in what would be stored: every part of the accepted .docx, or
    the proposed text."""
    if proposed.docx is not None:
        return anonymisation.check_document(proposed.docx, filename, lang=lang)
    return anonymisation.check_text(proposed.proposal.text, lang=lang)


def propose_text(text: str, today: date, lang: str = "ja", include_checks: bool = False) -> Proposal:
    """Check a pasted text and propose its anonymised version (要確認 spans only with ``include_checks``)."""
    return propose_anonymised(text, anonymisation.check_text(text, lang=lang), today, lang,
                              include_checks=include_checks)
