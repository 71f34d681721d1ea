"""Text extraction from the files people attach as case material. Fixtures are made here."""

from __future__ import annotations

import builtins
import io
import os
import socket
import tempfile
import zipfile

import pytest

from bot.core import documents
from bot.core.anonymisation import check_document
from bot.core.documents import (DocumentTooLarge, FileTooLarge, NotRegularFile, UnreadableDocument,
                                UnsupportedDocument, document_kind, extract_text, read_regular_file)
from bot.surveys.chart import japanese_font


def ascii_pdf(lines: list[str]) -> bytes:
    """A minimal, valid one-page PDF showing ``lines`` in Helvetica, built by hand."""
    text_ops = ["BT", "/F1 12 Tf", "14 TL", "72 720 Td"]
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        text_ops.append(f"({escaped}) Tj T*")
    text_ops.append("ET")
    stream = "\n".join(text_ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def japanese_pdf(lines: list[str]) -> bytes:
    """A PDF with Japanese text, drawn by matplotlib in the IPAexGothic font matplotlib-fontja ships."""
    import matplotlib as mpl
    from matplotlib.backends.backend_pdf import FigureCanvasPdf
    from matplotlib.figure import Figure

    with mpl.rc_context({"pdf.fonttype": 42}):
        figure = Figure(figsize=(8, 1 + len(lines) * 0.5))
        for index, line in enumerate(lines):
            figure.text(0.05, 0.9 - index * 0.8 / len(lines), line, fontproperties=japanese_font())
        buffer = io.BytesIO()
        FigureCanvasPdf(figure).print_pdf(buffer)
    return buffer.getvalue()


def docx_bytes() -> bytes:
    import docx

    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "事例5 資料（取扱注意）"
    document.add_paragraph("相談者：王麗さん（30代）")
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).text = "電話"
    table.cell(0, 1).merge(table.cell(0, 2)).text = "03-1234-5678"
    table.cell(1, 0).text = "メール"
    table.cell(1, 1).text = "wangli@example.cn"
    inner = table.cell(1, 2).add_table(rows=1, cols=1)
    inner.cell(0, 0).text = "在留カード AB12345678CD"
    document.add_paragraph("以上")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- text ----------------------------------------------------------------------------------------

SAMPLE = "相談者：グエンさん\n電話 090-1234-5678\n"


@pytest.mark.parametrize("encoded", [
    SAMPLE.encode("utf-8"), b"\xef\xbb\xbf" + SAMPLE.encode("utf-8"), SAMPLE.encode("cp932"),
    SAMPLE.encode("shift_jis"), SAMPLE.encode("utf-16"),
], ids=["utf8", "utf8-bom", "cp932", "shift_jis", "utf16-bom"])
def test_text_in_the_usual_encodings(encoded):
    assert extract_text(encoded, "case.txt") == SAMPLE


def test_cp932_only_characters_survive():
    # ① and ㈱ exist in cp932 (Windows) but not in plain Shift_JIS.
    assert extract_text("①㈱テスト".encode("cp932"), "memo.txt") == "①㈱テスト"


def test_windows_line_endings_become_newlines():
    assert extract_text("一行目\r\n二行目\r三行目".encode("utf-8"), "a.txt") == "一行目\n二行目\n三行目"


@pytest.mark.parametrize("data", [b"\x80\x81\xff\xfe\xfd broken", b"text\x00with\x00nul"])
def test_undecodable_text_is_unreadable(data):
    with pytest.raises(UnreadableDocument):
        extract_text(data, "a.txt")


# --- types ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("filename, mimetype, kind", [
    ("sheet.xlsx", None, "xlsx"), ("old.doc", None, "doc"), ("picture.png", "image/png", "png"),
    ("noextension", "application/zip", "application/zip"), ("noextension", None, "unknown"),
])
def test_unsupported_types_say_what_they_are(filename, mimetype, kind):
    with pytest.raises(UnsupportedDocument) as raised:
        extract_text(b"whatever", filename, mimetype)
    assert raised.value.kind == kind
    assert isinstance(raised.value, ValueError)


def test_type_from_extension_then_mimetype_then_content():
    pdf = ascii_pdf(["hello"])
    assert document_kind(pdf, "a.PDF") == "pdf"
    assert document_kind(pdf, "upload", "application/pdf") == "pdf"
    assert document_kind(b"plain", "upload", "text/plain; charset=utf-8") == "text"
    assert document_kind(pdf, "") == "pdf"
    assert document_kind(docx_bytes(), "") == "docx"


# --- PDF -----------------------------------------------------------------------------------------

def test_hand_built_ascii_pdf():
    text = extract_text(ascii_pdf(["Client: Mr. Tanaka", "Phone 03-1234-5678"]), "case.pdf")
    assert "Client: Mr. Tanaka" in text and "Phone 03-1234-5678" in text


@pytest.mark.filterwarnings("ignore:distutils Version classes:DeprecationWarning")
def test_japanese_pdf_is_extracted_and_checked():
    lines = ["相談者：山田太郎さん", "電話 090-1234-5678", "メール taro@example.jp"]
    data = japanese_pdf(lines)
    text = extract_text(data, "事例.pdf")
    for line in lines:
        assert line in text
    found = {(f.kind, f.text) for f in check_document(data, "事例.pdf")}
    assert found == {("person_name", "山田太郎"), ("phone", "090-1234-5678"), ("email", "taro@example.jp")}


@pytest.mark.parametrize("data", [b"%PDF-1.4\nnot really a pdf", b"", ascii_pdf(["x"])[:200]])
def test_corrupt_pdf_is_unreadable(data):
    with pytest.raises(UnreadableDocument):
        extract_text(data, "broken.pdf")


