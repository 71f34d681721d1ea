"""A .docx built by hand with personal data in every part a reader or a recipient can reach, and
hostile packages (billion laughs, a DTD). Used by the document, pseudonymisation and dispatch tests."""

from __future__ import annotations

import io
import zipfile

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NAMESPACES = (
    f'xmlns:w="{W_NS}" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:v="urn:schemas-microsoft-com:vml" '
    'xmlns:w15="http://schemas.microsoft.com/office/word/2012/wordml"'
)
DECLARATION = "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"

# Each part's planted text, the kind the checker finds in it and the part it must be reported in.
PLANTED = {
    "header": ("連絡先 03-1111-2222", "03-1111-2222", "header"),
    "header_first": ("在留カード AB12345678CD", "AB12345678CD", "header_first"),
    "header_even": ("担当 グエン・ヴァン・ナム", "グエン・ヴァン・ナム", "header_even"),
    "footer": ("footer@example.jp", "footer@example.jp", "footer"),
    "footer_first": ("携帯 090-2222-3333", "090-2222-3333", "footer_first"),
    "footer_even": ("even@example.jp", "even@example.jp", "footer_even"),
    "body": ("相談者：山田太郎さん", "山田太郎", "body"),
    "text_box": ("電話 080-3333-4444", "080-3333-4444", "text_box"),
    "content_control": ("電話 070-4444-5555", "070-4444-5555", "content_control"),
    "tracked_insertion": ("住所は東京都新宿区西新宿2-8-1", "東京都新宿区西新宿2-8-1", "tracked_insertion"),
    "tracked_deletion": ("神奈川県横浜市中区本町1-1", "神奈川県横浜市中区本町1-1", "tracked_deletion"),
    "hidden_text": ("在留カード CD87654321EF", "CD87654321EF", "hidden_text"),
    "alt_text": ("写真：田中一郎さん", "田中一郎", "alt_text"),
    "footnote": ("陳美玲さんの話", "陳美玲", "footnote"),
    "endnote": ("大阪府大阪市北区梅田1-2-3", "大阪府大阪市北区梅田1-2-3", "endnote"),
    "comment": ("comment@example.jp", "comment@example.jp", "comment"),
    "comment_author": ("鈴木一郎", "鈴木一郎", "comment"),
    "revision_author": ("中村翔", "中村翔", "revision_author"),
    "link": ("mailto:link@example.jp", "link@example.jp", "link"),
    "core_creator": ("高橋健太", "高橋健太", "properties"),
    "core_last_modified_by": ("伊藤真理", "伊藤真理", "properties"),
    "app_manager": ("小林誠", "小林誠", "properties"),
    "custom_property": ("渡辺美咲", "渡辺美咲", "properties"),
}


def _t(key: str) -> str:
    return PLANTED[key][0]


def _story(root: str, paragraphs: str) -> str:
    return f"{DECLARATION}<w:{root} {NAMESPACES}>{paragraphs}</w:{root}>"


def _p(text: str) -> str:
    return f'<w:p><w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>'


def _text_box(text: str) -> str:
    """A text box as Word writes it: DrawingML in mc:Choice and the same box in VML as mc:Fallback."""
    content = f"<w:txbxContent>{_p(text)}</w:txbxContent>"
    return ("<w:r><mc:AlternateContent><mc:Choice Requires=\"wps\"><w:drawing><wp:anchor>"
            f'<wp:docPr id="1" name="Text Box 1" descr="{_t("alt_text")}"/>'
            "<a:graphic><a:graphicData><wps:wsp><wps:txbx>" + content + "</wps:txbx></wps:wsp></a:graphicData>"
            "</a:graphic></wp:anchor></w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape><v:textbox>"
            + content + "</v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r>")


