"""Documents, whole: every part of a .docx or a PDF that a reader or a recipient can reach is
checked and each finding says where it is; the accepted .docx keeps none of the personal data in
any part; hostile XML is refused as unreadable."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest

from bot.core.anonymisation import check_document, findings_as_json, format_finding
from bot.core.anonymisation_cli import main_check_anonymisation
from bot.core.documents import PARTS, UnreadableDocument, read_document
from bot.core.pseudonymisation import check_proposed, propose_file
from tests.bot.docx_parts import BILLION_LAUGHS, PLANTED, W_NS, hidden_parts_docx, hostile_docx
from tests.bot.test_documents import ascii_pdf

TODAY = date(2026, 12, 1)


def test_every_part_of_a_docx_is_read_and_each_finding_says_where_it_is():
    found = {(f.text, f.part) for f in check_document(hidden_parts_docx(), "case.docx")}
    expected = {(text, part) for _, text, part in PLANTED.values()}
    assert expected <= found, f"not reported: {sorted(expected - found)}"
    assert {part for _, part in found} <= set(PARTS)


def test_findings_outside_the_body_name_their_part_in_the_cli(tmp_path):
    source = tmp_path / "case.docx"
    source.write_bytes(hidden_parts_docx())
    out = io.StringIO()
    assert main_check_anonymisation(str(source), out=out, err=io.StringIO()) == 1
    lines = out.getvalue().splitlines()
    assert "ヘッダー（1ページ目）: 在留カード番号「AB12345678CD」" in "\n".join(lines)
    assert any(line.startswith("文書のプロパティ: 氏名「高橋健太」") for line in lines)
    assert any(line.startswith("7行目: 氏名「山田太郎」") for line in lines)  # the body keeps its line numbers
    out = io.StringIO()
    main_check_anonymisation(str(source), fmt="json", out=out, err=io.StringIO())
    import json
    payload = json.loads(out.getvalue())
    assert {"kind": "email", "text": "comment@example.jp", "part": "comment"}.items() <= next(
        item for item in payload["findings"] if item["text"] == "comment@example.jp").items()
    assert all({"kind", "text", "line", "column", "suggestion", "part", "tier"} <= set(item) for item in payload["findings"])
    finding = next(f for f in check_document(hidden_parts_docx(), "c.docx") if f.part == "tracked_deletion")
    assert format_finding(finding, "en").startswith("tracked change (deleted text): address “神奈川県横浜市中区本町1-1”")


def _xml_members(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist()
                if name.endswith((".xml", ".rels"))}


def test_the_accepted_docx_keeps_no_personal_data_in_any_part():
    original = hidden_parts_docx()
    assert all(any(text in raw for raw in _xml_members(original).values()) for _, text, _ in PLANTED.values())

    proposed = propose_file(original, "case.docx", TODAY)
    assert proposed.docx is not None
    members = _xml_members(proposed.docx)
    for key, (_, text, _) in PLANTED.items():
        holding = [name for name, raw in members.items() if text in raw]
        assert not holding, f"{key}: {text} still in {holding}"
    # Comments, their authors and the thumbnail are gone, with their relationships and types.
    assert not {"word/comments.xml", "word/people.xml"} & set(members)
    assert "comments.xml" not in members["word/_rels/document.xml.rels"]
    assert "comments" not in members["[Content_Types].xml"] and "people" not in members["[Content_Types].xml"]
    document = members["word/document.xml"]
    for marker in ("w:ins ", "w:del ", "w:delText", "w:vanish", "w:commentReference", "w:commentRangeStart"):
        assert marker not in document
    assert "住所は東京都X区" in document  # the insertion is accepted, and rewritten
    assert "見える文。" in document and "コメントのある文" in document
    # Nothing is left for the checker either, in any part.
    assert check_proposed(proposed, "case.docx") == []
    # The proposed text is what the accepted file reads as.
    reread = read_document(proposed.docx, "case.docx")
    assert "".join(reread.text[a:b] for a, b in reread.proposed_ranges()) == proposed.proposal.text
    # Word's own reader (python-docx) still opens it, and the layout is kept.
    import docx

    opened = docx.Document(io.BytesIO(proposed.docx))
    assert opened.paragraphs[0].text == "相談者：Bさん"  # A氏 went to the name in the even-page header
    assert opened.sections[0].different_first_page_header_footer
    assert opened.core_properties.author == "" and opened.core_properties.last_modified_by == ""


def test_the_replacements_list_every_part_with_its_label():
    proposed = propose_file(hidden_parts_docx(), "case.docx", TODAY)
    parts = {r.part for r in proposed.proposal.replacements}
    assert {"header_first", "header_even", "text_box", "comment", "tracked_insertion", "tracked_deletion",
            "content_control", "properties", "footnote", "endnote", "alt_text", "hidden_text"} <= parts
    # The proposed text shows what a reader reads: no comment, deletion, hidden text or property.
    for gone in ("comment", "神奈川県", "Y市", "写真", "mailto", "E氏", "F氏", "G氏", "J氏"):
        assert gone not in proposed.proposal.text
    assert "見える文。\nコメントのある文\n" in proposed.proposal.text


# --- hostile and broken XML -------------------------------------------------------------------------

DTD_ONLY = (f'<?xml version="1.0"?><!DOCTYPE w:document SYSTEM "http://example.com/evil.dtd">'
            f'<w:document xmlns:w="{W_NS}"><w:body/></w:document>')
EXTERNAL_ENTITY = (f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                   f'<w:document xmlns:w="{W_NS}"><w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>')
BROKEN = f'<w:document xmlns:w="{W_NS}"><w:body><w:p>'


@pytest.mark.parametrize("document", [BILLION_LAUGHS, DTD_ONLY, EXTERNAL_ENTITY, BROKEN],
                         ids=["billion-laughs", "dtd", "external-entity", "broken"])
def test_hostile_or_broken_xml_is_unreadable_never_an_xml_error(document):
    data = hostile_docx(document)
    with pytest.raises(UnreadableDocument):
        read_document(data, "case.docx")
    with pytest.raises(UnreadableDocument):
        propose_file(data, "case.docx", TODAY)


def test_a_dtd_in_any_part_not_only_the_body_is_refused():
    buffer = io.BytesIO(hidden_parts_docx())
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("word/styles.xml", BILLION_LAUGHS.replace("w:document", "w:styles"))
    with pytest.raises(UnreadableDocument):
        read_document(buffer.getvalue(), "case.docx")


# --- PDF -------------------------------------------------------------------------------------------------

def _pdf(author: str | None = None, annotation: str | None = None, field_value: str | None = None,
         xmp_creator: str | None = None, xmp: bytes | None = None) -> bytes:
    from pypdf import PdfReader, PdfWriter
    from pypdf.annotations import Text
    from pypdf.generic import (ArrayObject, DecodedStreamObject, DictionaryObject, FloatObject, NameObject,
                               NumberObject, TextStringObject)

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(ascii_pdf(["Case notes for the meeting"]))))
    if author:
        writer.add_metadata({"/Author": author, "/Title": "Case 5"})
    if annotation:
        writer.add_annotation(0, Text(text=annotation, rect=(50, 550, 200, 650)))
    if field_value:
        field = DictionaryObject({
            NameObject("/FT"): NameObject("/Tx"), NameObject("/T"): TextStringObject("contact"),
            NameObject("/V"): TextStringObject(field_value), NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Widget"), NameObject("/F"): NumberObject(4),
            NameObject("/Rect"): ArrayObject([FloatObject(50), FloatObject(50), FloatObject(250), FloatObject(80)]),
        })
        reference = writer._add_object(field)
        writer.pages[0][NameObject("/Annots")] = ArrayObject([reference])
        writer._root_object[NameObject("/AcroForm")] = DictionaryObject({NameObject("/Fields"): ArrayObject([reference])})
    if xmp_creator or xmp:
        packet = xmp or (
            '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator><rdf:Seq>'
            f'<rdf:li>{xmp_creator}</rdf:li></rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>'
        ).encode("utf-8")
        stream = DecodedStreamObject()
        stream.set_data(packet)
        stream[NameObject("/Type")] = NameObject("/Metadata")
        stream[NameObject("/Subtype")] = NameObject("/XML")
        writer._root_object[NameObject("/Metadata")] = writer._add_object(stream)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_a_pdf_is_clean_without_hidden_parts():
    assert check_document(_pdf(), "case.pdf") == []


@pytest.mark.parametrize("kwargs, found, part", [
    ({"author": "山田太郎"}, ("person_name", "山田太郎"), "pdf_metadata"),
    ({"xmp_creator": "Taro Yamada"}, ("person_name", "Taro Yamada"), "pdf_metadata"),
    ({"annotation": "電話 090-1234-5678"}, ("phone", "090-1234-5678"), "annotation"),
    ({"field_value": "taro@example.jp"}, ("email", "taro@example.jp"), "form_field"),
], ids=["author", "xmp", "annotation", "form-field"])
def test_a_pdf_whose_only_personal_data_is_hidden_is_flagged(kwargs, found, part):
    findings = check_document(_pdf(**kwargs), "case.pdf")
    assert [((f.kind, f.text), f.part) for f in findings] == [(found, part)]
    assert findings_as_json(findings)["findings"][0]["part"] == part


def test_a_pdf_with_hostile_xmp_is_unreadable():
    hostile = BILLION_LAUGHS.replace(f'<w:document xmlns:w="{W_NS}"><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>',
                                     '<x:xmpmeta xmlns:x="adobe:ns:meta/">&lol9;</x:xmpmeta>')
    with pytest.raises(UnreadableDocument):
        read_document(_pdf(xmp=hostile.encode()), "case.pdf")


def test_the_text_proposed_for_a_pdf_leaves_its_metadata_out():
    proposed = propose_file(_pdf(author="山田太郎", annotation="電話 090-1234-5678"), "case.pdf", TODAY)
    assert proposed.layout_lost and proposed.docx is None
    assert {(r.part, r.placeholder) for r in proposed.proposal.replacements} == {
        ("pdf_metadata", "A氏"), ("annotation", "***-****-****")}
    assert "A氏" not in proposed.proposal.text and "電話 ***-****-****" in proposed.proposal.text
    assert check_proposed(proposed, "case.pdf") == []


# --- damaged files: "unreadable" or read, never another error ------------------------------------------

def _mutated(data: bytes, rng, alphabet: bytes) -> bytes:
    mutated = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        at = rng.randrange(len(mutated))
        choice = rng.random()
        if choice < 0.4:
            mutated[at] = rng.choice(alphabet)
        elif choice < 0.7:
            del mutated[at:at + rng.randint(1, 40)]
        else:
            source = rng.randrange(len(mutated))
            mutated[at:at] = mutated[source:source + rng.randint(1, 60)]
    return bytes(mutated)


def test_damaged_pdfs_are_read_or_unreadable_never_another_error():
    import random

    rng = random.Random(7)
    base = _pdf(author="山田太郎", annotation="電話 090-1234-5678", field_value="a@example.jp", xmp_creator="Taro")
    outcomes = {"read": 0, "unreadable": 0}
    for _ in range(300):
        try:
            read_document(_mutated(base, rng, bytes(range(256))), "case.pdf")
            outcomes["read"] += 1
        except UnreadableDocument:
            outcomes["unreadable"] += 1
    assert outcomes["read"] and outcomes["unreadable"]  # both kinds of damage were made


def test_damaged_docx_parts_are_proposed_or_unreadable_never_another_error():
    import random

    rng = random.Random(3)
    with zipfile.ZipFile(io.BytesIO(hidden_parts_docx())) as source:
        members = {name: source.read(name) for name in source.namelist()}
    outcomes = {"proposed": 0, "unreadable": 0}
    for _ in range(80):
        damaged = rng.choice(sorted(members))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, content in members.items():
                archive.writestr(name, _mutated(content, rng, b"<>/=\"' &;:abwrtp0") if name == damaged else content)
        try:
            propose_file(buffer.getvalue(), "case.docx", TODAY)
            outcomes["proposed"] += 1
        except UnreadableDocument:
            outcomes["unreadable"] += 1
    assert outcomes["proposed"] and outcomes["unreadable"]
