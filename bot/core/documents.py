"""Plain text out of the files people attach as case material: PDF, Word (.docx) and text, with
the part of the file each piece of text comes from.

Everything a reader or a recipient can reach is read: a .docx's body, headers, footers, footnotes,
endnotes, text boxes, content controls, comments, tracked changes, alt text and properties
(bot.core.wordml); a PDF's pages, metadata (the document information and XMP), annotations and
form fields. Each finding is then placed in its part (ReadDocument.locate).

Everything happens in memory: material may hold personal data, so nothing is written to disk
and nothing is fetched from the network. Extraction is bounded: a .docx is refused from its zip
directory when it would expand beyond MAX_DOCX_BYTES (a zip bomb is never inflated), a PDF beyond
MAX_PDF_PAGES pages or MAX_TEXT_CHARS characters (DocumentTooLarge), so neither the extraction
nor the personal-data check that follows can take unbounded memory or time.
"""

from __future__ import annotations

import bisect
import dataclasses
import io
import logging
import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Iterable, TypeVar
from bot.core import wordml

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_MIMETYPE = "application/pdf"

TEXT_EXTENSIONS = frozenset({".txt", ".text", ".md", ".csv", ".tsv"})

# The largest file taken as case material, from Slack or from the command line.
MAX_FILE_BYTES = 20 * 1024 * 1024
# Text extracted from a PDF stops here; the personal-data check refuses longer text anyway
# (bot.core.anonymisation.MAX_CHECK_CHARS, the same figure).
MAX_TEXT_CHARS = 8_000_000
MAX_PDF_PAGES = 2_000
# What a .docx may expand to, from the sizes its zip directory declares (zipfile never inflates a
# member beyond its declared size). The XML is what python-docx parses into a tree, so it is
# bounded tighter than the whole package, whose pictures are only held as bytes.
MAX_DOCX_BYTES = 64 * 1024 * 1024
MAX_DOCX_XML_BYTES = 16 * 1024 * 1024
MAX_DOCX_MEMBERS = 5_000


# Where a piece of text sits in its file; each has a label in the catalogs (anonymisation.part.*).
PARTS = ("body", "header", "header_first", "header_even", "footer", "footer_first", "footer_even", "footnote",
         "endnote", "text_box", "content_control", "tracked_insertion", "tracked_deletion", "hidden_text",
         "comment", "revision_author", "alt_text", "field_code", "link", "custom_xml", "properties",
         "pdf_metadata", "annotation", "form_field")
# What the accepted version of a file leaves out (tracked changes are accepted, the rest dropped).
DROPPED_ON_ACCEPT = frozenset({"tracked_deletion", "hidden_text", "comment", "revision_author", "properties",
                               "pdf_metadata"})
# What the proposed text shows: the text a reader reads, not the values behind it.
NOT_IN_PROPOSED_TEXT = DROPPED_ON_ACCEPT | {"alt_text", "field_code", "link", "custom_xml"}

_Located = TypeVar("_Located")


@dataclass(frozen=True)
class ReadDocument:
    """A file's whole text and where each piece of it comes from: ``spans`` are (start offset,
    part) in order, each running to the next start."""

    kind: str
    text: str
    spans: tuple[tuple[int, str], ...]

    def part_at(self, offset: int) -> str:
        return self._part_at([start for start, _ in self.spans], offset)

    def _part_at(self, span_starts: list[int], offset: int) -> str:
        index = bisect.bisect_right(span_starts, offset) - 1
        return self.spans[index][1] if index >= 0 else "body"

    def locate(self, findings: Iterable[_Located]) -> list[_Located]:
        """The findings (anything with ``line``, ``column`` and ``part``) with their part set."""
        line_starts = [0] + [i + 1 for i, ch in enumerate(self.text) if ch == "\n"]
        span_starts = [start for start, _ in self.spans]
        return [dataclasses.replace(f, part=self._part_at(span_starts, line_starts[f.line - 1] + f.column - 1))
                for f in findings]

    def ranges(self, parts: frozenset[str] | set[str]) -> list[tuple[int, int]]:
        """The (start, end) offsets of text in none of ``parts``, merged."""
        kept: list[tuple[int, int]] = []
        bounds = [start for start, _ in self.spans] + [len(self.text)]
        for (start, part), end in zip(self.spans, bounds[1:]):
            if part in parts or start == end:
                continue
            if kept and kept[-1][1] == start:
                kept[-1] = (kept[-1][0], end)
            else:
                kept.append((start, end))
        return kept

    def proposed_ranges(self) -> list[tuple[int, int]]:
        return self.ranges(NOT_IN_PROPOSED_TEXT)


