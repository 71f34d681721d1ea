"""Plain text out of the files people attach as case material: PDF, Word (.docx) and text.

Everything happens in memory: material may hold personal data, so nothing is written to disk
and nothing is fetched from the network. Extraction is bounded: a .docx is refused from its zip
directory when it would expand beyond MAX_DOCX_BYTES (a zip bomb is never inflated), a PDF beyond
MAX_PDF_PAGES pages or MAX_TEXT_CHARS characters (DocumentTooLarge), so neither the extraction
nor the personal-data check that follows can take unbounded memory or time.
"""

from __future__ import annotations

import io
import logging
import os
import stat
import zipfile
from pathlib import Path, PurePath

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
    """The document's text, lines separated by "\\n"; raises UnsupportedDocument/UnreadableDocument."""
    kind = document_kind(data, filename, mimetype)
    if kind == "pdf":
        text = _pdf_text(data)
    elif kind == "docx":
        text = _docx_text(data)
    else:
        text = _decode_text(data)
    # One newline convention, so that the line numbers in findings match what editors show.
    return text.replace("\r\n", "\n").replace("\r", "\n")


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


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    # pypdf reports damaged files through its own errors and, for broken object structures,
    # through the ordinary built-in ones; all of them mean "this PDF cannot be read".
    broken = (PyPdfError, ValueError, KeyError, IndexError, TypeError, AttributeError, zipfile.BadZipFile)
    # pypdf narrates damaged structures on its logger; the caller reports the outcome once.
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableDocument("pdf", "the file is password-protected")
        if len(reader.pages) > MAX_PDF_PAGES:
            raise DocumentTooLarge("pdf", "pages")
        pages: list[str] = []
        length = 0
        for page in reader.pages:
            pages.append(page.extract_text() or "")
            length += len(pages[-1]) + 1
            if length > MAX_TEXT_CHARS:
                raise DocumentTooLarge("pdf", "characters")
        return "\n".join(pages)
    except UnreadableDocument:
        raise
    except broken as err:
        raise UnreadableDocument("pdf", type(err).__name__) from None


def _docx_text(data: bytes) -> str:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    _check_docx_sizes(data)
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as err:
        raise UnreadableDocument("docx", type(err).__name__) from None
    lines: list[str] = []
    for section in document.sections:
        for part in (section.header, section.footer):
            if not part.is_linked_to_previous:
                lines.extend(_block_lines(part))
    lines.extend(_block_lines(document))
    return "\n".join(lines)


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
    if sum(member.file_size for member in members if member.filename.endswith((".xml", ".rels"))) > MAX_DOCX_XML_BYTES:
        raise DocumentTooLarge("docx", "uncompressed size")


def _block_lines(container) -> list[str]:
    """Paragraphs and table cells in document order, nested tables included."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    lines: list[str] = []
    for block in container.iter_inner_content():
        if isinstance(block, Paragraph):
            lines.append(block.text)
        elif isinstance(block, Table):
            lines.extend(_table_lines(block))
    return lines


def _table_lines(table) -> list[str]:
    lines: list[str] = []
    # A merged cell is returned once per grid column it spans; read it once. The elements are
    # kept as values so that their ids cannot be reused while the table is read.
    seen: dict[int, object] = {}
    for row in table.rows:
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen[id(cell._tc)] = cell._tc
            lines.extend(_block_lines(cell))
    return lines