def document_xml() -> str:
    author = f'w:author="{_t("revision_author")}" w:date="2026-01-01T00:00:00Z"'
    body = "".join([
        _p(_t("body")),
        "<w:p><w:r><w:t>本人の連絡先は別紙</w:t></w:r>" + _text_box(_t("text_box")) + "</w:p>",
        '<w:p><w:sdt><w:sdtPr><w:alias w:val="連絡先"/><w:dropDownList>'
        '<w:listItem w:displayText="list@example.jp" w:value="1"/></w:dropDownList></w:sdtPr><w:sdtContent>'
        f'<w:r><w:t xml:space="preserve">{_t("content_control")}</w:t></w:r></w:sdtContent></w:sdt></w:p>',
        f'<w:p><w:r><w:t xml:space="preserve">転居した。</w:t></w:r><w:ins w:id="1" {author}><w:r>'
        f'<w:t xml:space="preserve">{_t("tracked_insertion")}</w:t></w:r></w:ins>'
        f'<w:del w:id="2" {author}><w:r><w:delText xml:space="preserve">{_t("tracked_deletion")}</w:delText>'
        "</w:r></w:del></w:p>",
        '<w:p><w:r><w:t xml:space="preserve">見える文。</w:t></w:r><w:r><w:rPr><w:vanish/></w:rPr>'
        f'<w:t xml:space="preserve">{_t("hidden_text")}</w:t></w:r></w:p>',
        '<w:p><w:commentRangeStart w:id="0"/><w:r><w:t xml:space="preserve">コメントのある文</w:t></w:r>'
        '<w:commentRangeEnd w:id="0"/><w:r><w:commentReference w:id="0"/></w:r>'
        '<w:r><w:footnoteReference w:id="1"/></w:r><w:r><w:endnoteReference w:id="1"/></w:r></w:p>',
        '<w:p><w:hyperlink r:id="rIdLink"><w:r><w:t>連絡はこちら</w:t></w:r></w:hyperlink></w:p>',
        _p("以上"),
        '<w:sectPr><w:headerReference w:type="default" r:id="rIdH1"/><w:headerReference w:type="first" r:id="rIdH2"/>'
        '<w:headerReference w:type="even" r:id="rIdH3"/><w:footerReference w:type="default" r:id="rIdF1"/>'
        '<w:footerReference w:type="first" r:id="rIdF2"/><w:footerReference w:type="even" r:id="rIdF3"/>'
        "<w:titlePg/></w:sectPr>",
    ])
    return _story("document", f"<w:body>{body}</w:body>")


def _note(kind: str, text: str) -> str:
    separator = f'<w:{kind} w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:{kind}>'
    return _story(f"{kind}s", separator + f'<w:{kind} w:id="1">{_p(text)}</w:{kind}>')


PARTS = {
    "word/header1.xml": lambda: _story("hdr", _p(_t("header"))),
    "word/header2.xml": lambda: _story("hdr", _p(_t("header_first"))),
    "word/header3.xml": lambda: _story("hdr", _p(_t("header_even"))),
    "word/footer1.xml": lambda: _story("ftr", _p(_t("footer"))),
    "word/footer2.xml": lambda: _story("ftr", _p(_t("footer_first"))),
    "word/footer3.xml": lambda: _story("ftr", _p(_t("footer_even"))),
    "word/footnotes.xml": lambda: _note("footnote", _t("footnote")),
    "word/endnotes.xml": lambda: _note("endnote", _t("endnote")),
    "word/comments.xml": lambda: _story(
        "comments", f'<w:comment w:id="0" w:author="{_t("comment_author")}" w:initials="SI">{_p(_t("comment"))}'
        "</w:comment>"),
    "word/people.xml": lambda: (f"{DECLARATION}<w15:people {NAMESPACES}><w15:person w15:author=\""
                                f"{_t('comment_author')}\"/></w15:people>"),
}
RELATIONSHIPS = [
    ("rIdH1", "header", "header1.xml"), ("rIdH2", "header", "header2.xml"), ("rIdH3", "header", "header3.xml"),
    ("rIdF1", "footer", "footer1.xml"), ("rIdF2", "footer", "footer2.xml"), ("rIdF3", "footer", "footer3.xml"),
    ("rIdFn", "footnotes", "footnotes.xml"), ("rIdEn", "endnotes", "endnotes.xml"),
    ("rIdC", "comments", "comments.xml"), ("rIdS", "settings", "settings.xml"),
]
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
MAIN_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml."