def test_password_protected_pdf_is_unreadable():
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(ascii_pdf(["secret"]))))
    writer.encrypt(user_password="pw", owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(UnreadableDocument):
        extract_text(buffer.getvalue(), "locked.pdf")


# --- Word ----------------------------------------------------------------------------------------

def test_docx_paragraphs_tables_nested_tables_and_header():
    lines = extract_text(docx_bytes(), "case.docx").split("\n")
    assert lines[0] == "事例5 資料（取扱注意）"
    assert "相談者：王麗さん（30代）" in lines
    assert lines.count("03-1234-5678") == 1  # a merged cell is read once
    assert "wangli@example.cn" in lines and "在留カード AB12345678CD" in lines
    # The body ends the reading text; the properties python-docx writes follow it.
    assert lines[lines.index("以上") + 1:] == ["python-docx", "generated by python-docx", "Normal.dotm"]


def test_docx_findings():
    found = [(f.kind, f.text) for f in check_document(docx_bytes(), "case.docx")]
    assert found == [("person_name", "王麗"), ("phone", "03-1234-5678"), ("email", "wangli@example.cn"),
                     ("residence_card", "AB12345678CD")]


@pytest.mark.parametrize("data", [b"PK\x03\x04garbage", b"not a zip", b""])
def test_corrupt_docx_is_unreadable(data):
    with pytest.raises(UnreadableDocument):
        extract_text(data, "broken.docx")


def docx_with_member(name: str, size: int) -> bytes:
    """A real .docx with one more member of `size` zero bytes, which deflate shrinks a thousandfold."""
    buffer = io.BytesIO(docx_bytes())
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive, archive.open(name, "w") as member:
        chunk = bytes(1024 * 1024)
        for _ in range(size // len(chunk)):
            member.write(chunk)
    return buffer.getvalue()


@pytest.mark.parametrize("name, size", [("word/media/bomb.bin", 80 * 1024 * 1024),
                                        ("word/bomb.xml", 20 * 1024 * 1024)])
def test_a_docx_zip_bomb_is_refused_from_its_directory_without_being_parsed(name, size, monkeypatch):
    import docx

    bomb = docx_with_member(name, size)
    assert len(bomb) < size // 100

    def parse(*args, **kwargs):
        raise AssertionError("a zip bomb must be refused before it is parsed")

    monkeypatch.setattr(docx, "Document", parse)
    with pytest.raises(DocumentTooLarge) as refused:
        extract_text(bomb, "bomb.docx")
    assert refused.value.limit == "uncompressed size"


def test_a_docx_with_too_many_members_is_refused(monkeypatch):
    monkeypatch.setattr(documents, "MAX_DOCX_MEMBERS", 5)
    with pytest.raises(DocumentTooLarge):
        extract_text(docx_bytes(), "many.docx")


def test_pdf_extraction_is_bounded_in_pages_and_characters(monkeypatch):
    pdf = ascii_pdf(["Phone 03-1234-5678"] * 3)
    monkeypatch.setattr(documents, "MAX_PDF_PAGES", 0)
    with pytest.raises(DocumentTooLarge) as refused:
        extract_text(pdf, "long.pdf")
    assert refused.value.limit == "pages"
    monkeypatch.setattr(documents, "MAX_PDF_PAGES", 10)
    monkeypatch.setattr(documents, "MAX_TEXT_CHARS", 20)
    with pytest.raises(DocumentTooLarge) as refused:
        extract_text(pdf, "long.pdf")
    assert refused.value.limit == "characters"


def test_a_corrupt_pdf_says_nothing_on_its_own(capsys):
    with pytest.raises(UnreadableDocument):
        extract_text(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\nstartxref\n999\n%%EOF\n", "broken.pdf")
    assert capsys.readouterr() == ("", "")


# --- reading local files (the CLI) ------------------------------------------------------------------

def test_only_regular_files_within_the_limit_are_read(tmp_path):
    small = tmp_path / "case.txt"
    small.write_bytes(b"x" * 100)
    assert read_regular_file(small, 100) == b"x" * 100
    with pytest.raises(FileTooLarge):
        read_regular_file(small, 99)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for path in ("/dev/zero", fifo, tmp_path):  # never read: a device, a pipe with no writer, a directory
        with pytest.raises(NotRegularFile):
            read_regular_file(path, 100)
    with pytest.raises(FileNotFoundError):
        read_regular_file(tmp_path / "missing.txt", 100)


# --- no files, no network ------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore:distutils Version classes:DeprecationWarning")
def test_extraction_touches_no_files_and_no_network(monkeypatch):
    fixtures = [(ascii_pdf(["Phone 03-1234-5678"]), "a.pdf"), (japanese_pdf(["電話 03-1234-5678"]), "b.pdf"),
                (docx_bytes(), "c.docx"), ("電話 03-1234-5678".encode("cp932"), "d.txt")]
    for data, name in fixtures:  # first run: lets the libraries finish their lazy imports
        extract_text(data, name)

    def refuse(*args, **kwargs):
        raise AssertionError("document extraction must stay in memory")

    monkeypatch.setattr(builtins, "open", refuse)
    monkeypatch.setattr(io, "open", refuse)
    monkeypatch.setattr(os, "open", refuse)
    for name in ("NamedTemporaryFile", "TemporaryFile", "SpooledTemporaryFile", "mkstemp", "mkdtemp"):
        monkeypatch.setattr(tempfile, name, refuse)
    monkeypatch.setattr(socket, "socket", refuse)
    for data, name in fixtures:
        assert "03-1234-5678" in extract_text(data, name)
