"""Word (.docx) packages, part by part: every text a reader or a recipient can reach, and the
accepted version of a pseudonymised file.

A .docx is a zip of XML parts. Word shows the body, the headers and footers (default, first-page,
even-page), footnotes, endnotes, text boxes, content controls and pictures' alt text; a reviewer
also sees comments and tracked changes (insertions, deletions and who made them), and anyone who
opens File > Properties or unzips the file sees the core, app and custom properties. `read_lines`
returns all of it, each piece of text with the part it came from.

`accepted_docx` writes the version that is stored once a proposal is accepted: tracked changes
accepted (insertions kept, deletions dropped), comments and their anchors dropped, hidden text
(w:vanish) dropped, properties blanked, the thumbnail dropped, and every remaining paragraph,
alt text, field code, data-bound value and external link target rewritten by the caller's functions.

Every XML part goes through one parser that refuses DTDs (so no entity is ever declared, let alone
expanded: a "billion laughs" part is refused, not parsed), resolves nothing from the network and
keeps libxml2's size limits (huge_tree=False). lxml is already what python-docx parses with;
defusedxml's lxml support is deprecated, so it would add a dependency without covering the trees
this module edits. A parser is made per call: lxml parsers are not shared between threads.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from typing import Callable, Iterator

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
VML = "urn:schemas-microsoft-com:vml"
W15 = "http://schemas.microsoft.com/office/word/2012/wordml"


def _w(name: str) -> str:
    return f"{{{W}}}{name}"


REL_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
_OFFICE_DOCUMENT = REL_TYPE + "officeDocument"
_STRICT_OFFICE_DOCUMENT = "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument"
# Parts that exist only to be read by reviewers: dropped from the accepted version.
_DROPPED_REL_TYPES = ("/comments", "/commentsExtended", "/commentsIds", "/commentsExtensible", "/people",
                      "/metadata/thumbnail")

# One piece of text and the part it came from (a key of bot.core.documents.PARTS).
Piece = tuple[str, str]
# A line: its pieces, and the part its line break belongs to (the line as a whole).
Line = tuple[list[Piece], str]


class Malformed(ValueError):
    """A package that is not a readable .docx: broken zip or XML, a DTD, a missing main part."""


def parse_xml(data: bytes) -> etree._Element:
    """The part's root element; Malformed for broken XML or any DTD (entities included)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                             dtd_validation=False, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as err:
        raise Malformed("broken XML") from err
    info = root.getroottree().docinfo
    if info.internalDTD is not None or info.externalDTD is not None or info.doctype:
        raise Malformed("a DTD in an XML part")
    return root


_BROKEN_ZIP = (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, NotImplementedError, OSError)


def _is_xml(name: str) -> bool:
    return name.endswith((".xml", ".rels", ".vml")) or name == "[Content_Types].xml"


class Package:
    """The zip's members, with every XML part parsed (a package with one bad part is refused)."""

    def __init__(self, data: bytes) -> None:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                self.order = [info.filename for info in archive.infolist() if not info.is_dir()]
                xml = {name: archive.read(name) for name in self.order if _is_xml(name)}
        except _BROKEN_ZIP as err:
            raise Malformed(type(err).__name__) from None
        self.data = data
        self.xml = {name: parse_xml(content) for name, content in xml.items()}
        self.main = self._main_part()

    def _main_part(self) -> str:
        for rel in self.relationships(""):
            if rel["type"] in (_OFFICE_DOCUMENT, _STRICT_OFFICE_DOCUMENT) and rel["target"] in self.xml:
                return rel["target"]
        if "word/document.xml" in self.xml:
            return "word/document.xml"
        raise Malformed("no main document part")

    @staticmethod
    def rels_name(part: str) -> str:
        folder, name = posixpath.split(part)
        return posixpath.join(folder, "_rels", name + ".rels")

    def relationships(self, part: str) -> list[dict]:
        """The part's relationships as {id, type, target, external}; internal targets as zip names."""
        root = self.xml.get(self.rels_name(part))
        if root is None:
            return []
        found = []
        for rel in root.iter(f"{{{PKG_RELS}}}Relationship"):
            target, external = rel.get("Target") or "", rel.get("TargetMode") == "External"
            if not external:
                target = target.lstrip("/") if target.startswith("/") else \
                    posixpath.normpath(posixpath.join(posixpath.dirname(part), target))
            found.append({"id": rel.get("Id"), "type": rel.get("Type") or "", "target": target,
                          "external": external})
        return found

    def related(self, part: str, suffix: str) -> list[str]:
        return [rel["target"] for rel in self.relationships(part)
                if rel["type"].endswith(suffix) and not rel["external"] and rel["target"] in self.xml]