def _from_lines(kind: str, lines: list[tuple[list[tuple[str, str]], str]]) -> ReadDocument:
    """Lines of (text, part) pieces joined by newlines; a line break belongs to the line it opens."""
    pieces: list[str] = []
    spans: list[tuple[int, str]] = []
    length = 0

    def add(text: str, part: str) -> None:
        nonlocal length
        if not text:
            return
        if not spans or spans[-1][1] != part:
            spans.append((length, part))
        pieces.append(text)
        length += len(text)

    for number, (line, line_part) in enumerate(lines):
        if number:
            add("\n", line_part)
        for text, part in line:
            add(text.replace("\r\n", "\n").replace("\r", "\n"), part)
        if length > MAX_TEXT_CHARS:
            raise DocumentTooLarge(kind, "characters")
    return ReadDocument(kind, "".join(pieces), tuple(spans) or ((0, "body"),))


class UnsupportedDocument(ValueError):
    """A file type the checker cannot read; ``kind`` names it (extension or MIME type)."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"unsupported document type: {kind}")
        self.kind = kind


class UnreadableDocument(ValueError):
    """A file of a supported type whose contents are corrupt, encrypted or not what they claim."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(f"cannot read {kind} document: {reason}")
        self.kind = kind


class DocumentTooLarge(UnreadableDocument):
    """A readable document beyond one of the bounds above; ``limit`` names which one."""

    def __init__(self, kind: str, limit: str) -> None:
        super().__init__(kind, f"beyond the {limit} bound")
        self.limit = limit


class NotRegularFile(ValueError):
    """A path that names a directory, a device or a pipe rather than a file."""


