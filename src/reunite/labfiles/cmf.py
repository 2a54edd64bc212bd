"""CODIS Common Message Format (CMF) 3.2 XML: specimen profiles in and out, validated.

Followed: the element names of the CODIS STR Import CMF as the FBI's public "CODIS Rapid Import
Common Message Format" specification (version 1.0, revision 17, 30 April 2019, which builds on the
STR Import CMF 3.3 interface) uses them, and the CMF 3.2 nesting and field lengths of the CMF 3.2
reader/writer of NCBI's OSIRIS (public domain, nwxXmlCMF.cpp): a root ``CODISImportFile`` with the
header elements ``HEADERVERSION``, ``MESSAGETYPE``, ``DESTINATIONORI``, ``SOURCELAB``,
``SUBMITBYUSERID``, ``SUBMITDATETIME`` (then optional ``BATCHID``, ``KIT``), then one ``SPECIMEN``
per profile (attributes ``SOURCEID``, ``CASEID``, ``PARTIAL``; children ``SPECIMENID``,
``SPECIMENCATEGORY``, ``SPECIMENCOMMENT``), each with one ``LOCUS`` per marker (attributes
``BATCHID``, ``KIT``; children ``LOCUSNAME``, ``READINGBY``, ``READINGDATETIME``) holding
``ALLELE`` elements whose ``ALLELEVALUE`` child is the allele.

Both ways the file is validated against Reunite's own XML Schema of that description
(``reunite/data/cmf/CODISImportFile-3.2.xsd``, with lxml): a file read is refused with every schema
problem named by its line (the parser's ``sourceline``), specimen and locus; a file written is
validated before it is written (a writer's error, or a value too long for CMF, is then named).
``validate=False`` reads leniently instead (no namespace needed; ``SPECIMENID``/``LOCUSNAME``/
``ALLELEVALUE`` as a child element or as an attribute; ``SOURCEID`` as the specimen's source when
``SPECIMENID`` is absent).

Reading also checks what the schema does not: alleles are validated as in every other input; an
allele written as an off-ladder value (``<8``, ``>26``, ``OL``) is refused with a named error; more
than two alleles at a locus is refused as a possible mixture; a specimen or a locus given twice is an
error; each problem names its line.  A file with a document type declaration or entities is refused
(CMF has none; this keeps entity expansion out), and the parser resolves no entity and reads nothing
from the network.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from collections.abc import Iterable
from importlib import resources

from lxml import etree

from ..errors import InputError, MarkerError, Problem
from ..genetics.haplotype import HaplotypeError
from ..genetics.markers import AMELOGENIN, display_name, marker_key, validate_allele
from ..genetics.ystr import parse_y_haplotype, y_locus_key
from ._common import (
    ConversionResult,
    SampleProfile,
    is_y_marker,
    is_y_str,
    known_marker,
    profile_from_alleles,
    read_text,
    write_atomic,
    y_allele_text,
)

__all__ = ["CMF_NAMESPACE", "cmf_schema", "cmf_text", "read_cmf", "validate_cmf", "write_cmf"]

#: The default namespace of a CMF 3.x file.
CMF_NAMESPACE = "urn:CODISImportFile-schema"
#: Field lengths of the header, as the schema has them (checked first, for a plain message).
HEADER_LENGTHS = {"source_lab": ("SOURCELAB", 10), "destination_ori": ("DESTINATIONORI", 10),
                  "user": ("SUBMITBYUSERID and READINGBY", 20)}
_OFF_LADDER = re.compile(r"^(ol|[<>]\s*\d.*)$", re.IGNORECASE)
#: Loci the writer names otherwise than Reunite's display name (CODIS writes Amelogenin as AMEL).
_CODIS_NAMES = {AMELOGENIN: "AMEL"}


@functools.cache
def cmf_schema() -> etree.XMLSchema:
    """Reunite's XML Schema of CMF 3.2 (``reunite/data/cmf/CODISImportFile-3.2.xsd``)."""
    data = (resources.files("reunite") / "data" / "cmf" / "CODISImportFile-3.2.xsd").read_bytes()
    return etree.XMLSchema(etree.fromstring(data, _parser()))


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=True, remove_pis=True)


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1].upper() if isinstance(tag, str) else ""