def hidden_parts_docx() -> bytes:
    """A .docx with one planted piece of personal data in each part of PLANTED."""
    rels = "".join(f'<Relationship Id="{rid}" Type="{REL}{kind}" Target="{target}"/>'
                   for rid, kind, target in RELATIONSHIPS)
    rels += (f'<Relationship Id="rIdLink" Type="{REL}hyperlink" Target="{_t("link")}" TargetMode="External"/>'
             '<Relationship Id="rIdP" Type="http://schemas.microsoft.com/office/2011/relationships/people" '
             'Target="people.xml"/>')
    overrides = "".join(
        f'<Override PartName="/word/{target}" ContentType="{MAIN_TYPE}{kind}+xml"/>' for _, kind, target in
        [(None, "document.main", "document.xml"), (None, "header", "header1.xml"), (None, "header", "header2.xml"),
         (None, "header", "header3.xml"), (None, "footer", "footer1.xml"), (None, "footer", "footer2.xml"),
         (None, "footer", "footer3.xml"), (None, "footnotes", "footnotes.xml"), (None, "endnotes", "endnotes.xml"),
         (None, "comments", "comments.xml"), (None, "settings", "settings.xml")])
    members = {
        "[Content_Types].xml": (
            f'{DECLARATION}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>' + overrides +
            '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
            '<Override PartName="/docProps/custom.xml" ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/>'
            '<Override PartName="/word/people.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.people+xml"/>'
            "</Types>"),
        "_rels/.rels": (
            f'{DECLARATION}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}officeDocument" Target="word/document.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{REL}extended-properties" Target="docProps/app.xml"/>'
            f'<Relationship Id="rId4" Type="{REL}custom-properties" Target="docProps/custom.xml"/>'
            "</Relationships>"),
        "word/document.xml": document_xml(),
        "word/_rels/document.xml.rels": (
            f'{DECLARATION}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f"{rels}</Relationships>"),
        "word/settings.xml": _story("settings", "<w:evenAndOddHeaders/>"),
        "docProps/core.xml": (
            f'{DECLARATION}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f'<dc:creator>{_t("core_creator")}</dc:creator><cp:lastModifiedBy>{_t("core_last_modified_by")}'
            '</cp:lastModifiedBy><cp:revision>3</cp:revision>'
            '<dcterms:created xsi:type="dcterms:W3CDTF">2026-01-01T00:00:00Z</dcterms:created></cp:coreProperties>'),
        "docProps/app.xml": (
            f'{DECLARATION}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
            f'<Application>Microsoft Office Word</Application><Manager>{_t("app_manager")}</Manager></Properties>'),
        "docProps/custom.xml": (
            f'{DECLARATION}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
            'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
            '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="担当者">'
            f'<vt:lpwstr>{_t("custom_property")}</vt:lpwstr></property></Properties>'),
        **{name: build() for name, build in PARTS.items()},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content.encode("utf-8"))
    return buffer.getvalue()


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">' for n in range(1, 10))
    + f']><w:document xmlns:w="{W_NS}"><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>'
)


def hostile_docx(document: str = BILLION_LAUGHS) -> bytes:
    """A real .docx whose main part is replaced by ``document`` (by default a billion laughs)."""
    import docx

    buffer = io.BytesIO()
    docx.Document().save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = document.encode("utf-8") if info.filename == "word/document.xml" else source.read(info)
            archive.writestr(info.filename, content)
    return out.getvalue()
