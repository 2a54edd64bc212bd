"""The marks likelihood ratio: birthmarks, scars, moles and congenital conditions, matched by prevalence.

Vocabulary
----------
``reunite/data/evidence/marks.json`` is a small controlled vocabulary in Chinese and English:
kinds of birthmark (胎记, 蒙古斑, 鲜红斑痣, 血管瘤, 咖啡斑), marks (痣, 疤痕, 双旋) and congenital
conditions (先天性青光眼, 唇腭裂, 多指/趾, 并指, 耳前瘘管, 副耳), each with its synonyms in both
languages, the body sites it may be given with (头, 脸, 背, 屁股, 手臂 …), its prevalence and its
source.  :func:`parse_marks` reads free text (a report's ``marks`` and ``circumstances``, a found
child's ``marks`` and ``health_conditions``) into :class:`Mark` terms: the longest synonym wins
("先天性青光眼" before "青光眼", "唇腭裂" before "唇裂"), a body site in the same clause is attached
to a sited term, and a term after a negation in its clause ("无", "没有", "未见", "no", "without")
is dropped.  Left and right are not compared (families confuse them on photographs).

Model
-----
For each term t: a child has the feature with probability π_t (its prevalence: at the named site
for a sited term), and a side (the report, the found child's record) writes down a feature the
child has with probability s_t (``p_recorded``: the feature was noticed, diagnosed, has not faded,
was not removed by surgery), independently; nothing is recorded that the child does not have.

* H1 (the same child): both records describe one child.  H2 (another child): two independent children.
* Both record t: P(H1) = π s², P(H2) = (π s)², so LR_t = 1 / π: the rarer the feature, the stronger
  the match (congenital glaucoma, 11 per 100,000 births: LR ≈ 9,000 before the cap).
* One side records t and the other, which does say something (its text is not empty), does not:
  LR_t = (1 − s) / (1 − π s) < 1, a weakening only (never below 1 − s, at least 0.1 for every
  term of the vocabulary): a birthmark fades, a glaucoma is undiagnosed, an extra finger removed.
  A feature that may be ``acquired`` after the child was lost (a scar, a mole) on the found child
  alone gives 1.
* A sited term on one side matches the same term (or its parent, e.g. 胎记 for 蒙古斑) at the same
  site, or without a site (then at the prevalence of the less specific description); at another
  site the report's mark counts as not found.
* A side with no text says nothing: LR 1.  Terms neither side mentions give 1.

The terms are taken as independent and their LRs multiply; the product is capped to
[1 / ``cap``, ``cap``], ``cap`` = 1,000 by default (prevalences come from birth registries, and
children who are found, often abandoned, carry congenital conditions more often than births do,
so an uncapped 1 / π would overstate a match).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from ._bilingual import BilingualItem
from ._common import fail, number

__all__ = ["DEFAULT_CAP", "Mark", "MarkTerm", "Vocabulary", "describe_marks", "facial_matches", "load_vocabulary",
           "mark_name", "marks_lr", "parse_marks"]

#: The cap on the marks LR (the floor is 1 / cap).
DEFAULT_CAP = 1000.0

MODEL = ("each term: prevalence π, recorded with probability s on each side; both record it: LR 1/π; one side "
         "only: LR (1 − s)/(1 − πs); acquired marks on the found child alone and empty records: LR 1; "
         "terms independent, product capped")

_NEGATIONS_ZH = ("没有", "无", "未见", "未发现", "不是", "并无", "否认")
_NEGATIONS_EN = ("no", "not", "without", "none", "never")


@dataclass(frozen=True)
class MarkTerm:
    """One entry of the vocabulary (see ``marks.json``)."""

    id: str
    category: str
    en: tuple[str, ...]
    zh: tuple[str, ...]
    sited: bool
    prevalence: float
    prevalence_unsited: float
    p_recorded: float
    acquired: bool
    assumed: bool
    source: str
    parent: str | None = None
    #: The feature shows on a photograph of the face (a cleft lip, buphthalmos, an ear tag).
    facial: bool = False


@dataclass(frozen=True)
class Mark:
    """A term read from text: the vocabulary ``term`` id and the body ``site`` id (or None)."""

    term: str
    site: str | None = None

    def __str__(self) -> str:
        return f"{self.term}@{self.site}" if self.site else self.term


class Vocabulary:
    """The terms and body sites, with the index used by :func:`parse_marks`."""

    def __init__(self, data: dict):
        self.name = data.get("name", "marks")
        self.terms: dict[str, MarkTerm] = {}
        for t in data["terms"]:
            prev = number(t["prevalence"], f"{t['id']}.prevalence", lo=0.0, hi=1.0, lo_open=True)
            self.terms[t["id"]] = MarkTerm(
                t["id"], t["category"], tuple(t["en"]), tuple(t["zh"]), bool(t.get("sited")), prev,
                number(t.get("prevalence_unsited", prev), f"{t['id']}.prevalence_unsited", lo=0.0, hi=1.0,
                       lo_open=True),
                number(t["p_recorded"], f"{t['id']}.p_recorded", lo=0.0, hi=1.0, lo_open=True, hi_open=True),
                bool(t.get("acquired")), bool(t.get("assumed")), t["source"], t.get("parent"), bool(t.get("facial")))
        self.sites = {s["id"]: (tuple(s["en"]), tuple(s["zh"])) for s in data["sites"]}
        #: How each body site is named to the public ("hand", "手"), else its first synonym.
        self.site_names = {s["id"]: (s.get("name", {}).get("en", s["en"][0]), s.get("name", {}).get("zh", s["zh"][0]))
                           for s in data["sites"]}
        #: Body sites a photograph of the face shows (face, eye, ear).
        self.facial_sites = frozenset(s["id"] for s in data["sites"] if s.get("facial"))
        zh = [(w, t.id) for t in self.terms.values() for w in t.zh]
        en = [(w.lower(), t.id) for t in self.terms.values() for w in t.en]
        self._zh = sorted(zh, key=lambda x: -len(x[0]))
        self._en = sorted(en, key=lambda x: -len(x[0]))
        self._site_zh = sorted(((w, s) for s, (_, z) in self.sites.items() for w in z), key=lambda x: -len(x[0]))
        self._site_en = sorted(((w, s) for s, (e, _) in self.sites.items() for w in e), key=lambda x: -len(x[0]))

    def describe(self) -> str:
        return f"{self.name} ({len(self.terms)} terms, {len(self.sites)} body sites)"


@lru_cache(maxsize=1)
def load_vocabulary() -> Vocabulary:
    """The vocabulary shipped with Reunite (``reunite/data/evidence/marks.json``)."""
    text = resources.files("reunite").joinpath("data/evidence/marks.json").read_text(encoding="utf-8")
    return Vocabulary(json.loads(text))


_CLAUSES = re.compile(r"[，。；;,.!?！？、\n]|\band\b|\bbut\b|但是|而且|并且")


def _find(clause: str, table: list[tuple[str, str]], english: bool) -> list[tuple[int, int, str]]:
    """Non-overlapping matches of a table (longest first) in a clause: (start, end, id)."""
    taken: list[tuple[int, int, str]] = []
    for word, ident in table:
        if english:
            spans = [(m.start(), m.end()) for m in re.finditer(rf"\b{re.escape(word)}s?\b", clause)]
        else:
            spans, i = [], clause.find(word)
            while i >= 0:
                spans.append((i, i + len(word)))
                i = clause.find(word, i + 1)
        for s, e in spans:
            if all(e <= a or b <= s for a, b, _ in taken):
                taken.append((s, e, ident))
    return sorted(taken)


def _negated(clause: str, start: int, english: bool) -> bool:
    before = clause[:start]
    if english:
        words = re.findall(r"[a-z]+", before)
        return any(w in _NEGATIONS_EN for w in words[-4:])
    return any(n in before[-6:] for n in _NEGATIONS_ZH)


def parse_marks(text: str | Sequence[str] | None, *, vocabulary: Vocabulary | None = None) -> tuple[Mark, ...]:
    """The terms of the vocabulary named in free text (Chinese, English or both), each once.

    ``text`` may be a string or several (e.g. a report's marks and circumstances).  A sited term
    takes the body site named in its clause (the nearest one); negated terms are left out.
    """
    vocab = load_vocabulary() if vocabulary is None else vocabulary
    texts = _texts(text, "text")
    found: list[Mark] = []
    for t in texts:
        for clause in _CLAUSES.split(t.lower()):
            if not clause.strip():
                continue
            for english in (False, True):
                terms = _find(clause, vocab._en if english else vocab._zh, english)
                if not terms:
                    continue
                sites = _find(clause, vocab._site_en if english else vocab._site_zh, english)
                sites = [x for x in sites if all(x[1] <= a or b <= x[0] for a, b, _ in terms)]
                for s, _e, term in terms:
                    if _negated(clause, s, english):
                        continue
                    site = None
                    if vocab.terms[term].sited and sites:
                        site = min(sites, key=lambda x: abs(x[0] - s))[2]
                    mark = Mark(term, site)
                    if mark not in found:
                        found.append(mark)
    # a mark without a site adds nothing beside the same term with one
    return tuple(m for m in found if m.site is not None or not any(o.term == m.term and o.site for o in found))


def _texts(value: object, field: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, Sequence) and all(v is None or isinstance(v, str) for v in value):
        return [v for v in value if v and v.strip()]
    raise fail(field, "must be text, a list of texts, or None")


def _related(vocab: Vocabulary, a: str, b: str) -> str | None:
    """The term two ids share (the same, or one the parent of the other), else None."""
    if a == b:
        return a
    if vocab.terms[a].parent == b:
        return b
    if vocab.terms[b].parent == a:
        return a
    return None


def marks_lr(report: str | Sequence[str] | None, found: str | Sequence[str] | None, *,
             report_notes: str | Sequence[str] | None = None, vocabulary: Vocabulary | None = None,
             cap: float = DEFAULT_CAP) -> BilingualItem:
    """The marks LR of a found child against a report (see the module for the model).

    ``report`` is the report's description of the child's marks (its ``marks`` field), ``found``
    the found child's examination record (``marks`` and ``health_conditions``): a string, a list of
    strings, or None.  ``report_notes`` (the report's ``circumstances``) adds the terms it names
    but, being about something else, does not by itself make the report speak about marks.  A side
    that says nothing gives LR 1.  Each term's factor is in ``observed["terms"]``.
    """
    vocab = load_vocabulary() if vocabulary is None else vocabulary
    cap = number(cap, "cap", lo=1.0)
    r_texts, f_texts = _texts(report, "report"), _texts(found, "found")
    notes = _texts(report_notes, "report_notes")
    if notes and parse_marks(notes, vocabulary=vocab):
        r_texts = r_texts + notes
    params = {"vocabulary": vocab.describe(), "cap": cap}
    if not r_texts or not f_texts:
        side, side_zh = ("report", "报告") if not r_texts else ("found child's record", "被寻儿童记录")
        return BilingualItem("marks", 1.0, 0.0, MODEL, params, {"terms": []},
                             f"(The {side} says nothing about marks or conditions, so they say nothing here.)",
                             f"（{side_zh}未描述体征或疾病，体征不提供信息。）")
    r_marks = list(parse_marks(r_texts, vocabulary=vocab))
    f_marks = list(parse_marks(f_texts, vocabulary=vocab))
    factors: list[dict] = []
    used_f: set[int] = set()
    for rm in r_marks:
        match = None
        for j, fm in enumerate(f_marks):
            if j in used_f:
                continue
            shared = _related(vocab, rm.term, fm.term)
            if shared is None:
                continue
            if rm.site and fm.site and rm.site != fm.site:
                continue
            match = (j, shared, rm.site if (rm.site and fm.site) else None)
            if rm.site == fm.site:
                break
        term = vocab.terms[rm.term]
        if match is not None:
            j, shared, site = match
            used_f.add(j)
            t = vocab.terms[shared]
            pi = t.prevalence if (site or not t.sited) else t.prevalence_unsited
            factors.append({"term": shared, "site": site, "outcome": "both", "prevalence": pi, "lr": 1.0 / pi})
        else:
            pi = term.prevalence if (rm.site or not term.sited) else term.prevalence_unsited
            s = term.p_recorded
            factors.append({"term": rm.term, "site": rm.site, "outcome": "report only", "prevalence": pi,
                            "p_recorded": s, "lr": (1.0 - s) / (1.0 - pi * s)})
    for j, fm in enumerate(f_marks):
        if j in used_f:
            continue
        term = vocab.terms[fm.term]
        pi = term.prevalence if (fm.site or not term.sited) else term.prevalence_unsited
        if term.acquired:
            factors.append({"term": fm.term, "site": fm.site, "outcome": "found only, may be acquired",
                            "prevalence": pi, "lr": 1.0})
        else:
            s = term.p_recorded
            factors.append({"term": fm.term, "site": fm.site, "outcome": "found only", "prevalence": pi,
                            "p_recorded": s, "lr": (1.0 - s) / (1.0 - pi * s)})
    log10 = math.fsum(math.log10(f["lr"]) for f in factors)
    capped = abs(log10) > math.log10(cap)
    log10 = max(-math.log10(cap), min(math.log10(cap), log10))
    for f in factors:
        f["lr"] = round(f["lr"], 6)
    observed = {"terms": factors, "report_terms": [str(m) for m in r_marks], "found_terms": [str(m) for m in f_marks],
                "uncapped": not capped}
    both = [f for f in factors if f["outcome"] == "both"]
    one = [f for f in factors if f["outcome"] in ("report only", "found only")]
    if not factors:
        note = "(Neither record names a mark or condition of the vocabulary.)"
        note_zh = "（双方记录均未提及词表中的体征或疾病。）"
        return BilingualItem("marks", 1.0, 0.0, MODEL, params, observed, note, note_zh)
    note = f"({len(both)} mark(s) or condition(s) on both records, {len(one)} on one only"
    note_zh = f"（双方记录共有的体征或疾病 {len(both)} 项，仅一方记录 {len(one)} 项"
    if capped:
        note += f"; the LR is capped at {cap:g}"
        note_zh += f"；似然比上限为 {cap:g}"
    lr = 10.0 ** log10
    return BilingualItem("marks", lr, log10, MODEL, params, observed, note + ".)", note_zh + "。）")


def facial_matches(item: object, *, vocabulary: Vocabulary | None = None) -> tuple[str, ...]:
    """The features a marks item counts as on both records that a photograph of the face also shows
    (a facial term, or any term at a facial site), as ``term`` or ``term@site``; () for anything else.

    The face LR is not independent of them: two children with a cleft lip look alike on that count,
    and the marks LR has already counted it at its prevalence (see :func:`reunite.evidence.face.face_lr`'s
    ``counted_by_marks``)."""
    vocab = load_vocabulary() if vocabulary is None else vocabulary
    observed = getattr(item, "observed", None) or {}
    out = []
    for f in observed.get("terms", ()):
        term = vocab.terms.get(f.get("term"))
        if f.get("outcome") == "both" and term is not None and (term.facial or f.get("site") in vocab.facial_sites):
            out.append(f"{f['term']}@{f['site']}" if f.get("site") else f["term"])
    return tuple(out)


def mark_name(mark: str, lang: str = "en", *, vocabulary: Vocabulary | None = None) -> str:
    """A ``term`` or ``term@site`` (as :func:`facial_matches` gives) in words: "birthmark (face)", "胎记（脸上）"."""
    vocab = load_vocabulary() if vocabulary is None else vocabulary
    term, _, site = mark.partition("@")
    t = vocab.terms.get(term)
    zh = lang == "zh"
    name = (t.zh[0] if zh else t.en[0]) if t is not None else term
    if site and site in vocab.sites:
        where = vocab.sites[site][1 if zh else 0][0]
        return f"{name}（{where}）" if zh else f"{name} ({where})"
    return name


_SIDES = (("left", "左", re.compile(r"\bleft\b|左")), ("right", "右", re.compile(r"\bright\b|右")))


def _side(clause: str) -> tuple[str, str] | None:
    found = [(en, zh) for en, zh, pattern in _SIDES if pattern.search(clause)]
    return found[0] if len(found) == 1 else None


def _said(mark: Mark, side: tuple[str, str] | None, lang: str, vocab: Vocabulary) -> str:
    t = vocab.terms[mark.term]
    zh = lang == "zh"
    name = t.zh[0] if zh else t.en[0]
    if mark.site is None:
        return name
    where = vocab.site_names[mark.site][1 if zh else 0]
    if zh:
        return f"{name}（{side[1] if side else ''}{where}）"
    return f"{name} ({side[0]} {where})" if side else f"{name} ({where})"


@lru_cache(maxsize=4096)
def _describe(text: str, lang: str) -> tuple[str, ...]:
    vocab = load_vocabulary()
    out: list[str] = []
    for clause in (c.strip() for c in _CLAUSES.split(text)):
        if not clause:
            continue
        marks = parse_marks(clause, vocabulary=vocab)
        if not marks:
            words = [clause.strip(" ()（）")]                 # no term of the vocabulary: as typed
        else:
            low = clause.lower()
            side = _side(low)
            # an unsited term (a glaucoma, an extra finger) keeps the one body site its clause names, for
            # the public ("congenital glaucoma (eye, left)"); the LR does not use it
            sites = set()
            for english in (False, True):
                terms = _find(low, vocab._en if english else vocab._zh, english)
                sites |= {x[2] for x in _find(low, vocab._site_en if english else vocab._site_zh, english)
                          if all(x[1] <= a or b <= x[0] for a, b, _ in terms)}      # not inside a term (青光眼)
            words = [_said(m if m.site or len(sites) != 1 else Mark(m.term, next(iter(sites))), side, lang, vocab)
                     for m in marks]
        out.extend(w for w in words if w and w not in out)
    return tuple(out)


def describe_marks(text: str | None, lang: str = "en") -> tuple[str, ...]:
    """Marks typed as free text (an appeal's, in Chinese, English or both) said in the vocabulary's
    words of ``lang`` (``zh`` or ``en``), for the public: each clause that names terms of the vocabulary
    gives their names, with the body site and the side it names ("胎记（右脸上）", "birthmark (face,
    right)"); a clause that names none, or only negated ones ("no scars"), is kept as typed, in the
    language it was typed in.  What a term's clause said beyond the term, site and side (a size, a
    colour) is not repeated.  Each piece once, in the order typed."""
    if lang not in ("zh", "en"):
        raise fail("lang", "must be zh or en")
    return _describe(text, lang) if text and text.strip() else ()