def _child(el, name: str):
    return next((c for c in el if _local(c.tag) == name), None)


def _value(el, name: str) -> str | None:
    """A child element's text, or else the attribute of that name."""
    c = _child(el, name)
    if c is not None and (c.text or "").strip():
        return c.text.strip()
    for k, v in el.attrib.items():
        if _local(k) == name and v.strip():
            return v.strip()
    return None


def _context(el) -> str:
    """``specimen 'ID', locus NAME: `` for an element inside a specimen (and a locus), else ``""``."""
    parts = []
    node = el
    while node is not None:
        name = _local(node.tag)
        if name == "LOCUS":
            parts.append(f"locus {_value(node, 'LOCUSNAME') or '?'}")
        elif name == "SPECIMEN":
            parts.append(f"specimen {(_value(node, 'SPECIMENID') or '?')!r}")
        node = node.getparent()
    return ", ".join(reversed(parts)) + ": " if parts else ""


def _schema_problems(doc, source: str) -> list[Problem]:
    """Every problem the schema finds in ``doc``, by line (the parser's), specimen and locus."""
    schema = cmf_schema()
    if schema.validate(doc):
        return []
    out = []
    for err in schema.error_log:
        el = None
        if err.path:
            try:
                found = doc.xpath(err.path)
                el = found[0] if found else None
            except etree.XPathError:
                el = None
        msg = err.message.replace(f"{{{CMF_NAMESPACE}}}", "")
        where = _context(el) if el is not None else ""
        field = _local(el.tag) if el is not None else None
        out.append(Problem(f"{where}{msg} (CMF 3.2 schema)", file=source, line=err.line or None, field=field,
                           code="cmf_schema", params={"element": field or "CODISImportFile"}))
    return out


def validate_cmf(path: str | os.PathLike) -> list[Problem]:
    """The schema problems of a CMF file (empty: it is valid), each with its line, specimen and locus."""
    source = str(path)
    doc = _parse(read_text(path, source), source)
    return _schema_problems(doc.getroottree(), source)


def _parse(text: str, source: str):
    if re.search(r"<!\s*(DOCTYPE|ENTITY)", text, re.IGNORECASE):
        raise InputError(Problem("the file declares a document type or entities; a CMF file has none "
                                 "(refused so that no entity is expanded)", file=source, code="xml_doctype"))
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)   # (the text is decoded already: drop its encoding)
    try:
        return etree.fromstring(text.encode("utf-8"), _parser())
    except etree.XMLSyntaxError as exc:
        raise InputError(Problem(f"not well-formed XML ({exc.msg})", file=source,
                                 line=exc.lineno or None, code="xml_malformed")) from None


