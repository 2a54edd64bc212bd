"""CODIS Common Message Format (CMF) 3.x XML: specimen profiles in and out.

Followed: the element names of the CODIS STR Import CMF 3.x as the FBI's public "CODIS Rapid
Import Common Message Format" specification (version 1.0, revision 17, 30 April 2019, which
builds on the STR Import CMF 3.3 interface) uses them: a root ``CODISImportFile`` with the header
elements ``HEADERVERSION``, ``MESSAGETYPE``, ``DESTINATIONORI``, ``SOURCELAB``,
``SUBMITBYUSERID``, ``SUBMITDATETIME``, then one ``SPECIMEN`` per profile (attribute
``CASEID``, children ``SPECIMENID``, ``SPECIMENCATEGORY``, ``SPECIMENCOMMENT``), each with one
``LOCUS`` per marker (attributes ``BATCHID``, ``KIT``, ``READINGBY``, ``READINGDATETIME``; child
``LOCUSNAME``) holding ``ALLELE`` elements whose ``ALLELEVALUE`` child is the allele.  The XSD
itself was not available to check against: the writer writes that shape, and the reader is lenient
(no namespace needed; ``SPECIMENID``/``LOCUSNAME``/``ALLELEVALUE`` read as a child element or as
an attribute; ``SOURCEID`` read as the specimen's source when ``SPECIMENID`` is absent).

Reading: alleles are validated as in every other input; an allele written as an off-ladder value
(``<8``, ``>26``, ``OL``) is refused with a named error; more than two alleles at a locus is
refused as a possible mixture; a specimen or a locus given twice is an error.  A file with a
document type declaration or entities is refused (CMF has none; this keeps entity expansion out).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from ..errors import InputError, MarkerError, Problem
from ..genetics.markers import AMELOGENIN, display_name, marker_key, validate_allele
from ._common import (
    ConversionResult,
    SampleProfile,
    is_y_marker,
    known_marker,
    profile_from_alleles,
    read_text,
    write_atomic,
)

__all__ = ["CMF_NAMESPACE", "cmf_text", "read_cmf", "write_cmf"]

#: The default namespace of a CMF 3.x file.
CMF_NAMESPACE = "urn:CODISImportFile-schema"
_OFF_LADDER = re.compile(r"^(ol|[<>]\s*\d.*)$", re.IGNORECASE)
#: Loci the writer names otherwise than Reunite's display name (CODIS writes Amelogenin as AMEL).
_CODIS_NAMES = {AMELOGENIN: "AMEL"}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].upper()


def _child(el: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in el if _local(c.tag) == name), None)


def _value(el: ET.Element, name: str) -> str | None:
    """A child element's text, or else the attribute of that name."""
    c = _child(el, name)
    if c is not None and (c.text or "").strip():
        return c.text.strip()
    for k, v in el.attrib.items():
        if _local(k) == name and v.strip():
            return v.strip()
    return None