# --- reading --------------------------------------------------------------------------------------

def _hidden_styles(package: Package) -> set[str]:
    """Ids of styles that hide their text (w:vanish), following basedOn."""
    styles = next(iter(package.related(package.main, "/styles")), None)
    if styles is None:
        return set()
    vanishing, based_on = set(), {}
    for style in package.xml[styles].iter(_w("style")):
        style_id = style.get(_w("styleId"))
        rpr = style.find(_w("rPr"))
        if rpr is not None and _on(rpr.find(_w("vanish"))):
            vanishing.add(style_id)
        parent = style.find(_w("basedOn"))
        if parent is not None:
            based_on[style_id] = parent.get(_w("val"))
    hidden = set()
    for style_id in based_on.keys() | vanishing:
        seen, current = set(), style_id
        while current is not None and current not in seen:
            if current in vanishing:
                hidden.add(style_id)
                break
            seen.add(current)
            current = based_on.get(current)
    return hidden


def _on(toggle) -> bool:
    return toggle is not None and toggle.get(f"{{{W}}}val", "true").lower() not in ("0", "false", "off")


def _run_hidden(run, hidden_styles: set[str]) -> bool:
    rpr = next((child for child in run if child.tag == _T_RPR), None)  # the first child, by the schema
    if rpr is None:
        return False
    for toggle in rpr:
        if toggle.tag in (_T_VANISH, _T_SPEC_VANISH) and _on(toggle):
            return True
        if toggle.tag == _T_RSTYLE and toggle.get(_T_VAL) in hidden_styles:
            return True
    return False


_T_RPR, _T_VANISH, _T_SPEC_VANISH, _T_RSTYLE, _T_VAL = (_w("rPr"), _w("vanish"), _w("specVanish"), _w("rStyle"),
                                                       _w("val"))


def _paragraph_hidden(paragraph, hidden_styles: set[str]) -> bool:
    if not hidden_styles:
        return False
    style = paragraph.find(f"{_w('pPr')}/{_w('pStyle')}")
    return style is not None and style.get(_w("val")) in hidden_styles


_T_P, _T_R, _T_T, _T_DEL_TEXT = _w("p"), _w("r"), _w("t"), _w("delText")
_T_FALLBACK, _T_CHOICE = f"{{{MC}}}Fallback", f"{{{MC}}}Choice"
_T_FLDSIMPLE, _T_INSTR, _T_SDT_CONTENT = _w("fldSimple"), _w("instr"), _w("sdtContent")
_NOT_WALKED = frozenset({_w("txbxContent"), _T_P, _w("rPr"), _w("pPr"), _w("sdtPr"), _T_T, _T_DEL_TEXT})
_FIELD_CODES = frozenset({_w("instrText"), _w("delInstrText")})
_ALT_SUFFIXES = ("}docPr", "}cNvPr")
_VML_PREFIX = f"{{{VML}}}"
_TEXT_OF = {_w("tab"): "\t", _w("ptab"): "\t", _w("br"): "\n", _w("cr"): "\n", _w("noBreakHyphen"): "-"}
_DELETED = (_w("del"), _w("moveFrom"))
_INSERTED = (_w("ins"), _w("moveTo"))
_RUN_TEXT = frozenset({_T_T, _T_DEL_TEXT, *_TEXT_OF, _w("rPr")})


def run_text(run) -> str:
    """The text a run shows: its w:t, tabs, breaks and non-breaking hyphens, in order."""
    pieces = []
    for child in run:
        if child.tag == _T_T:
            pieces.append(child.text or "")
        elif child.tag in _TEXT_OF:
            pieces.append(_TEXT_OF[child.tag])
    return "".join(pieces)


