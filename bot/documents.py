"""Plain text out of the files people attach as case material: PDF, Word (.docx) and text.

Everything happens in memory: material may hold personal data, so nothing is written to disk
and nothing is fetched from the network.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePath

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_MIMETYPE = "application/pdf"

TEXT_EXTENSIONS = frozenset({".txt", ".text", ".md", ".csv", ".tsv"})


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
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableDocument("pdf", "the file is password-protected")
        return "\n".join((page.extract_text() or "") for page in reader.pages)
    except UnreadableDocument:
        raise
    except broken as err:
        raise UnreadableDocument("pdf", type(err).__name__) from None


def _docx_text(data: bytes) -> str:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

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
