"""Read REFI-QDA exchange files: ``.qdpx`` projects and ``.qdc`` codebooks.

A ``.qdpx`` is a zip holding ``project.qde`` (XML in the ``urn:QDA-XML:project:1.0``
namespace) and a ``sources/`` folder. NVivo, ATLAS.ti, MAXQDA, QualCoder, Quirkos and
Taguette write it. This reader takes users, the code tree (colours, descriptions),
variables, cases (``SourceRef``, ``SelectionRef``; ``MemberSource`` is tolerated),
text sources (``PlainTextContent`` inline, or ``plainTextPath`` as ``internal://`` inside
the zip's ``sources/`` folder, ``relative://`` against a base path, or ``absolute://``),
the textual ``Representation`` of PDF sources, ``PlainTextSelection`` s and their
``Coding`` s, and sets. Pictures, audio, video, notes, links and graphs are reported as
skipped. An unzipped project (a folder with ``project.qde``) or a bare ``.qde`` file is
read the same way.

Element names are matched without regard to namespace prefixes, and GUIDs without regard
to case or braces, because vendors differ. Every element the 1.0 schema does not allow
where it stands is reported once per place as ``unknown_element`` and ignored.
"""

from __future__ import annotations

import codecs
import re
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote

from ._model import (
    ImportReport,
    QdaFormatError,
    RawCase,
    RawCode,
    RawCoding,
    RawProject,
    RawSelection,
    RawSet,
    RawSource,
)

NS_PROJECT = "urn:QDA-XML:project:1.0"
NS_CODEBOOK = "urn:QDA-XML:codebook:1.0"
_KNOWN_NS = {NS_PROJECT, NS_CODEBOOK, ""}

_TEXT_SOURCE = frozenset(
    {"Description", "PlainTextContent", "PlainTextSelection", "Coding", "NoteRef", "VariableValue"}
)
_SELECTION = frozenset({"Description", "Coding", "NoteRef"})
_MEDIA = frozenset({"Description", "Transcript", "Coding", "NoteRef", "VariableValue"})

#: Element -> the child elements Project.xsd (REFI-QDA 1.0/1.5) allows in it.
CHILDREN: dict[str, frozenset[str]] = {
    "Project": frozenset(
        {
            "Users",
            "CodeBook",
            "Variables",
            "Cases",
            "Sources",
            "Notes",
            "Links",
            "Sets",
            "Graphs",
            "Description",
            "NoteRef",
        }
    ),
    "Users": frozenset({"User"}),
    "CodeBook": frozenset({"Codes", "Sets"}),
    "Codes": frozenset({"Code"}),
    "Code": frozenset({"Description", "NoteRef", "Code"}),
    "Variables": frozenset({"Variable"}),
    "Variable": frozenset({"Description"}),
    "Cases": frozenset({"Case"}),
    "Case": frozenset(
        {"Description", "CodeRef", "VariableValue", "SourceRef", "SelectionRef", "MemberSource"}
    ),
    "VariableValue": frozenset(
        {
            "VariableRef",
            "TextValue",
            "BooleanValue",
            "IntegerValue",
            "FloatValue",
            "DateValue",
            "DateTimeValue",
        }
    ),
    "Sets": frozenset({"Set"}),
    "Set": frozenset({"Description", "MemberCode", "MemberSource", "MemberNote"}),
    "Sources": frozenset(
        {"TextSource", "PictureSource", "PDFSource", "AudioSource", "VideoSource"}
    ),
    "TextSource": _TEXT_SOURCE,
    "Representation": _TEXT_SOURCE,
    "TextDescription": _TEXT_SOURCE,
    "Note": _TEXT_SOURCE,
    "PlainTextSelection": _SELECTION,
    "PictureSelection": _SELECTION,
    "AudioSelection": _SELECTION,
    "VideoSelection": _SELECTION,
    "TranscriptSelection": _SELECTION,
    "PictureSource": frozenset(
        {"Description", "TextDescription", "PictureSelection", "Coding", "NoteRef", "VariableValue"}
    ),
    "PDFSource": frozenset(
        {"Description", "PDFSelection", "Representation", "Coding", "NoteRef", "VariableValue"}
    ),
    "PDFSelection": frozenset({"Description", "Representation", "Coding", "NoteRef"}),
    "AudioSource": _MEDIA | {"AudioSelection"},
    "VideoSource": _MEDIA | {"VideoSelection"},
    "Transcript": frozenset(
        {"Description", "PlainTextContent", "SyncPoint", "TranscriptSelection", "NoteRef"}
    ),
    "Coding": frozenset({"CodeRef", "NoteRef"}),
    "Notes": frozenset({"Note"}),
    "Links": frozenset({"Link"}),
    "Link": frozenset({"NoteRef"}),
    "Graphs": frozenset({"Graph"}),
    "Graph": frozenset({"Vertex", "Edge"}),
}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _children(el: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in el if isinstance(c.tag, str) and _local(c.tag) == name]