class _StoryReader:
    """Lines of one story (the body, a header, a footnote…), in reading order."""

    def __init__(self, base: str, hidden_styles: set[str]) -> None:
        self.base, self.hidden_styles = base, hidden_styles
        self.lines: list[Line] = []
        self.seen_box_lines: set[str] = set()

    def read(self, root) -> list[Line]:
        for paragraph in root.iter(_T_P):
            self._paragraph(paragraph)
        choices = []
        for item in root.iter(_w("listItem")):  # a drop-down's choices, shown when it is opened
            choices.append(item.get(_w("displayText")) or item.get(_w("value")) or "")
        for choice in dict.fromkeys(choice for choice in choices if choice.strip()):
            self.lines.append(([(choice, "content_control")], "content_control"))
        return self.lines

    def _paragraph(self, paragraph) -> None:
        in_box = in_fallback = in_sdt = row_deleted = False
        for ancestor in paragraph.iterancestors():
            if ancestor.tag == _w("txbxContent"):
                in_box = True
            elif ancestor.tag == f"{{{MC}}}Fallback":
                in_fallback = True
            elif ancestor.tag == _w("sdtContent"):
                in_sdt = True
            elif ancestor.tag == _w("tr") and ancestor.find(f"{_w('trPr')}/{_w('del')}") is not None:
                row_deleted = True
        base = "text_box" if in_box and self.base not in _WHOLE_PARTS else self.base
        if in_sdt and base not in _WHOLE_PARTS:
            base = "content_control"
        shown: list[Piece] = []
        deleted: list[str] = []
        extras: list[Line] = []
        hidden = _paragraph_hidden(paragraph, self.hidden_styles)
        self._walk(paragraph, base, row_deleted, False, hidden, shown, deleted, extras)
        line = (shown, base)
        if in_fallback:  # Word writes a text box twice (DrawingML and VML): read the second copy once
            text = "".join(piece for piece, _ in shown)
            if text in self.seen_box_lines:
                return
        if in_box:
            self.seen_box_lines.add("".join(piece for piece, _ in shown))
        self.lines.append(line)
        if deleted:
            part = base if base in _WHOLE_PARTS else "tracked_deletion"
            self.lines.append(([("".join(deleted), part)], part))
        self.lines.extend(extras)

    def _walk(self, element, base: str, deleted: bool, inserted: bool, hidden: bool, shown: list[Piece],
              removed: list[str], extras: list[Line]) -> None:
        whole = base in _WHOLE_PARTS
        for child in element:
            tag = child.tag
            if not isinstance(tag, str) or tag in _NOT_WALKED:
                continue  # nested paragraphs (text boxes) are read as paragraphs of their own
            if tag == _T_FALLBACK and element.find(_T_CHOICE) is not None:
                continue  # the same content as the Choice; its text box paragraphs are deduplicated
            if tag == _T_R:
                self._run(child, base, deleted, inserted, hidden or _run_hidden(child, self.hidden_styles),
                          shown, removed)
                if any(grandchild.tag not in _RUN_TEXT for grandchild in child):  # a picture, a field code
                    self._walk(child, base, deleted, inserted, hidden, shown, removed, extras)
                continue
            if tag.endswith(_ALT_SUFFIXES) or (tag.startswith(_VML_PREFIX) and child.get("alt")):
                for value in (child.get("descr"), child.get("title"), child.get("alt")):
                    if value and value.strip():
                        part = base if whole else "alt_text"
                        extras.append(([(value, part)], part))
            elif tag in _FIELD_CODES and (child.text or "").strip():
                part = base if whole else "field_code"
                extras.append(([(child.text, part)], part))
                continue
            elif tag == _T_FLDSIMPLE and (child.get(_T_INSTR) or "").strip():
                part = base if whole else "field_code"
                extras.append(([(child.get(_T_INSTR), part)], part))
            base_inside = "content_control" if tag == _T_SDT_CONTENT and not whole else base
            self._walk(child, base_inside, deleted or tag in _DELETED, inserted or tag in _INSERTED, hidden, shown,
                       removed, extras)

    def _run(self, run, base: str, deleted: bool, inserted: bool, hidden: bool, shown: list[Piece],
             removed: list[str]) -> None:
        for child in run:
            if child.tag == _T_T:
                text = child.text or ""
            elif child.tag == _T_DEL_TEXT:
                removed.append(child.text or "")
                continue
            elif child.tag in _TEXT_OF:
                text = _TEXT_OF[child.tag]
            else:
                continue
            if deleted:
                removed.append(text)
            elif base in _WHOLE_PARTS:
                shown.append((text, base))
            elif hidden:
                shown.append((text, "hidden_text"))
            elif inserted:
                shown.append((text, "tracked_insertion"))
            else:
                shown.append((text, base))


# Parts whose every piece goes with them (a comment's tracked changes are still the comment).
_WHOLE_PARTS = ("comment",)

_CORE_FIELDS = ("title", "subject", "creator", "keywords", "description", "lastModifiedBy", "category",
                "contentStatus", "identifier")
_APP_FIELDS = ("Template", "Manager", "Company", "HyperlinkBase")