class FileTooLarge(ValueError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {limit} bytes")
        self.limit = limit


def read_regular_file(path: str | Path, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; OSError when it cannot be opened.

    A device, a pipe or a directory is refused before anything is read (NotRegularFile), and so is
    a file over the limit (FileTooLarge), so `/dev/zero` cannot fill the memory."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not block the open
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(str(path))
        if info.st_size > limit:
            raise FileTooLarge(limit)
        chunks, size = [], 0
        while size <= limit and (chunk := os.read(fd, min(1024 * 1024, limit + 1 - size))):
            chunks.append(chunk)
            size += len(chunk)
        data = b"".join(chunks)
    finally:
        os.close(fd)
    if len(data) > limit:  # it grew after the size was read
        raise FileTooLarge(limit)
    return data


def extract_text(data: bytes, filename: str, mimetype: str | None = None) -> str:
    """The document's whole text (every part, see read_document), lines separated by "\\n";
    raises UnsupportedDocument/UnreadableDocument."""
    return read_document(data, filename, mimetype).text


def read_document(data: bytes, filename: str, mimetype: str | None = None) -> ReadDocument:
    """Every text of the file with the part it sits in; raises UnsupportedDocument/UnreadableDocument.

    One newline convention, so that the line numbers in findings match what editors show."""
    kind = document_kind(data, filename, mimetype)
    if kind == "pdf":
        return _from_lines("pdf", _pdf_lines(data))
    if kind == "docx":
        return _from_lines("docx", _docx_lines(data))
    text = _decode_text(data).replace("\r\n", "\n").replace("\r", "\n")
    return ReadDocument("text", text, ((0, "body"),))


def document_kind(data: bytes, filename: str, mimetype: str | None = None) -> str:
    """'pdf', 'docx' or 'text': by extension first, then MIME type, then the file's magic bytes."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix == ".pdf":
        return "pdf"
    if suffix == ".docx":
        return "docx"
    if suffix in TEXT_EXTENSIONS:
        return "text"
    mime = (mimetype or "").split(";", 1)[0].strip().lower()
    if mime == PDF_MIMETYPE:
        return "pdf"
    if mime == DOCX_MIMETYPE:
        return "docx"
    if mime.startswith("text/"):
        return "text"
    if not suffix and not mime:
        # Files dropped without a name or type (e.g. from some chat clients): trust the content.
        if data.startswith(b"%PDF-"):
            return "pdf"
        if data.startswith(b"PK\x03\x04") and _zip_has(data, "word/document.xml"):
            return "docx"
    raise UnsupportedDocument(suffix.lstrip(".") or mime or "unknown")


def _zip_has(data: bytes, member: str) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return member in archive.namelist()
    except zipfile.BadZipFile:
        return False


def _decode_text(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings: tuple[str, ...] = ("utf-16",)
    elif b"\x00" in data:
        raise UnreadableDocument("text", "binary content")
    else:
        # Files saved on Japanese Windows are usually cp932 (Shift_JIS with vendor extensions).
        encodings = ("utf-8-sig", "cp932")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableDocument("text", "not valid UTF-8, UTF-16 or Shift_JIS")


_PDF_METADATA_SKIPPED = ("/CreationDate", "/ModDate", "/Trapped")
_XMP_NAMESPACES = ("http://purl.org/dc/elements/1.1/", "http://ns.adobe.com/pdf/1.3/",
                   "http://ns.adobe.com/xap/1.0/", "http://ns.adobe.com/photoshop/1.0/")


def _pdf_lines(data: bytes) -> list:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError


    # pypdf reports damaged files through its own errors and, for broken object structures,
    # through the ordinary built-in ones (an assertion too, where it narrows a type); all of them
    # mean "this PDF cannot be read" (tests/bot/test_document_parts.py mutates PDFs to find them).
    broken = (PyPdfError, ValueError, KeyError, IndexError, TypeError, AttributeError, RecursionError,
              NotImplementedError, AssertionError, ArithmeticError, EOFError, zipfile.BadZipFile)
    # pypdf narrates damaged structures on its logger; the caller reports the outcome once.
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableDocument("pdf", "the file is password-protected")
        if len(reader.pages) > MAX_PDF_PAGES:
            raise DocumentTooLarge("pdf", "pages")
        lines: list = []
        extras: list = []
        length = 0
        for page in reader.pages:
            text = page.extract_text() or ""
            lines.append(([(text, "body")], "body"))
            length += len(text) + 1
            if length > MAX_TEXT_CHARS:
                raise DocumentTooLarge("pdf", "characters")
            extras += _pdf_annotations(page)
        for key, value in (reader.metadata or {}).items():
            if key not in _PDF_METADATA_SKIPPED:
                extras += [([(text, "pdf_metadata")], "pdf_metadata") for text in _pdf_strings(value)]
        metadata = reader.trailer["/Root"].get_object().get("/Metadata")
        if metadata is not None:
            xmp = wordml.parse_xml(metadata.get_object().get_data())
            extras += [([(text, "pdf_metadata")], "pdf_metadata") for text in _xmp_values(xmp)]
        for field in (reader.get_fields() or {}).values():
            for key in ("/V", "/TU"):
                extras += [([(text, "form_field")], "form_field") for text in _pdf_strings(field.get(key))]
        return lines + extras
    except UnreadableDocument:
        raise
    except wordml.Malformed:
        raise UnreadableDocument("pdf", "malformed XMP metadata") from None
    except broken as err:
        raise UnreadableDocument("pdf", type(err).__name__) from None


def _xmp_values(root) -> list[str]:
    """The values of the XMP properties people write (Dublin Core, PDF, XMP basic, Photoshop):
    element text under such a property (rdf:li items included) and properties given as attributes."""
    prefixes = tuple(f"{{{ns}}}" for ns in _XMP_NAMESPACES)

    def wanted(name: str) -> bool:  # dates (CreateDate, ModifyDate…) say nothing about anyone
        return name.startswith(prefixes) and not name.endswith("Date")

    values = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        values += [value for name, value in element.attrib.items() if wanted(name) and value.strip()]
        if (element.text or "").strip() and any(isinstance(node.tag, str) and wanted(node.tag) for node in
                                                (element, *element.iterancestors())):
            values.append(element.text)
    return values


def _pdf_annotations(page) -> list:
    """Notes, free text and their authors (/T), and link targets; form widgets are read as fields."""
    found = []
    annotations = page.get("/Annots")
    for reference in (annotations.get_object() if annotations is not None else None) or []:
        annotation = reference.get_object()
        if not hasattr(annotation, "get") or annotation.get("/Subtype") == "/Widget":
            continue
        values = [annotation.get(key) for key in ("/Contents", "/T", "/Subj")]
        action = annotation.get("/A")
        if action is not None and hasattr(action.get_object(), "get"):
            values.append(action.get_object().get("/URI"))
        for value in values:
            found += [([(text, "annotation")], "annotation") for text in _pdf_strings(value)]
    return found


def _pdf_strings(value) -> list[str]:
    """The text strings in a PDF value (a string, or an array of them); names and numbers are not text."""
    from pypdf.generic import ArrayObject, ByteStringObject, TextStringObject

    if value is None:
        return []
    value = value.get_object() if hasattr(value, "get_object") else value
    if isinstance(value, ArrayObject):
        return [text for item in value for text in _pdf_strings(item)]
    if isinstance(value, ByteStringObject):
        value = value.decode("latin-1")
    return [str(value)] if isinstance(value, (TextStringObject, str)) and str(value).strip() else []


def _docx_lines(data: bytes) -> list:
    _check_docx_sizes(data)
    try:
        return wordml.read_lines(data)
    except wordml.Malformed as err:
        raise UnreadableDocument("docx", str(err)) from None


def _check_docx_sizes(data: bytes) -> None:
    """Refuse a package that would expand beyond the bounds, reading only its zip directory."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as err:
        raise UnreadableDocument("docx", type(err).__name__) from None
    if len(members) > MAX_DOCX_MEMBERS:
        raise DocumentTooLarge("docx", "zip entries")
    if sum(member.file_size for member in members) > MAX_DOCX_BYTES:
        raise DocumentTooLarge("docx", "uncompressed size")
    if sum(member.file_size for member in members if member.filename.endswith((".xml", ".rels", ".vml"))) > MAX_DOCX_XML_BYTES:
        raise DocumentTooLarge("docx", "uncompressed size")