def _child(el: ET.Element, name: str) -> ET.Element | None:
    found = _children(el, name)
    return found[0] if found else None


def _text(el: ET.Element | None) -> str:
    return "" if el is None or el.text is None else el.text.strip()


def guid_key(guid: str | None) -> str:
    """Return a GUID in a comparable form: no braces, lower case.

    >>> guid_key("{AD68FBE7-E1EE-4A82-A279-23CC698C89EB}")
    'ad68fbe7-e1ee-4a82-a279-23cc698c89eb'
    """
    return (guid or "").strip().strip("{}").lower()


def decode_text(data: bytes, label: str, report: ImportReport) -> str:
    """Return the text of a source file: UTF-8 (with or without BOM), UTF-16 with BOM, or
    Windows-1252 with a warning."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.warn("not_utf8", label, "the text is not UTF-8; read it as Windows-1252")
        return data.decode("cp1252", errors="replace")


def parse_xml(data: bytes, label: str) -> ET.Element:
    """Return the root of an XML document, or raise QdaFormatError naming ``label``."""
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise QdaFormatError(f"{label}: not well-formed XML ({exc})") from exc


def check_elements(root: ET.Element, report: ImportReport) -> None:
    """Report every element the schema does not allow where it stands (once per place)."""
    found: Counter[tuple[str, str, str]] = Counter()

    def walk(el: ET.Element, name: str) -> None:
        allowed = CHILDREN.get(name, frozenset())
        for child in el:
            if not isinstance(child.tag, str):
                continue
            ns, local = _namespace(child.tag), _local(child.tag)
            if ns not in _KNOWN_NS or local not in allowed:
                found[(name, local, ns)] += 1
                continue
            walk(child, local)

    walk(root, _local(root.tag))
    for (parent, name, ns), n in found.items():
        where = f" in namespace {ns}" if ns not in _KNOWN_NS else ""
        times = f" ({n} times)" if n > 1 else ""
        report.warn(
            "unknown_element",
            f"<{name}> in <{parent}>",
            f"unknown element{where}{times}: not part of REFI-QDA here; ignored",
        )


# ---------------------------------------------------------------------------
# Where the project and its source files live
# ---------------------------------------------------------------------------


class _Container:
    """A zip (.qdpx) or a folder holding project.qde and sources/."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        self.members: dict[str, str] = {}
        if path.is_dir():
            self.folder = path
            return
        self.folder = path.parent
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise QdaFormatError(
                f"{path}: not a valid .qdpx file: not a zip archive ({exc})"
            ) from exc
        self.members = {n.replace("\\", "/").lower(): n for n in self.zip.namelist()}

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()

    def project_xml(self, report: ImportReport) -> bytes:
        if self.zip is None:
            qde = self.path / "project.qde"
            if not qde.is_file():
                raise QdaFormatError(f"{self.path}: folder has no project.qde")
            return qde.read_bytes()
        name = self.members.get("project.qde")
        if name is None:
            top = [n for low, n in self.members.items() if low.endswith(".qde") and "/" not in low]
            if len(top) != 1:
                raise QdaFormatError(
                    f"{self.path}: not a REFI-QDA project: the zip has no project.qde"
                )
            name = top[0]
            report.info("project_file", name, "the zip has no project.qde; read this .qde")
        try:
            return self.zip.read(name)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise QdaFormatError(f"{self.path}: cannot read {name} from the zip ({exc})") from exc

    def internal(self, name: str) -> tuple[bytes | None, str]:
        """Return the bytes of an internal source file (None if absent) and where it was."""
        name = name.replace("\\", "/").lstrip("/")
        if self.zip is not None:
            for candidate in (f"sources/{name}", name):
                real = self.members.get(candidate.lower())
                if real is not None:
                    try:
                        return self.zip.read(real), f"{self.path.name}!{real}"
                    except (zipfile.BadZipFile, OSError, ValueError):
                        return None, f"{self.path.name}!{real}"
            return None, f"{self.path.name}!sources/{name}"
        folder = self.path / "sources"
        target = folder / name
        if target.is_file():
            return target.read_bytes(), str(target)
        if folder.is_dir():
            for f in folder.iterdir():
                if f.name.lower() == name.lower():
                    return f.read_bytes(), str(f)
        return None, str(target)