def _property_lines(package: Package) -> list[Line]:
    values: list[str] = []
    for part in package.related("", "/metadata/core-properties"):
        for element in package.xml[part].iter():
            if isinstance(element.tag, str) and etree.QName(element).localname in _CORE_FIELDS:
                values.append(element.text or "")
    for part in package.related("", "/extended-properties"):
        for element in package.xml[part].iter():
            if not isinstance(element.tag, str):
                continue
            local = etree.QName(element).localname
            if local in _APP_FIELDS or (local == "lpstr" and any(etree.QName(a).localname == "TitlesOfParts"
                                                                  for a in element.iterancestors())):
                values.append(element.text or "")
    for part in package.related("", "/custom-properties"):
        for prop in package.xml[part]:
            if isinstance(prop.tag, str):
                values.append(prop.get("name") or "")
                values += [value.text or "" for value in prop.iter() if value is not prop]
    settings = next(iter(package.related(package.main, "/settings")), None)
    if settings is not None:
        values += [var.get(_w("val")) or "" for var in package.xml[settings].iter(_w("docVar"))]
    return [([(value, "properties")], "properties") for value in values if value.strip()]


def read_lines(data: bytes) -> list[Line]:
    """Every text of the package, in this order: headers and footers (per section), the body,
    footnotes, endnotes, comments, revision authors, links, data-bound values, properties."""
    package = Package(data)
    hidden = _hidden_styles(package)
    main = package.xml[package.main]
    rels = {rel["id"]: rel for rel in package.relationships(package.main)}
    lines: list[Line] = []
    stories: list[tuple[str, str]] = []  # (part name, label)
    seen: set[str] = set()
    for section in main.iter(_w("sectPr")):
        for kind in ("header", "footer"):
            references = {ref.get(_w("type"), "default"): ref.get(f"{{{R}}}id")
                          for ref in section.iter(_w(f"{kind}Reference"))}
            for page in ("default", "first", "even"):
                rel = rels.get(references.get(page))
                if rel and not rel["external"] and rel["target"] in package.xml and rel["target"] not in seen:
                    seen.add(rel["target"])
                    stories.append((rel["target"], kind if page == "default" else f"{kind}_{page}"))
    for kind in ("header", "footer"):  # parts the sections do not name are still in the file
        for target in package.related(package.main, f"/{kind}"):
            if target not in seen:
                seen.add(target)
                stories.append((target, kind))
    for name, label in stories:
        lines += _StoryReader(label, hidden).read(package.xml[name])
    lines += _StoryReader("body", hidden).read(main)
    for kind in ("footnote", "endnote", "comment"):
        for name in package.related(package.main, f"/{kind}s"):
            root = package.xml[name]
            if kind == "comment":
                for comment in root.iter(_w("comment")):
                    for attribute in ("author", "initials"):
                        if (comment.get(_w(attribute)) or "").strip():
                            lines.append(([(comment.get(_w(attribute)), "comment")], "comment"))
            lines += _StoryReader(kind, hidden).read(root)
    lines += _author_lines(package)
    for name in package.order:  # links (hyperlink targets, an attached template's path)
        if name.endswith(".rels"):
            for rel in package.xml[name].iter(f"{{{PKG_RELS}}}Relationship"):
                if rel.get("TargetMode") == "External" and (rel.get("Target") or "").strip():
                    lines.append(([(rel.get("Target"), "link")], "link"))
    for name in _custom_xml_items(package):
        values = [text for text in package.xml[name].itertext() if text.strip()]
        lines += [([(value, "custom_xml")], "custom_xml") for value in values]
    lines += _property_lines(package)
    return lines


_REVISIONS = tuple(_w(name) for name in (
    "ins", "del", "moveFrom", "moveTo", "rPrChange", "pPrChange", "sectPrChange", "tblPrChange", "tblPrExChange",
    "trPrChange", "tcPrChange", "tblGridChange", "numberingChange", "cellIns", "cellDel", "cellMerge",
    "moveFromRangeStart", "moveToRangeStart", "customXmlInsRangeStart", "customXmlDelRangeStart",
    "customXmlMoveFromRangeStart", "customXmlMoveToRangeStart")) + (f"{{{W15}}}person",)


def _author_lines(package: Package) -> list[Line]:
    """Who made tracked changes (and who is listed in people.xml); comments' authors are read with them."""
    authors: dict[str, None] = {}
    for name in _word_parts(package):
        for element in package.xml[name].iter(*_REVISIONS):
            author = element.get(_w("author")) or element.get(f"{{{W15}}}author")
            if author and author.strip():
                authors[author] = None
    return [([(author, "revision_author")], "revision_author") for author in authors]