def read_cmf(path: str | os.PathLike, *, skip_unknown_markers: bool = False) -> ConversionResult:
    """Read the specimens of a CMF 3.x XML file as profiles (all-or-nothing)."""
    source = str(path)
    text = read_text(path, source)
    if re.search(r"<!\s*(DOCTYPE|ENTITY)", text, re.IGNORECASE):
        raise InputError(Problem("the file declares a document type or entities; a CMF file has none "
                                 "(refused so that no entity is expanded)", file=source))
    try:
        root = ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise InputError(Problem(f"not well-formed XML ({exc.msg if hasattr(exc, 'msg') else exc})",
                                 file=source, line=line)) from None
    if _local(root.tag) != "CODISIMPORTFILE":
        raise InputError(Problem(f"the root element is <{_local(root.tag)}>, not <CODISImportFile>; is this "
                                 f"a CODIS CMF file?", file=source))
    problems: list[Problem] = []
    notes: list[str] = []
    data: dict[str, dict[str, list[str]]] = {}
    y_left: set[str] = set()
    unknown_left: set[str] = set()
    specimens = [el for el in root.iter() if _local(el.tag) == "SPECIMEN"]
    if not specimens:
        raise InputError(Problem("the file holds no <SPECIMEN>", file=source))
    for i, sp in enumerate(specimens, start=1):
        sid = _value(sp, "SPECIMENID") or _value(sp, "SOURCEID")
        where = f"SPECIMEN {i}"
        if not sid:
            problems.append(Problem(f"{where} has no SPECIMENID", file=source, field="SPECIMENID"))
            continue
        if sid in data:
            problems.append(Problem(f"specimen {sid!r} is given twice", file=source, field="SPECIMENID"))
            continue
        genotypes: dict[str, list[str]] = {}
        keys: set[str] = set()
        for loc in (c for c in sp.iter() if _local(c.tag) == "LOCUS"):
            name = _value(loc, "LOCUSNAME")
            if not name:
                problems.append(Problem(f"specimen {sid!r}: a LOCUS has no LOCUSNAME", file=source,
                                        field="LOCUSNAME"))
                continue
            what = f"specimen {sid!r}, locus {name}"
            key = marker_key(name)
            if is_y_marker(key):
                y_left.add(name)
                continue
            if not known_marker(key):
                if skip_unknown_markers:
                    unknown_left.add(name)
                    continue
                problems.append(Problem(f"{what}: not a marker Reunite knows; check its spelling, or skip "
                                        f"unknown markers", file=source, field="LOCUSNAME"))
                continue
            if key in keys:
                problems.append(Problem(f"{what}: the locus is given twice", file=source, field="LOCUSNAME"))
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
                                            f"used in a kinship LR", file=source, field="ALLELEVALUE"))
                    ok = False
                    continue
                try:
                    labels.append(validate_allele(name, v))
                except MarkerError as exc:
                    problems.extend(Problem(f"specimen {sid!r}: {p.message}", file=source, field="ALLELEVALUE")
                                    for p in exc.problems)
                    ok = False
            distinct = list(dict.fromkeys(labels))
            if ok and len(distinct) > 2:
                problems.append(Problem(f"{what}: {len(distinct)} alleles; a single person has at most two: a "
                                        f"possible mixture, so the specimen is refused", file=source,
                                        field="ALLELE"))
            elif ok and distinct:
                genotypes[name] = distinct * 2 if len(distinct) == 1 else distinct
        data[sid] = genotypes
    if problems:
        raise InputError(problems)
    samples = [SampleProfile(s, profile_from_alleles(g, source)) for s, g in data.items() if g]
    empty = [s for s, g in data.items() if not g]
    if empty:
        notes.append(f"{len(empty)} specimen(s) without alleles left out")
    if y_left:
        notes.append(f"Y-chromosomal locus/loci left out: {', '.join(sorted(y_left))}")
    if unknown_left:
        notes.append(f"locus/loci Reunite does not know left out: {', '.join(sorted(unknown_left))}")
    return ConversionResult(samples=samples, notes=notes, source_lab=_value(root, "SOURCELAB"))


def _locus_name(key: str) -> str:
    return _CODIS_NAMES.get(key, display_name(key))


def cmf_text(samples: Iterable[SampleProfile], *, source_lab: str, destination_ori: str,
             category: str = "Unidentified Person", user: str = "", kit: str = "",
             when: dt.datetime | None = None) -> str:
    """The CMF 3.2 XML of the samples (see the module docstring for the elements written)."""
    when = (when or dt.datetime.now(dt.UTC)).replace(microsecond=0, tzinfo=None)
    ET.register_namespace("", CMF_NAMESPACE)
    ns = f"{{{CMF_NAMESPACE}}}"
    root = ET.Element(f"{ns}CODISImportFile")

    def sub(parent, tag, text=None, **attrib):
        el = ET.SubElement(parent, f"{ns}{tag}", {k: v for k, v in attrib.items()})
        if text is not None:
            el.text = text
        return el

    sub(root, "HEADERVERSION", "3.2")
    sub(root, "MESSAGETYPE", "Import")
    sub(root, "DESTINATIONORI", destination_ori)
    sub(root, "SOURCELAB", source_lab)
    sub(root, "SUBMITBYUSERID", user)
    sub(root, "SUBMITDATETIME", when.isoformat())
    for s in samples:
        sp = sub(root, "SPECIMEN", CASEID="")
        sub(sp, "SPECIMENID", s.sample)
        sub(sp, "SPECIMENCATEGORY", category)
        sub(sp, "SPECIMENCOMMENT", "")
        loci = list(s.profile.genotypes.items())
        if s.profile.amelogenin is not None:
            loci.append((AMELOGENIN, s.profile.amelogenin))
        for key, pair in loci:
            loc = sub(sp, "LOCUS", BATCHID="", KIT=kit, READINGBY=user, READINGDATETIME=when.isoformat())
            sub(loc, "LOCUSNAME", _locus_name(key))
            for a in dict.fromkeys(pair):
                al = sub(loc, "ALLELE")
                sub(al, "ALLELEVALUE", a)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_cmf(samples: Iterable[SampleProfile], path: str | os.PathLike, **kw) -> int:
    """Write the samples as a CMF file (atomically); return the number of specimens."""
    samples = list(samples)
    write_atomic(path, cmf_text(samples, **kw))
    return len(samples)