def read_cmf(path: str | os.PathLike, *, skip_unknown_markers: bool = False, validate: bool = True) -> ConversionResult:
    """Read the specimens of a CMF 3.2 XML file as profiles (all-or-nothing); ``validate`` (default)
    checks the file against the CMF schema first and reports every problem of both checks together."""
    source = str(path)
    root = _parse(read_text(path, source), source)
    if _local(root.tag) != "CODISIMPORTFILE":
        raise InputError(Problem(f"the root element is <{_local(root.tag)}>, not <CODISImportFile>; is this "
                                 f"a CODIS CMF file?", file=source, line=root.sourceline, code="cmf_root",
                                 params={"root": _local(root.tag)}))
    problems: list[Problem] = []
    if validate:
        if etree.QName(root).namespace != CMF_NAMESPACE:
            raise InputError(Problem(f"the root element is not in the CMF namespace {CMF_NAMESPACE!r} "
                                     f"(write <CODISImportFile xmlns=\"{CMF_NAMESPACE}\">)", file=source,
                                     line=root.sourceline, code="cmf_namespace",
                                     params={"namespace": CMF_NAMESPACE}))
        problems += _schema_problems(root.getroottree(), source)
    notes: list[str] = []
    data: dict[str, dict[str, list[str]]] = {}
    lines: dict[str, dict[str, int]] = {}
    y_left: set[str] = set()
    ys: dict[str, dict[str, str]] = {}
    unknown_left: set[str] = set()
    specimens = [el for el in root.iter() if _local(el.tag) == "SPECIMEN"]
    if not specimens and not problems:
        raise InputError(Problem("the file holds no <SPECIMEN>", file=source, line=root.sourceline,
                                 code="cmf_no_specimen"))
    for i, sp in enumerate(specimens, start=1):
        sid = _value(sp, "SPECIMENID") or _value(sp, "SOURCEID")
        if not sid:
            problems.append(Problem(f"SPECIMEN {i} has no SPECIMENID", file=source, line=sp.sourceline,
                                    field="SPECIMENID", code="cmf_no_specimen_id", params={"n": i}))
            continue
        if sid in data:
            problems.append(Problem(f"specimen {sid!r} is given twice", file=source, line=sp.sourceline,
                                    field="SPECIMENID", code="cmf_specimen_twice", params={"sample": sid}))
            continue
        genotypes: dict[str, list[str]] = {}
        where: dict[str, int] = {}
        keys: set[str] = set()
        y_raw: dict[str, list[str]] = {}
        y_spelled: dict[str, int] = {}
        for loc in (c for c in sp.iter() if _local(c.tag) == "LOCUS"):
            name = _value(loc, "LOCUSNAME")
            line = loc.sourceline
            if not name:
                problems.append(Problem(f"specimen {sid!r}: a LOCUS has no LOCUSNAME", file=source, line=line,
                                        field="LOCUSNAME", code="cmf_no_locus_name", params={"sample": sid}))
                continue
            what = f"specimen {sid!r}, locus {name}"
            if is_y_str(name):
                _read_y_locus(loc, sid, name, source, y_raw, y_spelled, where, problems)
                continue
            key = marker_key(name)
            if is_y_marker(key):
                y_left.add(name)
                continue
            if not known_marker(key):
                if skip_unknown_markers:
                    unknown_left.add(name)
                    continue
                problems.append(Problem(f"{what}: not a marker Reunite knows; check its spelling, or skip "
                                        f"unknown markers", file=source, line=line, field="LOCUSNAME",
                                        code="marker_unknown", params={"sample": sid, "marker": name}))
                continue
            if key in keys:
                problems.append(Problem(f"{what}: the locus is given twice", file=source, line=line,
                                        field="LOCUSNAME", code="cmf_locus_twice",
                                        params={"sample": sid, "marker": name}))
                continue
            keys.add(key)
            labels: list[str] = []
            ok = True
            for al in (c for c in loc if _local(c.tag) == "ALLELE"):
                v = _value(al, "ALLELEVALUE") or (al.text or "").strip()
                if not v:
                    continue
                if _OFF_LADDER.match(v):
                    problems.append(Problem(f"{what}: allele {v!r} is off-ladder; CODIS range values are not "
                                            f"used in a kinship LR", file=source, line=al.sourceline,
                                            field="ALLELEVALUE", code="off_ladder",
                                            params={"sample": sid, "marker": name}))
                    ok = False
                    continue
                try:
                    labels.append(validate_allele(name, v))
                except MarkerError as exc:
                    problems.extend(p.where(message=f"specimen {sid!r}: {p.message}", file=source,
                                            line=al.sourceline, field="ALLELEVALUE", sample=sid)
                                    for p in exc.problems)
                    ok = False
            distinct = list(dict.fromkeys(labels))
            if ok and len(distinct) > 2:
                problems.append(Problem(f"{what}: {len(distinct)} alleles; a single person has at most two: a "
                                        f"possible mixture, so the specimen is refused", file=source, line=line,
                                        field="ALLELE", code="mixture",
                                        params={"sample": sid, "marker": name, "n": len(distinct)}))
            elif ok and distinct:
                genotypes[name] = distinct * 2 if len(distinct) == 1 else distinct
                where[key] = line
        data[sid] = genotypes
        lines[sid] = where
        if y_raw:
            ys[sid] = {k: ",".join(v) for k, v in y_raw.items()}
    if problems:
        raise InputError(sorted(problems, key=lambda p: p.line or 0))
    samples = [SampleProfile(s, profile_from_alleles(g, source), lines=lines[s],
                             y_haplotype=parse_y_haplotype(ys[s], source=source).as_dict() if s in ys else None)
               for s, g in data.items() if g or s in ys]
    if ys:
        loci = sorted({k for h in ys.values() for k in h})
        notes.append(f"Y-STR haplotype read for {len(ys)} specimen(s) at {len(loci)} locus/loci: {', '.join(loci)}")
    empty = [s for s, g in data.items() if not g and s not in ys]
    if empty:
        notes.append(f"{len(empty)} specimen(s) without alleles left out")
    if y_left:
        notes.append(f"Y-chromosomal locus/loci that are not STRs left out: {', '.join(sorted(y_left))}")
    if unknown_left:
        notes.append(f"locus/loci Reunite does not know left out: {', '.join(sorted(unknown_left))}")
    return ConversionResult(samples=samples, notes=notes, source_lab=_value(root, "SOURCELAB"))