def _word_parts(package: Package) -> Iterator[str]:
    for name in package.order:
        root = package.xml.get(name)
        if root is not None and isinstance(root.tag, str) and root.tag.startswith((f"{{{W}}}", f"{{{W15}}}")):
            yield name


def _custom_xml_items(package: Package) -> list[str]:
    return [name for name in package.order if re.fullmatch(r"customXml/item\d+\.xml", name) and name in package.xml]


# --- the accepted version -------------------------------------------------------------------------

_CHANGE_RECORDS = ("rPrChange", "pPrChange", "sectPrChange", "tblPrChange", "tblPrExChange", "trPrChange",
                   "tcPrChange", "tblGridChange", "numberingChange", "cellIns", "cellDel", "cellMerge",
                   "moveFromRangeStart", "moveFromRangeEnd", "moveToRangeStart", "moveToRangeEnd",
                   "customXmlInsRangeStart", "customXmlInsRangeEnd", "customXmlDelRangeStart",
                   "customXmlDelRangeEnd", "customXmlMoveFromRangeStart", "customXmlMoveFromRangeEnd",
                   "customXmlMoveToRangeStart", "customXmlMoveToRangeEnd",
                   "commentRangeStart", "commentRangeEnd", "permStart", "permEnd")
_EMPTY_CORE = (b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
               b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
               b' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
               b' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>')
_EMPTY_APP = (b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
              b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"'
              b' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"/>')
_EMPTY_CUSTOM = (b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
                 b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"'
                 b' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"/>')


