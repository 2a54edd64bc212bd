"""Lineage evidence for a kinship case: the lineage case format, and combining with the autosomal LR.

A *lineage case* (JSON, the input of ``reunite lineage y|mt``)::

    {"id": "L1",
     "pedigree": [{"id": "GF", "father": null, "mother": null, "sex": "male"}, ...],
     "missing": "C",
     "haplotypes": {"U": {"DYS19": "15", "DYS385": "13,19", ...}},      # Y-STR, typed men
     "sequences":  {"GM": {"range": "16024-16365 73-340", "variants": "16223T 73G"}},   # mtDNA
     "found": {...},                    # the found person's haplotype or sequence, same shape
     "database": "simulated" | "path/to/database.csv",   # relative to the case file
     "alpha": 0.05, "method": "clopper_pearson"}

:func:`evaluate_y_case` / :func:`evaluate_mt_case` find the typed relatives on the missing person's
paternal (maternal) line, evaluate each against the found person, and take the closest one (fewest
meioses; ties: the larger LR is *not* chosen, the first by id is) as the case's lineage LR.  Several
typed men of one line are not combined jointly: they are reported one by one.

:func:`combine_with_autosomal`: lineage markers are inherited independently of the autosomal STRs
(they sit on the Y chromosome or in the mitochondria), so the LRs of one relationship multiply:
log10 LR = log10 LR_autosomal + log10 LR_lineage.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from ..errors import InputError, Problem
from .mtdna import bundled_mt_database, load_mt_database, maternal_relatives, mt_lineage_lr, parse_mt_sequence
from .pedigree import make_pedigree
from .ystr import (
    METHODS,
    Y_METHODS,
    bundled_y_database,
    load_y_database,
    parse_y_haplotype,
    paternal_relatives,
    y_lineage_lr,
)

__all__ = ["combine_with_autosomal", "evaluate_mt_case", "evaluate_y_case", "load_lineage_case"]


def load_lineage_case(path: str | Path) -> dict:
    """Read a lineage case JSON file (validated by the evaluate functions)."""
    path = Path(path)
    try:
        case = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(Problem(f"cannot read the case: {exc}", file=path.name, code="lineage_case_unreadable")) \
            from None
    if not isinstance(case, dict):
        raise InputError(Problem("the case is not a JSON object", file=path.name, code="lineage_case_not_object"))
    case["_dir"] = str(path.parent)
    case["_source"] = path.name
    return case


def _need(case: dict, keys: tuple[str, ...]) -> None:
    missing = [k for k in keys if k not in case]
    if missing:
        raise InputError([Problem(f"the case has no {k!r}", file=case.get("_source"), field=k,
                                   code="lineage_case_no_key", params={"key": k}) for k in missing])


def _db_path(case: dict) -> Path | None:
    db = case.get("database", "simulated")
    if db in (None, "simulated"):
        return None
    p = Path(db)
    p = p if p.is_absolute() else Path(case.get("_dir", ".")) / p
    if not p.is_file():
        raise InputError(Problem(f"the database {db!r} is not a file (give a CSV path relative to the case, "
                                 "or 'simulated')", file=case.get("_source"), field="database",
                                 code="lineage_database_not_file"))
    return p


def evaluate_y_case(case: dict) -> dict:
    """The Y-STR evaluation of a lineage case: the paternal relatives and the LR of each, the closest first."""
    _need(case, ("pedigree", "missing", "haplotypes", "found"))
    src = case.get("_source", "case")
    ped = make_pedigree(case["pedigree"], source=src)
    problems: list[Problem] = []
    haps = {}
    for pid, h in [*case["haplotypes"].items(), (None, case["found"])]:
        if pid is not None and pid not in ped:
            problems.append(Problem(f"haplotype of {pid!r}, who is not in the pedigree", file=src, field="haplotypes",
                                    code="lineage_typed_not_in_pedigree"))
            continue
        try:
            haps[pid] = parse_y_haplotype(h if isinstance(h, dict) else {}, source=f"{src}: {pid or 'found'}")
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    found = haps.pop(None)
    if case.get("method", "clopper_pearson") not in Y_METHODS:
        raise InputError(Problem(f"method {case['method']!r} is not one of {', '.join(Y_METHODS)}", file=src,
                                 field="method", code="lineage_method", params={"methods": ", ".join(Y_METHODS)}))
    path = _db_path(case)
    db = bundled_y_database() if path is None else load_y_database(path)
    rel = paternal_relatives(ped, case["missing"], haps)
    results = [y_lineage_lr(haps[pid], found, m, db, method=case.get("method", "clopper_pearson"),
                            alpha=float(case.get("alpha", 0.05)), relative_id=pid).as_dict() for pid, m in rel]
    not_on_line = sorted(pid for pid in haps if pid not in {r[0] for r in rel})
    out = {"id": case.get("id"), "marker": "Y-STR", "missing": case["missing"], "relatives": results,
           "not_on_the_line": not_on_line, "database": {"source": db.source, "n": len(db), "simulated": db.simulated}}
    out["result"] = results[0] if results else None
    if not results:
        out["sentence"] = {"en": "No typed man of the missing person's paternal line: Y-STRs cannot be used.",
                           "zh": "没有已分型的父系男性亲属，无法使用Y-STR。"}
    else:
        out["sentence"] = results[0]["sentence"]
    return out


def evaluate_mt_case(case: dict) -> dict:
    """The mtDNA evaluation of a lineage case: the maternal relatives and the result of each, the closest first."""
    _need(case, ("pedigree", "missing", "sequences", "found"))
    src = case.get("_source", "case")
    ped = make_pedigree(case["pedigree"], source=src)
    seqs = {}
    problems: list[Problem] = []
    for pid, s in case["sequences"].items():
        if pid not in ped:
            problems.append(Problem(f"sequence of {pid!r}, who is not in the pedigree", file=src, field="sequences",
                                    code="lineage_typed_not_in_pedigree"))
            continue
        s = s if isinstance(s, dict) else {"variants": s}
        try:
            seqs[pid] = parse_mt_sequence(s.get("variants", ""), s.get("range"), source=f"{src}: {pid}")
        except InputError as exc:
            problems += exc.problems
    f = case["found"] if isinstance(case["found"], dict) else {"variants": case["found"]}
    try:
        found = parse_mt_sequence(f.get("variants", ""), f.get("range"), source=f"{src}: found")
    except InputError as exc:
        problems += exc.problems
    if problems:
        raise InputError(problems)
    if case.get("method", "clopper_pearson") not in METHODS:
        raise InputError(Problem(f"method {case['method']!r} is not one of {', '.join(METHODS)} for mtDNA",
                                 file=src, field="method", code="lineage_method",
                                 params={"methods": ", ".join(METHODS)}))
    path = _db_path(case)
    db = bundled_mt_database() if path is None else load_mt_database(path)
    rel = maternal_relatives(ped, case["missing"], seqs)
    results = [mt_lineage_lr(seqs[pid], found, db, method=case.get("method", "clopper_pearson"),
                             alpha=float(case.get("alpha", 0.05)), relative_id=pid, meioses=m).as_dict()
               for pid, m in rel]
    out = {"id": case.get("id"), "marker": "mtDNA", "missing": case["missing"], "relatives": results,
           "not_on_the_line": sorted(pid for pid in seqs if pid not in {r[0] for r in rel}),
           "database": {"source": db.source, "n": len(db), "simulated": db.simulated}}
    out["result"] = results[0] if results else None
    out["sentence"] = results[0]["sentence"] if results else {
        "en": "No typed relative of the missing person's maternal line: mtDNA cannot be used.",
        "zh": "没有已分型的母系亲属，无法使用线粒体DNA。"}
    return out


def combine_with_autosomal(log10_autosomal: float, log10_lineage: float, *, marker: str = "Y-STR") -> dict:
    """The combined log10 LR of one relationship from the autosomal and a lineage LR, with a sentence.

    The markers are inherited independently, so the LRs multiply (the log10 LRs add).  A lineage
    exclusion (log10 = −inf) makes the combined LR 0.
    """
    if math.isnan(log10_autosomal) or math.isnan(log10_lineage):
        raise ValueError("a log10 LR is NaN")
    total = log10_autosomal + log10_lineage
    zh_marker = {"Y-STR": "Y-STR", "mtDNA": "线粒体DNA"}.get(marker, marker)
    if total == -math.inf:
        en = (f"The {marker} result excludes this line, so the combined LR is 0 whatever the autosomal STRs show.")
        zh = f"{zh_marker}结果排除了该亲缘线，合并似然比为0。"
        return {"log10_lr": None, "lr": 0.0, "sentence": {"en": en, "zh": zh}}
    en = (f"The autosomal STRs (log10 LR {log10_autosomal:.2f}) and the {marker} haplotype (log10 LR "
          f"{log10_lineage:.2f}) are inherited independently, so their LRs multiply: combined log10 LR "
          f"{total:.2f}.  This assumes the two are independent, as they are for unlinked markers.")
    zh = (f"常染色体STR（log10 LR {log10_autosomal:.2f}）与{zh_marker}（log10 LR {log10_lineage:.2f}）独立遗传，"
          f"二者似然比相乘：合并 log10 LR 为 {total:.2f}（基于二者相互独立的假设）。")
    return {"log10_lr": total, "lr": 10 ** total if total < 308 else math.inf, "sentence": {"en": en, "zh": zh}}
