"""Familias ``.fam`` files: a kinship case in and out, so that a lab can check a Reunite LR in
Familias (Egeland, Mostad, Mevåg and Stenersen, Forensic Sci Int 110 (2000) 47–59).

The layout followed is the one the pedsuite's pedFamilias package reads (``readFam``) and writes
(``writeFam``) for Familias 3 (github.com/magnusdv/pedFamilias, R/readFam.R and R/writeFam.R):
one value per line, text in double quotes, flags ``#TRUE#``/``#FALSE#``::

    "Output from Familias, version 3.2.8"     two header lines and the version
    "…"
    3.2.8
    ""                                        (an empty line, optional)
    N                                         the number of persons, then per person:
    "name"  #FALSE#  -1  #FALSE#  #TRUE#|#FALSE# (male|female)  K  and K triples
            allele index 1, allele index 2, marker index (all 0-based into the database)
    "Known relations"  F  M  R  and R pairs (parent index, child index): relations and extra
            females/males common to every pedigree
    P                                         the number of pedigrees, then per pedigree:
    index  "name"  F  M  R  and R pairs       its extra females and males and its relations
    #FALSE# (#Databases: 1 ;Theta/Kinship/Fst: θ )
    L  #TRUE#  "database name"                the number of loci, then per locus:
    "name"  rate♀  rate♂  model♀  model♂  n+silent  range♀  range♂  rate2♀  rate2♂
    #FALSE# (silent allele)  0  "n<TAB>(DatabaseSize = …)"  and n pairs "allele" frequency

Mutation model codes: 0 equal, 1 proportional, 2 stepwise (unstationary), 3 stepwise
(stationary), 4 extended stepwise; 2 and 4 are read as pedmut's ``stepwise`` with the file's
rate, rate2 and range (as ``readFam`` does); 3 needs a stationarity adjustment Reunite does not
make and is refused.  Not supported (a named error): silent alleles, Familias' "rest allele", twins
("Direct" relations), files with precomputed probabilities, the DVI module's ``[DVI]`` section.
Dropout settings are ignored with a note.  A parent without the other parent gets an untyped
founder (``added_1`` …), as pedFamilias does.

**Hypotheses.**  Reunite's H1 is "the found person is the missing member", its H2 "the found
person is unrelated to the family, which keeps its pedigree with the missing member untyped".  On
import the found person is the typed person who has relations in one pedigree (H1) and none in the
other (H2); give ``found``/``h1``/``h2`` when that is ambiguous.  The case is H1 with the found
person as its missing member.  The file's H2 is compared, up to untyped leaves and the naming of
untyped persons, with Reunite's H2; if it differs (e.g. a paternity file whose H2 leaves everyone
unrelated) the import says so in a note: Reunite's LR is always against its own H2.  On export
H1 is the case's pedigree and H2 the same pedigree with an untyped extra person of the missing
member's sex in the missing member's place and the found person (named as the missing member)
unrelated, so that Familias computes exactly Reunite's LR.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..errors import InputError, MarkerError, Problem
from ..genetics import KinshipCase
from ..genetics.frequencies import DEFAULT_NEW_ALLELE_FREQ
from ..genetics.kinship import observed_alleles
from ..genetics.markers import is_amelogenin, validate_allele
from ..genetics.mutation import MutationModel, SexSpecificMutation
from ._common import read_text, write_atomic

__all__ = ["FamiliasCase", "fam_text", "read_fam", "write_fam"]

_STEPWISE_CODES = (2, 4)
_MODEL_NAMES = {0: "equal", 1: "proportional", 2: "stepwise", 3: "stepwise (stationary)", 4: "stepwise"}
ADDED_PREFIX = "added_"


@dataclass
class FamiliasCase:
    """An imported ``.fam``: the kinship case (Reunite's JSON case format) and notes."""

    case: dict
    notes: list[str] = field(default_factory=list)
    pedigrees: list[str] = field(default_factory=list)
    #: The line of each person's name in the file (for errors that name a person's line).
    person_lines: dict[str, int] = field(default_factory=dict)
    #: The line of each person's genotype at each locus: ``{(person, locus name): line}``.
    genotype_lines: dict[tuple[str, str], int] = field(default_factory=dict)


class _Lines:
    """The file's lines, read one at a time with the line number kept for errors."""

    def __init__(self, text: str, source: str):
        self.lines = text.splitlines()
        self.source = source
        self.i = 0

    def error(self, message: str, line: int | None = None, *, code: str, **params) -> InputError:
        """The problem at ``line`` (the current one by default); ``code`` and ``params`` say it in another
        language (the catalogues' ``problem.<code>``): no person's name, no typed value in ``params``."""
        return InputError(Problem(message, file=self.source, line=line if line is not None else self.i,
                                  code=code, params=params))

    def next(self, what: str) -> str:
        if self.i >= len(self.lines):
            raise self.error(f"the file ends where {what} was expected", len(self.lines), code="fam_ends")
        raw = self.lines[self.i].strip()
        self.i += 1
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = raw[1:-1]
        return raw

    def int(self, what: str, lo: int = 0, hi: int | None = None) -> int:
        v = self.next(what)
        try:
            n = int(v)
        except ValueError:
            raise self.error(f"expected {what} (a whole number), found {v!r}", code="fam_not_whole") from None
        if n < lo or (hi is not None and n > hi):
            if hi is not None:
                raise self.error(f"{what} must be between {lo} and {hi}, found {n}", code="fam_range", lo=lo, hi=hi)
            raise self.error(f"{what} must be at least {lo}, found {n}", code="fam_at_least", lo=lo)
        return n

    def float(self, what: str) -> float:
        v = self.next(what)
        try:
            return float(v)
        except ValueError:
            raise self.error(f"expected {what} (a number), found {v!r}", code="fam_not_number") from None

    def flag(self, what: str) -> bool:
        v = self.next(what)
        if v not in ("#TRUE#", "#FALSE#"):
            raise self.error(f"expected {what} (#TRUE# or #FALSE#), found {v!r}", code="fam_not_flag")
        return v == "#TRUE#"


def _relations(lines: _Lines, n: int, where: str) -> list[tuple[int, int, int]]:
    out = []
    for _ in range(n):
        v = lines.next(f"a parent index in {where}")
        if "direct" in v.lower():
            raise lines.error("the file holds twins (a 'Direct' relation); Reunite does not support twins",
                              code="fam_twins")
        try:
            parent = int(v)
        except ValueError:
            raise lines.error(f"expected a parent index in {where}, found {v!r}", code="fam_parent_index") from None
        line = lines.i
        child = lines.int(f"a child index in {where}")
        out.append((parent, child, line))
    return out


def _model(code: int, rate: float, rate2: float, rng: float) -> dict:
    if code in _STEPWISE_CODES:
        if rate == 0 and rate2 == 0:
            return {"model": "trivial"}
        return {"model": "stepwise", "rate": rate, "rate2": rate2, "range": rng}
    if rate == 0:
        return {"model": "trivial"}
    return {"model": _MODEL_NAMES[code], "rate": rate}


def read_fam(path: str | os.PathLike, *, found: str | None = None, h1: str | None = None,
             h2: str | None = None) -> FamiliasCase:
    """Read a Familias ``.fam`` file into a kinship case (see the module docstring)."""
    source = str(path)
    text = read_text(path, source)
    if any(line.strip() == "[DVI]" for line in text.splitlines()):
        raise InputError(Problem("the file holds a DVI section ([DVI]); Reunite reads Familias' "
                                 "standard (pedigree) cases only", file=source, code="fam_dvi"))
    L = _Lines(text, source)
    notes: list[str] = []
    L.next("the header line")
    L.next("the second header line")
    version = L.next("the Familias version")
    v = L.next("the number of persons")
    if v == "":
        v = L.next("the number of persons")
    try:
        nid = int(v)
    except ValueError:
        raise L.error(f"expected the number of persons, found {v!r}", code="fam_persons") from None

    names: list[str] = []
    males: list[bool] = []
    raw_geno: list[list[tuple[int, int, int, int]]] = []
    dropout = []
    person_lines: dict[str, int] = {}
    for _ in range(nid):
        name = L.next("a person's name")
        person_lines.setdefault(name, L.i)
        if not name:
            raise L.error("a person's name is empty", code="fam_name_empty")
        L.next(f"the first flag of person {name!r}")
        if "consider dropouts" in L.next(f"the dropout setting of person {name!r}").lower():
            dropout.append(name)
        L.next(f"the third flag of person {name!r}")
        males.append(L.flag(f"the sex of person {name!r} (#TRUE# for male)"))
        k = L.int(f"the number of typed markers of person {name!r}")
        g = []
        for _ in range(k):
            a1 = L.int(f"an allele index of person {name!r}")
            a2 = L.int(f"an allele index of person {name!r}")
            m = L.int(f"a marker index of person {name!r}")
            g.append((a1, a2, m, L.i))
        names.append(name)
        raw_geno.append(g)
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        raise InputError(Problem(f"person name(s) {', '.join(map(repr, dups))} appear twice", file=source,
                                 code="fam_names_twice", params={"n": len(dups)}))
    if dropout:
        notes.append(f"dropout settings of {', '.join(dropout)} ignored (Reunite does not model dropout)")

    if L.next("'Known relations'") != "Known relations":
        raise L.error("expected the line \"Known relations\"", code="fam_known_relations")
    g_fem, g_mal = L.int("the number of extra females"), L.int("the number of extra males")
    g_rel = _relations(L, L.int("the number of known relations"), "the known relations")
    n_ped = L.int("the number of pedigrees")
    peds: list[tuple[str, int, int, list[tuple[int, int, int]]]] = []
    for _ in range(n_ped):
        L.int("a pedigree index")
        pname = L.next("a pedigree name")
        f, m = L.int(f"the extra females of pedigree {pname!r}"), L.int(f"the extra males of pedigree {pname!r}")
        rel = _relations(L, L.int(f"the number of relations of pedigree {pname!r}"), f"pedigree {pname!r}")
        peds.append((pname, f, m, rel))

    db_line = L.next("the database line")
    if db_line.startswith("#TRUE#"):
        raise L.error("the file holds precomputed probabilities; Reunite does not read them", code="fam_precomputed")
    mt = re.search(r"Theta/Kinship/Fst:\s*([0-9.eE+-]+)", db_line)
    theta = float(mt.group(1)) if mt else 0.0
    n_loc = L.int("the number of loci")
    if L.flag("whether the database has a name"):
        L.next("the database name")

    problems: list[Problem] = []
    loci: list[tuple[str, list[str]]] = []
    frequencies: dict[str, dict[str, float]] = {}
    models: dict[str, dict] = {}
    for _ in range(n_loc):
        lname = L.next("a locus name")
        line0 = L.i
        rf, rm = L.float(f"the female mutation rate of {lname}"), L.float(f"the male mutation rate of {lname}")
        cf = L.int(f"the female mutation model of {lname} (0-4)", 0, 4)
        cm = L.int(f"the male mutation model of {lname} (0-4)", 0, 4)
        L.int(f"the number of alleles of {lname}")
        gf, gm = L.float(f"the female range of {lname}"), L.float(f"the male range of {lname}")
        r2f, r2m = L.float(f"the female rate2 of {lname}"), L.float(f"the male rate2 of {lname}")
        if L.flag(f"whether {lname} has a silent allele"):
            raise L.error(f"locus {lname} has a silent allele; Reunite does not support silent alleles",
                              code="fam_silent_allele", locus=lname)
        L.float(f"the silent allele frequency of {lname}")
        info = L.next(f"the allele count of {lname}")
        try:
            n_all = int(info.split("\t")[0].split()[0])
        except (ValueError, IndexError):
            raise L.error(f"expected the number of alleles of {lname}, found {info!r}", code="fam_allele_count",
                          locus=lname) from None
        alleles: list[str] = []
        freqs: dict[str, float] = {}
        for _ in range(n_all):
            a = L.next(f"an allele of {lname}")
            line = L.i
            fr = L.float(f"the frequency of allele {a!r} of {lname}")
            if a.lower().startswith("rest"):
                problems.append(Problem(f"locus {lname}: Familias' rest allele {a!r} is not supported; give "
                                        f"the alleles one by one", file=source, line=line - 1,
                                        code="fam_rest_allele", params={"locus": lname}))
                alleles.append(a)
                continue
            try:
                label = validate_allele(lname, a)
            except MarkerError as exc:
                problems.extend(dataclasses.replace(p, file=source, line=line - 1, field=None) for p in exc.problems)
                alleles.append(a)
                continue
            if label in freqs:
                problems.append(Problem(f"locus {lname}: allele {label!r} is given twice", file=source, line=line - 1,
                                        code="fam_allele_twice", params={"locus": lname}))
            alleles.append(label)
            freqs[label] = fr
        if 3 in (cf, cm):
            problems.append(Problem(f"locus {lname}: the stationary stepwise model (code 3) is not supported "
                                    f"(Reunite makes no stationarity adjustment); use the extended stepwise "
                                    f"model (4)", file=source, line=line0 + 2,
                                    code="fam_stationary", params={"locus": lname}))
        female = _model(cf, rf, r2f, gf)
        male = _model(cm, rm, r2m, gm)
        models[lname] = female if female == male else {"female": female, "male": male}
        loci.append((lname, alleles))
        frequencies[lname] = freqs
    if problems:
        raise InputError(problems)

    # Genotypes as labels.
    genotypes: dict[str, dict[str, list[str]]] = {}
    genotype_lines: dict[tuple[str, str], int] = {}
    for name, g in zip(names, raw_geno, strict=True):
        for a1, a2, m, line in g:
            if m >= len(loci):
                problems.append(Problem(f"person {name!r}: marker index {m} but the database has {len(loci)} loci",
                                        file=source, line=line, code="fam_marker_index",
                                        params={"index": m, "loci": len(loci)}))
                continue
            lname, als = loci[m]
            if a1 >= len(als) or a2 >= len(als):
                problems.append(Problem(f"person {name!r}, locus {lname}: allele index beyond the {len(als)} "
                                        f"alleles of the database", file=source, line=line,
                                        code="fam_allele_index", params={"locus": lname, "n": len(als)}))
                continue
            genotypes.setdefault(name, {})[lname] = [als[a1], als[a2]]
            genotype_lines[name, lname] = line - 2

    # Persons of every pedigree: the named ones, the common extras, the pedigree's own extras.
    base_sex = ["male" if m else "female" for m in males] + ["female"] * g_fem + ["male"] * g_mal
    counter = [0]

    def new_id() -> str:
        while True:
            counter[0] += 1
            cand = f"{ADDED_PREFIX}{counter[0]}"
            if cand not in names:
                return cand

    common_ids = names + [new_id() for _ in range(g_fem + g_mal)]
    hyp: dict[str, dict] = {}
    for pname, f, m, rel in peds:
        ids = common_ids + [new_id() for _ in range(f + m)]
        sex = base_sex + ["female"] * f + ["male"] * m
        father: dict[str, str] = {}
        mother: dict[str, str] = {}
        related: set[str] = set()
        for parent, child, line in g_rel + rel:
            if parent >= len(ids) or child >= len(ids) or parent == child:
                problems.append(Problem(f"pedigree {pname!r}: relation {parent} -> {child} names no valid pair "
                                        f"of persons", file=source, line=line,
                                        code="fam_relation", params={"parent": parent, "child": child}))
                continue
            p, c = ids[parent], ids[child]
            book = father if sex[parent] == "male" else mother
            if c in book and book[c] != p:
                problems.append(Problem(f"pedigree {pname!r}: person {c!r} has two "
                                        f"{'fathers' if book is father else 'mothers'}", file=source, line=line,
                                        code="fam_two_fathers" if book is father else "fam_two_mothers"))
                continue
            book[c] = p
            related.update((p, c))
        hyp[pname] = {"ids": ids, "sex": dict(zip(ids, sex, strict=True)), "father": father,
                      "mother": mother, "related": related}
    if problems:
        raise InputError(problems)

    typed = [n for n in names if genotypes.get(n)]
    h1_name, h2_name, found = _choose(hyp, [p[0] for p in peds], typed, found, h1, h2, source)
    H1 = hyp[h1_name]
    pedigree = _complete(H1, new_id, keep=set(typed))
    others = {n: genotypes[n] for n in typed if n != found}
    mutation = _mutation(models)
    case = {
        "id": Path(source).stem,
        "description": (f"imported from the Familias {version} file {Path(source).name}: H1 = pedigree "
                        f"{h1_name!r} with {found!r} as the missing member"),
        "frequencies": frequencies,
        "mutation": mutation,
        "theta": theta,
        "pedigree": pedigree,
        "genotypes": others,
        "missing": found,
        "found": genotypes[found],
    }
    # Is the file's H2 Reunite's H2?
    keep = set(typed) - {found}
    reunite_h2 = _canonical(_complete(H1, _fresh(), keep=keep), keep)
    file_h2 = _canonical([p for p in _complete(hyp[h2_name], _fresh(), keep=keep) if p["id"] != found], keep)
    if reunite_h2 != file_h2:
        notes.append(f"the file's H2 (pedigree {h2_name!r}) is not Reunite's H2 (the family as in H1 with "
                     f"{found!r} untyped, and the found person unrelated); Reunite's LR is against its own H2, "
                     f"so it may differ from the LR Familias gives for these two pedigrees")
    if theta:
        notes.append(f"theta {theta:g} read from the database line (Reunite applies it by pedprobr's "
                     f"convention; Familias' own convention was not checked)")
    return FamiliasCase(case=case, notes=notes, pedigrees=[p[0] for p in peds], person_lines=person_lines,
                        genotype_lines=genotype_lines)


def _fresh():
    n = [0]

    def new_id() -> str:
        n[0] += 1
        return f"\x00{n[0]}"

    return new_id


def _choose(hyp, order, typed, found, h1, h2, source):
    for given, label in ((h1, "--h1"), (h2, "--h2")):
        if given is not None and given not in hyp:
            raise InputError(Problem(f"{label}: no pedigree is named {given!r} (the file has "
                                     f"{', '.join(map(repr, order))})", file=source, code="fam_no_pedigree",
                                     params={"option": label}))
    if h1 is not None and h2 is not None:
        pairs = [(h1, h2)]
    elif h1 is not None:
        pairs = [(h1, o) for o in order if o != h1]
    elif h2 is not None:
        pairs = [(o, h2) for o in order if o != h2]
    elif len(order) == 2:
        pairs = [(order[0], order[1]), (order[1], order[0])]
    else:
        raise InputError(Problem(f"the file has {len(order)} pedigrees; name H1 and H2 (--h1, --h2)", file=source,
                                 code="fam_pedigrees", params={"n": len(order)}))
    if found is not None and found not in typed:
        raise InputError(Problem(f"--found: {found!r} is not a typed person of the file", file=source,
                                 code="fam_found_untyped"))
    options = []
    for a, b in pairs:
        for p in typed:
            if (found is None or p == found) and p in hyp[a]["related"] and p not in hyp[b]["related"]:
                options.append((a, b, p))
    if len(options) == 1:
        return options[0]
    if not options:
        raise InputError(Problem("no typed person is related to the family in one pedigree (H1) and unrelated "
                                 "in the other (H2); Reunite's case needs such a found person (give --found, "
                                 "--h1 and --h2)", file=source, code="fam_no_found"))
    raise InputError(Problem("several readings of the file are possible: " + "; ".join(
        f"found {p!r} with H1 {a!r}" for a, _, p in options) + "; give --found (and --h1, --h2)", file=source,
        code="fam_readings", params={"n": len(options)}))


def _complete(H: dict, new_id, keep: set[str]) -> list[dict]:
    """The pedigree records of a hypothesis: every related person and every person in ``keep``;
    a child with one parent gets an untyped founder as the other."""
    father, mother, sex = dict(H["father"]), dict(H["mother"]), dict(H["sex"])
    for c in sorted(set(father) | set(mother), key=H["ids"].index):
        if c in father and c not in mother:
            mother[c] = new_id()
            sex[mother[c]] = "female"
        elif c in mother and c not in father:
            father[c] = new_id()
            sex[father[c]] = "male"
    members = [i for i in H["ids"] if i in H["related"] or i in keep]
    members += [p for c in members for p in (father.get(c), mother.get(c)) if p is not None and p not in H["ids"]]
    members = list(dict.fromkeys(members))
    return [{"id": i, "father": father.get(i), "mother": mother.get(i), "sex": sex[i]} for i in members]


def _canonical(records: list[dict], typed: set[str]) -> frozenset:
    """A pedigree up to its untyped leaves and the names of its untyped persons: untyped persons
    without children are removed (repeatedly); the rest are labelled in the order a walk from the
    typed persons (sorted by id, father before mother) first reaches them."""
    recs = {r["id"]: r for r in records}
    while True:
        parents = {p for r in recs.values() for p in (r["father"], r["mother"]) if p}
        drop = [i for i in recs if i not in typed and i not in parents]
        if not drop:
            break
        for i in drop:
            del recs[i]
    roots = sorted(i for i in recs if i in typed)
    label: dict[str, str] = {i: i for i in roots}

    def visit(i: str) -> None:
        for p in (recs[i]["father"], recs[i]["mother"]):
            if p and p not in label:
                label[p] = f"\x00u{len(label)}"
                visit(p)

    for i in roots:
        visit(i)
    return frozenset((label.get(i, i), r["sex"], label.get(r["father"]) if r["father"] else None,
                      label.get(r["mother"]) if r["mother"] else None) for i, r in recs.items())


def _mutation(models: dict[str, dict]) -> dict | None:
    if all(m == {"model": "trivial"} for m in models.values()):
        return None
    distinct = {repr(m) for m in models.values()}
    if len(distinct) == 1:
        return next(iter(models.values()))
    return {"per_marker": models, "default": None}


# --- export -------------------------------------------------------------------------------------

def _code(model: MutationModel, marker: str) -> tuple[int, float, float, float]:
    """(Familias model code, rate, range, rate2) of a model."""
    if model.model == "equal":
        return 0, model.rate, 0.0, 0.0
    if model.model == "proportional":
        return 1, model.rate, 0.0, 0.0
    if model.model == "stepwise":
        return 4, model.rate, model.range, model.rate2
    if model.model == "trivial":
        return 0, 0.0, 0.0, 0.0
    raise InputError(Problem(f"marker {marker}: the {model.model} mutation model has no Familias equivalent "
                             f"(Familias has equal, proportional and stepwise)", field="mutation",
                             code="fam_model", params={"marker": marker, "model": model.model}))


def _num(x: float) -> str:
    return repr(float(x))


def fam_text(case: KinshipCase, *, new_allele_freq: float = DEFAULT_NEW_ALLELE_FREQ,
             version: str = "3.2.8") -> tuple[str, list[str]]:
    """The ``.fam`` text of a kinship case and notes (see the module docstring)."""
    notes: list[str] = []
    table = case.frequencies
    profiles = {pid: p for pid, p in case.profiles.items() if pid != case.missing}
    everyone = {**profiles, case.missing: case.found}
    problems: list[Problem] = []
    unknown_found = [case.found.names.get(k, k) for k in case.found.genotypes if k not in table.markers]
    if unknown_found:
        problems.append(Problem(f"marker(s) {', '.join(unknown_found)} of the found person are not in the "
                                f"frequency table {table.name!r}", field="found", code="fam_found_markers",
                                params={"markers": ", ".join(unknown_found), "table": table.name}))
    left = sorted({p.names.get(k, k) for p in profiles.values() for k in p.genotypes if k not in table.markers})
    if left:
        notes.append(f"relatives' marker(s) not in the frequency table left out: {', '.join(left)}")
    observed = observed_alleles(case)
    table = table.with_alleles(observed, new_allele_freq)
    if table.added:
        notes.append("alleles absent from the table added at frequency "
                     f"{new_allele_freq:g} (as Reunite's LR does): " + "; ".join(
                         f"{table.markers[k].name}: {', '.join(v)}" for k, v in table.added.items()))
    keys = []
    for k, mf in table.markers.items():
        if mf.is_x:
            if k in observed:
                problems.append(Problem(f"marker {mf.name} is X-chromosomal; Familias treats every marker as "
                                        f"autosomal (use pedtools for X markers)", field=mf.name, code="fam_x_marker",
                                        params={"marker": mf.name}))
            else:
                notes.append(f"X-chromosomal marker {mf.name} (nobody typed) left out")
            continue
        keys.append(k)
    if problems:
        raise InputError(problems)
    index = {k: i for i, k in enumerate(keys)}
    ids = list(case.pedigree.persons)
    pos = {pid: i for i, pid in enumerate(ids)}
    out: list[str] = []

    def add(*vals) -> None:
        out.extend(str(v) for v in vals)

    def q(s: str) -> str:
        return f'"{s}"'

    add(q(f"Output from Familias, version {version}"), q(f"(written by Reunite {__version__})"), version, q(""),
        len(ids))
    unknown_sex = []
    for pid in ids:
        person = case.pedigree[pid]
        if person.sex == "unknown":
            unknown_sex.append(pid)
        add(q(pid), "#FALSE#", -1, "#FALSE#", "#TRUE#" if person.sex == "male" else "#FALSE#")
        prof = everyone.get(pid)
        trip = []
        if prof is not None:
            for k in keys:
                if k in prof.genotypes and not is_amelogenin(k):
                    mf = table.markers[k]
                    a, b = prof.genotypes[k]
                    trip.extend([mf.index(a), mf.index(b), index[k]])
        add(len(trip) // 3, *trip)
    if unknown_sex:
        notes.append(f"person(s) of unknown sex written as female (Familias has no unknown sex; the autosomal "
                     f"LR does not depend on it): {', '.join(unknown_sex)}")
    add(q("Known relations"), 0, 0, 0, 2)
    rel1 = []
    for pid in ids:
        p = case.pedigree[pid]
        if p.father is not None:
            rel1 += [(pos[p.father], pos[pid]), (pos[p.mother], pos[pid])]
    add(0, q("H1"), 0, 0, len(rel1), *[x for pair in rel1 for x in pair])
    m = pos[case.missing]
    if any(m in pair for pair in rel1):
        extra = len(ids)
        rel2 = [tuple(extra if x == m else x for x in pair) for pair in rel1]
        female = case.pedigree[case.missing].sex != "male"
        add(1, q("H2"), 1 if female else 0, 0 if female else 1, len(rel2), *[x for pair in rel2 for x in pair])
    else:
        add(1, q("H2"), 0, 0, len(rel1), *[x for pair in rel1 for x in pair])
    add(f"#FALSE# (#Databases: 1 ;Theta/Kinship/Fst: {case.theta!r} )", len(keys), "#TRUE#", q(table.name))
    for k in keys:
        mf = table.markers[k]
        spec = case.mutation.for_marker(mf.name) if case.mutation is not None else None
        trivial = MutationModel("trivial")
        sm = spec if isinstance(spec, SexSpecificMutation) else SexSpecificMutation(trivial, trivial)
        cf, rf, gf, r2f = _code(sm.female, mf.name)
        cm, rm, gm, r2m = _code(sm.male, mf.name)
        n = len(mf.alleles)
        add(q(mf.name), _num(rf), _num(rm), cf, cm, n, _num(gf), _num(gm), _num(r2f), _num(r2m), "#FALSE#", 0,
            f"{n}\t(DatabaseSize = 1000 , Dropout probability = 0 , Minor allele frequency = 0 )")
        for a, f in zip(mf.alleles, mf.freqs, strict=True):
            add(q(a), _num(f))
    notes.append(f"H1 = the pedigree with {case.missing!r} as the found person; H2 = the same family with an "
                 f"untyped person in {case.missing!r}'s place and the found person unrelated")
    return "\n".join(out) + "\n", notes


def write_fam(case: KinshipCase, path: str | os.PathLike, **kw) -> list[str]:
    """Write the case as a ``.fam`` file (atomically); return the notes."""
    text, notes = fam_text(case, **kw)
    write_atomic(path, text)
    return notes