def _read_y_locus(loc, sid: str, name: str, source: str, y_raw: dict[str, list[str]], y_spelled: dict[str, int],
                  where: dict[str, int], problems: list[Problem]) -> None:
    """One Y-STR ``LOCUS`` of specimen ``sid`` into its haplotype (``y_raw``: locus key -> alleles).

    ``DYS385a``/``DYS385b`` (two LOCUS elements) join one multi-copy locus; ``DYS385`` with its alleles as
    several ``ALLELE`` elements is the same; one allele at a multi-copy locus named as a whole is that
    allele on every copy; ``null`` (or ``0``) is a null allele.  A problem names the line, specimen, locus."""
    line = loc.sourceline
    what = f"specimen {sid!r}, locus {name}"
    key = y_locus_key(name)
    spelled = re.sub(r"[\s_\-.]", "", name).upper()
    params = {"sample": sid, "marker": name}
    if f"Y:{key}" in where and (spelled == key or spelled in y_spelled or key in y_spelled):
        problems.append(Problem(f"{what}: the locus is given twice", file=source, line=line, field="LOCUSNAME",
                                code="cmf_locus_twice", params=params))
        return
    labels: list[str] = []
    for al in (c for c in loc if _local(c.tag) == "ALLELE"):
        v = _value(al, "ALLELEVALUE") or (al.text or "").strip()
        if not v:
            continue
        if _OFF_LADDER.match(v):
            problems.append(Problem(f"{what}: allele {v!r} is off-ladder; CODIS range values are not used in a "
                                    f"lineage LR", file=source, line=al.sourceline, field="ALLELEVALUE",
                                    code="off_ladder", params=params))
            return
        labels.append(v)
    if not labels:
        return   # not typed
    try:
        value = y_allele_text(name, labels)
        parse_y_haplotype({key: ",".join([*y_raw.get(key, []), value])}, source=source)
    except HaplotypeError as exc:
        problems.extend(Problem(f"{what}: {p.message}", file=source, line=line, field="ALLELEVALUE",
                                code="cmf_y_allele", params=params)
                        for p in exc.problems)
        return
    where.setdefault(f"Y:{key}", line)
    y_spelled[spelled] = line
    y_raw.setdefault(key, []).extend(value.split(","))


def _locus_name(key: str) -> str:
    return _CODIS_NAMES.get(key, display_name(key))