# ---------------------------------------------------------------------------
# The reader
# ---------------------------------------------------------------------------


class _Reader:
    def __init__(
        self,
        project: RawProject,
        container: _Container | None,
        bases: Sequence[Path],
    ) -> None:
        self.p = project
        self.report = project.report
        self.container = container
        self.bases = list(bases)
        self.variables: dict[str, str] = {}
        self.selection_keys: set[str] = set()

    # -- codes and sets ----------------------------------------------------

    def codes(self, parent_el: ET.Element, parent: str | None) -> None:
        for el in _children(parent_el, "Code"):
            name = (el.get("name") or "").strip()
            guid = el.get("guid") or ""
            key = guid_key(guid) or f"code-{len(self.p.codes) + 1}"
            if any(c.key == key for c in self.p.codes):
                self.report.warn("duplicate_guid", f"code {name!r}", f"GUID {guid} is repeated")
                key = f"{key}#{len(self.p.codes) + 1}"
            if not name:
                self.report.warn("unnamed_code", f"code {guid}", "has no name")
                name = guid or key
            self.p.codes.append(
                RawCode(
                    key=key,
                    name=name,
                    parent=parent,
                    description=_text(_child(el, "Description")),
                    colour=(el.get("color") or "").strip(),
                    guid=guid,
                )
            )
            self.codes(el, key)

    def sets(self, sets_el: ET.Element) -> None:
        for el in _children(sets_el, "Set"):
            name = el.get("name") or el.get("guid") or f"set {len(self.p.sets) + 1}"
            codes = [
                guid_key(m.get("targetGUID") or m.get("guid")) for m in _children(el, "MemberCode")
            ]
            sources = [guid_key(m.get("targetGUID")) for m in _children(el, "MemberSource")]
            notes = _children(el, "MemberNote")
            if notes:
                self.report.skip(
                    "set_notes", f"set {name!r}", f"{len(notes)} note member(s) not imported"
                )
            self.p.sets.append(RawSet(guid_key(el.get("guid")) or name, name, codes, sources))

    # -- variables and cases -----------------------------------------------

    def variable_defs(self, el: ET.Element) -> None:
        for v in _children(el, "Variable"):
            name = (v.get("name") or v.get("guid") or "").strip()
            self.variables[guid_key(v.get("guid"))] = name
            self.p.variables.append(name)

    def values(self, el: ET.Element, where: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for vv in _children(el, "VariableValue"):
            ref = _child(vv, "VariableRef")
            target = guid_key(ref.get("targetGUID")) if ref is not None else ""
            name = self.variables.get(target)
            if name is None:
                self.report.warn(
                    "unknown_variable",
                    where,
                    f"a value refers to variable {target or '(none)'!r}, which is not "
                    "declared in <Variables>; ignored",
                )
                continue
            value = next(
                (_text(c) for c in vv if isinstance(c.tag, str) and _local(c.tag) != "VariableRef"),
                "",
            )
            out[name] = value
        return out

    def cases(self, el: ET.Element) -> None:
        for c in _children(el, "Case"):
            guid = c.get("guid") or ""
            name = c.get("name") or guid or f"case {len(self.p.cases) + 1}"
            where = f"case {name!r}"
            refs = _children(c, "SourceRef") + _children(c, "MemberSource")
            code_refs = _children(c, "CodeRef")
            if code_refs:
                self.report.skip(
                    "case_codes",
                    where,
                    f"{len(code_refs)} code(s) applied to the case not imported",
                )
            self.p.cases.append(
                RawCase(
                    key=guid_key(guid) or name,
                    name=name,
                    description=_text(_child(c, "Description")),
                    guid=guid,
                    variables=self.values(c, where),
                    sources=[guid_key(r.get("targetGUID")) for r in refs],
                    selections=[
                        guid_key(r.get("targetGUID")) for r in _children(c, "SelectionRef")
                    ],
                )
            )

    # -- sources -----------------------------------------------------------

    def sources(self, el: ET.Element) -> None:
        for src in el:
            if not isinstance(src.tag, str):
                continue
            kind = _local(src.tag)
            name = src.get("name") or src.get("guid") or kind
            if kind == "TextSource":
                self.text_source(src, name, src.get("guid") or "", src)
            elif kind == "PDFSource":
                self.pdf_source(src, name)
            elif kind in {"PictureSource", "AudioSource", "VideoSource"}:
                n = sum(
                    len(_children(src, s))
                    for s in ("PictureSelection", "AudioSelection", "VideoSelection", "Transcript")
                )
                self.report.skip(
                    "media_source",
                    f"source {name!r}",
                    f"{kind} not imported (only text sources are); it has {n} selection(s) "
                    "or transcript(s)",
                )

    def pdf_source(self, src: ET.Element, name: str) -> None:
        """Read a PDF: its text Representation, and its area selections that carry codes.

        A coded area selection keeps its codes whatever it holds: its text when it carries
        it inline (a ``Representation`` of its own), else it is kept without text (flagged).
        """
        where = f"source {name!r}"
        guid = src.get("guid") or ""
        rep = _child(src, "Representation")
        boxes = _children(src, "PDFSelection")
        coded = [b for b in boxes if _children(b, "Coding")]
        if len(boxes) > len(coded):
            self.report.skip(
                "pdf_selections",
                where,
                f"{len(boxes) - len(coded)} PDF area selection(s) not imported "
                "(only text selections)",
            )
        if rep is not None:
            self.text_source(rep, name, guid, src)
        elif coded:
            self.p.sources.append(
                RawSource(
                    key=guid_key(guid) or name,
                    name=name,
                    text=None,
                    path=src.get("path") or "",
                    guid=guid,
                    variables=self.values(src, where),
                )
            )
        else:
            self.report.skip(
                "media_source",
                where,
                "PDF source without a plain-text Representation not imported",
            )
            return
        inline = 0
        for box in coded:
            text = self.box_text(box, where)
            inline += text is not None
            self.selection(box, guid_key(guid) or name, where, excerpt=text)
        if coded:
            self.report.info(
                "pdf_selections",
                where,
                f"{len(coded)} coded PDF area selection(s): {inline} with their text inline "
                f"(imported as text), {len(coded) - inline} without (kept, excerpt blank)",
            )

    def box_text(self, box: ET.Element, where: str) -> str | None:
        """Return the text a PDF area selection carries inline (its Representation), or None."""
        rep = _child(box, "Representation")
        if rep is None:
            return None
        content = _child(rep, "PlainTextContent")
        if content is not None and (content.text or "").strip():
            return content.text or ""
        uri = rep.get("plainTextPath")
        if uri:
            text, _ = self.load(uri.strip(), where)
            if text is not None and text.strip():
                return text
        return None

    def load(self, uri: str, where: str) -> tuple[str | None, str]:
        """Return the text a plainTextPath points to (None if missing) and where it is."""
        scheme, sep, rest = uri.partition("://")
        if not sep:
            scheme, rest = "relative", uri
        scheme = scheme.lower()
        names = list(dict.fromkeys([rest, unquote(rest)]))
        data: bytes | None = None
        location = uri
        if scheme == "internal":
            if self.container is None:
                self.report.warn(
                    "missing_source", where, f"{uri} cannot be read without the .qdpx archive"
                )
                return None, uri
            for n in names:
                data, location = self.container.internal(n)
                if data is not None:
                    break
            if data is None:
                self.report.warn(
                    "missing_source",
                    where,
                    f"source file {location} is not in the archive; its codings are kept "
                    "without text",
                )
                return None, uri
        elif scheme in {"relative", "absolute", "file"}:
            tried: list[Path] = []
            for n in names:
                if scheme == "relative":
                    tried += [base / n.lstrip("/") for base in self.bases]
                else:
                    p = n[1:] if re.match(r"^/[A-Za-z]:", n) else n
                    tried.append(Path(p))
            found = next((t for t in tried if t.is_file()), None)
            if found is None:
                looked = ", ".join(str(t) for t in dict.fromkeys(tried))
                self.report.warn(
                    "missing_source",
                    where,
                    f"source file {uri} not found (looked for {looked}); its codings are "
                    "kept without text",
                )
                return None, uri
            data, location = found.read_bytes(), str(found)
        else:
            self.report.warn("missing_source", where, f"unknown path scheme in {uri!r}")
            return None, uri
        return decode_text(data, where, self.report), location

    def text_source(self, el: ET.Element, name: str, guid: str, outer: ET.Element) -> None:
        where = f"source {name!r}"
        key = guid_key(guid) or name
        content = _child(el, "PlainTextContent")
        path_uri = el.get("plainTextPath")
        text: str | None
        location = ""
        if content is not None:
            text = content.text or ""
            if path_uri:
                self.report.info(
                    "text_twice",
                    where,
                    "has both PlainTextContent and plainTextPath; used the first",
                )
        elif path_uri:
            text, location = self.load(path_uri.strip(), where)
        else:
            text = None
            rich = el.get("richTextPath")
            detail = f"only a rich-text file ({rich})" if rich else "no text"
            self.report.warn(
                "missing_source", where, f"has {detail}: no plain text to cut selections from"
            )
        variables = self.values(outer, where)
        if outer is not el:
            variables.update(self.values(el, where))
        self.p.sources.append(
            RawSource(key=key, name=name, text=text, path=location, guid=guid, variables=variables)
        )
        whole = _children(el, "Coding") + ([] if outer is el else _children(outer, "Coding"))
        if whole:
            self.report.skip(
                "source_codings",
                where,
                f"{len(whole)} code(s) applied to the whole source not imported "
                "(they are not text segments)",
            )
        for sel in _children(el, "PlainTextSelection"):
            self.selection(sel, key, where)

    def user(self, guid: str | None) -> str:
        key = guid_key(guid)
        return self.p.users.get(key, guid or "") if key else ""

    def selection(
        self, el: ET.Element, source: str, where: str, excerpt: str | None = None
    ) -> None:
        """Add a text selection (or, with ``excerpt`` or no positions, a PDF area one)."""
        guid = el.get("guid") or ""
        key = guid_key(guid) or f"{source}:{len(self.p.selections) + 1}"
        start: int | None = None
        end: int | None = None
        if _local(el.tag) == "PlainTextSelection":
            try:
                start = int(el.get("startPosition", ""))
                end = int(el.get("endPosition", ""))
            except ValueError:
                self.report.warn(
                    "bad_position",
                    f"{where}, selection {guid}",
                    f"startPosition {el.get('startPosition')!r} / endPosition "
                    f"{el.get('endPosition')!r} are not whole numbers; its codes are kept "
                    "without text",
                )
        codings = []
        for coding in _children(el, "Coding"):
            ref = _child(coding, "CodeRef")
            if ref is None or not ref.get("targetGUID"):
                self.report.warn(
                    "bad_coding", f"{where}, selection {guid}", "a Coding has no CodeRef; skipped"
                )
                continue
            codings.append(
                RawCoding(
                    code=guid_key(ref.get("targetGUID")),
                    coder=self.user(coding.get("creatingUser")),
                    guid=coding.get("guid") or "",
                )
            )
        stored = [s for s in ((el.get("name") or ""), _text(_child(el, "Description"))) if s]
        self.p.selections.append(
            RawSelection(
                key=key,
                source=source,
                start=start,
                end=end,
                codings=codings,
                stored=stored,
                coder=self.user(el.get("creatingUser")),
                guid=guid,
                excerpt=excerpt,
            )
        )

    # -- the whole project --------------------------------------------------

    def project(self, root: ET.Element) -> None:
        if (users := _child(root, "Users")) is not None:
            for u in _children(users, "User"):
                self.p.users[guid_key(u.get("guid"))] = (
                    u.get("name") or u.get("id") or u.get("guid") or ""
                )
        if (book := _child(root, "CodeBook")) is not None:
            if (codes := _child(book, "Codes")) is not None:
                self.codes(codes, None)
            if (sets := _child(book, "Sets")) is not None:
                self.sets(sets)
        if (variables := _child(root, "Variables")) is not None:
            self.variable_defs(variables)
        if (cases := _child(root, "Cases")) is not None:
            self.cases(cases)
        if (sources := _child(root, "Sources")) is not None:
            self.sources(sources)
        if (sets := _child(root, "Sets")) is not None:
            self.sets(sets)
        for section, item in (("Notes", "Note"), ("Links", "Link"), ("Graphs", "Graph")):
            if (el := _child(root, section)) is not None:
                n = len(_children(el, item))
                self.report.skip(
                    section.lower(), section, f"{n} {item.lower()}(s) not imported (not study data)"
                )


def _check_root(root: ET.Element, label: str, expected: set[str], report: ImportReport) -> None:
    name, ns = _local(root.tag), _namespace(root.tag)
    if name not in expected:
        raise QdaFormatError(
            f"{label}: the root element is <{name}>, expected <{' or '.join(sorted(expected))}>"
        )
    if ns not in {NS_PROJECT, NS_CODEBOOK}:
        report.warn(
            "namespace",
            f"<{name}>",
            f"namespace is {ns or '(none)'!r}, not {NS_PROJECT!r}; read it anyway",
        )


def read_project(path: Path, base_path: Path | None = None) -> RawProject:
    """Return the raw project of a .qdpx file, an unzipped project folder or a .qde file."""
    report = ImportReport(path.name)
    container: _Container | None = None
    if path.suffix.lower() == ".qde" and path.is_file():
        data = path.read_bytes()
        folder = path.parent
        if (folder / "sources").is_dir():
            container = _Container(folder)
        label = str(path)
    else:
        container = _Container(path)
        data = container.project_xml(report)
        folder = path if path.is_dir() else path.parent
        label = f"{path}: project.qde" if container.zip is not None else str(path / "project.qde")
    try:
        root = parse_xml(data, label)
        _check_root(root, label, {"Project"}, report)
        origin = root.get("origin") or ""
        kind = "REFI-QDA project" + (f" exported by {origin}" if origin else "")
        project = RawProject(
            "refi-qdpx", kind, report, origin=origin, name=(root.get("name") or "").strip()
        )
        bases: list[Path] = []
        if base_path is not None:
            bases.append(Path(base_path))
        if root.get("basePath"):
            base = Path(root.get("basePath") or "")
            if base.is_dir():
                bases.append(base)
        bases.append(folder)
        check_elements(root, report)
        _Reader(project, container, list(dict.fromkeys(bases))).project(root)
    finally:
        if container is not None:
            container.close()
    return project


def read_codebook(path: Path) -> RawProject:
    """Return the raw project (codes and sets only) of a .qdc codebook file."""
    report = ImportReport(path.name)
    root = parse_xml(path.read_bytes(), str(path))
    _check_root(root, str(path), {"CodeBook", "Project"}, report)
    origin = root.get("origin") or ""
    kind = "REFI-QDA codebook" + (f" exported by {origin}" if origin else "")
    project = RawProject("refi-qdc", kind, report, origin=origin)
    check_elements(root, report)
    reader = _Reader(project, None, [])
    if _local(root.tag) == "Project":
        report.info("codebook_root", str(path), "a whole project in a .qdc; read its codebook only")
        root = _child(root, "CodeBook") or root
    if (codes := _child(root, "Codes")) is not None:
        reader.codes(codes, None)
    if (sets := _child(root, "Sets")) is not None:
        reader.sets(sets)
    return project