def _remove(element) -> None:
    """Drop an element, keeping the text that follows it (its tail)."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _unwrap(element) -> None:
    """Replace an element by its children (an accepted insertion)."""
    for child in list(element):
        element.addprevious(child)  # constant time: no index of the element among its siblings
    _remove(element)


_T_TR, _T_TRPR, _T_DEL, _T_COMMENT_REFERENCE = _w("tr"), _w("trPr"), _w("del"), _w("commentReference")
_CHANGE_RECORD_TAGS = tuple(_w(name) for name in _CHANGE_RECORDS)
_MARKER_PARENTS = (_T_RPR, _T_TRPR)


def _accept_changes(root, hidden_styles: set[str]) -> None:
    """Tracked changes accepted, comment anchors and hidden runs dropped; each pass is one walk of
    the tree (every removal and unwrapping is constant time)."""
    for row in [row for row in root.iter(_T_TR) if row.find(f"{_T_TRPR}/{_T_DEL}") is not None]:
        _remove(row)
    for element in list(root.iter(*_CHANGE_RECORD_TAGS, *_DELETED)):
        _remove(element)
    for element in list(root.iter(*_INSERTED)):
        if element.getparent() is not None and element.getparent().tag in _MARKER_PARENTS:
            _remove(element)  # a marker on a paragraph mark or a row
        else:
            _unwrap(element)
    for reference in list(root.iter(_T_COMMENT_REFERENCE)):
        run = reference.getparent()
        if run.tag == _T_R and all(child.tag in (_T_RPR, _T_COMMENT_REFERENCE) for child in run):
            _remove(run)
        else:
            _remove(reference)
    hidden_runs = [run for run in root.iter(_T_R) if _run_hidden(run, hidden_styles)]
    if hidden_styles:
        for paragraph in root.iter(_T_P):
            if _paragraph_hidden(paragraph, hidden_styles):
                hidden_runs += [run for run in paragraph.iter(_T_R) if _owner(run) is paragraph]
    for run in hidden_runs:
        if run.getparent() is not None:
            _remove(run)
    for mark in list(root.iter(_T_VANISH, _T_SPEC_VANISH)):
        _remove(mark)  # left on paragraph marks; the runs are gone


def _owner(run):
    return next((ancestor for ancestor in run.iterancestors(_T_P)), None)


def _set_run_text(run, text: str) -> None:
    """The run's text-bearing children replaced by ``text`` (tabs and breaks kept as elements);
    whatever else the run holds (a picture, a field character) stays where it was."""
    texts = [child for child in run if child.tag == _T_T or child.tag in _TEXT_OF]
    index = run.index(texts[0]) if texts else len(run)
    for child in texts:
        run.remove(child)
    for offset, piece in enumerate(p for p in re.split(r"(\t|\n)", text) if p):
        if piece == "\t":
            element = etree.Element(_w("tab"))
        elif piece == "\n":
            element = etree.Element(_w("br"))
        else:
            element = etree.Element(_T_T)
            element.text = piece
            element.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        run.insert(index + offset, element)


_T_INSTR_TEXT, _T_LIST_ITEM = _w("instrText"), _w("listItem")
_VALUE_ATTRIBUTES = {_T_FLDSIMPLE: (_T_INSTR,), _T_LIST_ITEM: (_w("displayText"), _w("value")),
                     _T_INSTR_TEXT: ()}


def _rewrite_story(root, rewrite_runs: Callable[[list[str]], list[str]], rewrite_value: Callable[[str], str]) -> None:
    for paragraph in root.iter(_T_P):
        runs = [run for run in paragraph.iter(_T_R) if _owner(run) is paragraph]
        texts = [run_text(run) for run in runs]
        for run, old, new in zip(runs, texts, rewrite_runs(texts)):
            if new != old:
                _set_run_text(run, new)
    for element in root.iter(*_VALUE_ATTRIBUTES):  # field codes and drop-down choices
        if element.tag == _T_INSTR_TEXT and element.text:
            element.text = rewrite_value(element.text)
        for attribute in _VALUE_ATTRIBUTES[element.tag]:
            if element.get(attribute):
                element.set(attribute, rewrite_value(element.get(attribute)))
    for element in root.xpath("//*[@descr or @title or @alt]"):  # pictures' alt text
        if element.tag.endswith(_ALT_SUFFIXES) or element.tag.startswith(_VML_PREFIX):
            for attribute in ("descr", "title", "alt"):
                if element.get(attribute):
                    element.set(attribute, rewrite_value(element.get(attribute)))


def accepted_docx(data: bytes, rewrite_runs: Callable[[list[str]], list[str]],
                  rewrite_value: Callable[[str], str]) -> bytes:
    """The accepted version (see the module's docstring). ``rewrite_runs`` takes one paragraph's
    run texts and returns them rewritten (as many, in order); ``rewrite_value`` rewrites a whole
    value (alt text, a field code, a link, a data-bound value)."""
    package = Package(data)
    hidden = _hidden_styles(package)
    dropped = {rel["target"] for name in package.order if name.endswith(".rels")
               for rel in package.relationships(_source_of(name))
               if rel["type"].endswith(_DROPPED_REL_TYPES) and not rel["external"]}
    blank = {**{name: _EMPTY_CORE for name in package.related("", "/metadata/core-properties")},
             **{name: _EMPTY_APP for name in package.related("", "/extended-properties")},
             **{name: _EMPTY_CUSTOM for name in package.related("", "/custom-properties")}}
    custom_items = set(_custom_xml_items(package))
    settings = set(package.related(package.main, "/settings"))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in package.order:
            if name in dropped or name in (package.rels_name(part) for part in dropped):
                continue
            if name in blank:
                archive.writestr(name, blank[name])
                continue
            root = package.xml.get(name)
            if root is None:
                archive.writestr(name, source.read(name))
                continue
            if name in _word_parts_set(package):
                _accept_changes(root, hidden)
                _rewrite_story(root, rewrite_runs, rewrite_value)
            if name in settings:
                for variables in list(root.iter(_w("docVars"))):
                    _remove(variables)
            if name in custom_items:
                for element in root.iter():
                    if isinstance(element.tag, str) and element.text and element.text.strip():
                        element.text = rewrite_value(element.text)
            if name.endswith(".rels"):
                for rel in list(root.iter(f"{{{PKG_RELS}}}Relationship")):
                    target = rel.get("Target") or ""
                    if rel.get("TargetMode") == "External":
                        rel.set("Target", rewrite_value(target))
                    elif _resolve(_source_of(name), target) in dropped:
                        _remove(rel)
            if name == "[Content_Types].xml":
                for override in list(root.iter(f"{{{CONTENT_TYPES}}}Override")):
                    if (override.get("PartName") or "").lstrip("/") in dropped:
                        _remove(override)
            archive.writestr(name, etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))
    return out.getvalue()


def _word_parts_set(package: Package) -> set[str]:
    return set(_word_parts(package))


def _source_of(rels_name: str) -> str:
    """The part a .rels file belongs to: word/_rels/document.xml.rels → word/document.xml."""
    folder, name = posixpath.split(rels_name)
    return posixpath.join(posixpath.dirname(folder), name[:-len(".rels")])


def _resolve(source: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))