def cmf_text(samples: Iterable[SampleProfile], *, source_lab: str, destination_ori: str,
             category: str = "Unidentified Person", user: str = "", kit: str = "", y_kit: str = "",
             when: dt.datetime | None = None) -> str:
    """The CMF 3.2 XML of the samples (see the module docstring for the elements written), validated
    against the CMF schema: a value CMF cannot hold (a sample code longer than 24 characters, a lab ORI
    longer than 10, no submitter) raises :class:`InputError` naming it, and nothing is returned."""
    when = (when or dt.datetime.now(dt.UTC)).replace(microsecond=0, tzinfo=None)
    values = {"source_lab": source_lab, "destination_ori": destination_ori, "user": user}
    problems = []
    for key, (element, most) in HEADER_LENGTHS.items():
        v = (values[key] or "").strip()
        if not v:
            problems.append(Problem(f"{element} is required (give {key.replace('_', ' ')})", field=key,
                                    code="cmf_header_required", params={"element": element}))
        elif len(v) > most:
            problems.append(Problem(f"{element} holds at most {most} characters; {key.replace('_', ' ')} has "
                                    f"{len(v)}", field=key, code="cmf_header_length",
                                    params={"element": element, "most": most, "length": len(v)}))
    if problems:
        raise InputError(problems)
    ns = f"{{{CMF_NAMESPACE}}}"
    root = etree.Element(f"{ns}CODISImportFile", nsmap={None: CMF_NAMESPACE})

    def sub(parent, tag, text=None, **attrib):
        el = etree.SubElement(parent, f"{ns}{tag}", {k: v for k, v in attrib.items() if v})
        if text is not None:
            el.text = text
        return el

    stamp = when.isoformat()
    sub(root, "HEADERVERSION", "3.2")
    sub(root, "MESSAGETYPE", "Import")
    sub(root, "DESTINATIONORI", destination_ori.strip())
    sub(root, "SOURCELAB", source_lab.strip())
    sub(root, "SUBMITBYUSERID", user.strip())
    sub(root, "SUBMITDATETIME", stamp)
    for s in samples:
        sp = sub(root, "SPECIMEN")
        sub(sp, "SPECIMENID", s.sample)
        sub(sp, "SPECIMENCATEGORY", category)
        loci = list(s.profile.genotypes.items())
        if s.profile.amelogenin is not None:
            loci.append((AMELOGENIN, s.profile.amelogenin))
        for key, pair in loci:
            loc = sub(sp, "LOCUS", KIT=kit)
            sub(loc, "LOCUSNAME", _locus_name(key))
            sub(loc, "READINGBY", user.strip())
            sub(loc, "READINGDATETIME", stamp)
            for a in dict.fromkeys(pair):
                al = sub(loc, "ALLELE")
                sub(al, "ALLELEVALUE", a)
        for key, alleles in parse_y_haplotype(dict(s.y_haplotype or {}), source=f"sample {s.sample}").alleles.items():
            # One LOCUS per Y-STR locus, a multi-copy locus (DYS385) with one ALLELE per copy (13, 13 kept:
            # both copies carry 13), a null allele as the value ``null``.
            loc = sub(sp, "LOCUS", KIT=y_kit)
            sub(loc, "LOCUSNAME", key)
            sub(loc, "READINGBY", user.strip())
            sub(loc, "READINGDATETIME", stamp)
            for a in alleles or ("null",):
                al = sub(loc, "ALLELE")
                sub(al, "ALLELEVALUE", a)
    etree.indent(root)
    text = '<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="unicode") + "\n"
    problems = _schema_problems(etree.fromstring(text.encode("utf-8"), _parser()).getroottree(), "the CMF written")
    if problems:
        raise InputError(problems)
    return text


def write_cmf(samples: Iterable[SampleProfile], path: str | os.PathLike, **kw) -> int:
    """Write the samples as a CMF file (atomically); return the number of specimens."""
    samples = list(samples)
    write_atomic(path, cmf_text(samples, **kw))
    return len(samples)
