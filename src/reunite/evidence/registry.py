"""The kinds of evidence, registered in one place.

A kind of evidence is a name (``dna``, ``sex``, ``age``, ``time`` ...), its labels in English and
Chinese, and how it is computed for a pair (a found child and a missing-child report).  Everything
else is generic: the store keeps a candidate's evidence as a list of items keyed by kind (the
``candidate_evidence`` table), the matching computes every registered kind (:func:`compute_items`),
:func:`~reunite.evidence.fusion.fuse` combines them with the prior, and the candidate page and the
lab report's investigative page print one line per item with its LR and its sentence
(:func:`sentence`).  Adding a kind is one call to :func:`register` with a function of this layer;
nothing in the store's schema, the matching, the report or the web page changes.

``compute(found, report, context)`` gets the found child and the report as objects with the
store's attribute names (``FoundChild`` and ``MissingReport`` rows, or anything with the same
attributes: ``sex``, ``age_months``, ``found_on``, ``marks`` ...; a missing attribute reads as
None) and ``context``, a dict of what the matching knows besides (``amelogenin``: the found child's
Amelogenin typing; the models' references; ``face_embeddings``; ``items``: the items of the kinds computed
before this one).  It returns an
:class:`~reunite.evidence.fusion.EvidenceItem` of its kind, or None when the kind does not apply
to the pair (nothing is stored).  ``dna`` is registered without ``compute``: the search index
computes it (:func:`~reunite.evidence.fusion.dna_evidence`, :func:`~reunite.evidence.fusion.from_lr`).
The built-in kinds are registered in :mod:`reunite.evidence.kinds` (imported with the package).

The data an item keeps (``observed``) must be non-identifying: quantities and codes (a delay in
days, a distance, the sexes compared), never a name, a genotype or an address.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from . import fusion
from ._common import fail
from .fusion import H1_ZH, H2_ZH, EvidenceItem, item_sentence, kind_label

__all__ = ["H1_ZH", "H2_ZH", "Kind", "compute_items", "get_kind", "kinds", "label", "order_of", "register",
           "sentence", "unregister"]

Compute = Callable[[object, object, Mapping[str, object]], EvidenceItem | None]


@dataclass(frozen=True)
class Kind:
    """A registered kind of evidence.

    ``dependence`` states how the kind combines with the others (which it is not independent of and
    what the model does about it); it is printed in docs/evidence-model.md and kept with the kind.
    """

    name: str
    label: str
    label_zh: str
    compute: Compute | None = None
    dna: bool = False
    dependence: str = "independent of the other kinds given each hypothesis"
    order: int = 100


_KINDS: dict[str, Kind] = {}


def register(name: str, compute: Compute | None = None, *, label: str, label_zh: str, dna: bool = False,
             dependence: str | None = None, order: int | None = None, replace: bool = False) -> Kind:
    """Register a kind of evidence (see the module); returns it.

    ``order`` places it in lists (DNA first, then by order, then by registration); registering a
    name twice is refused unless ``replace`` is set.
    """
    if not isinstance(name, str) or not name.strip() or name != name.strip().lower():
        raise fail("kind", "must be a lower-case name such as dna, sex, age, time, place")
    if name in _KINDS and not replace:
        raise fail("kind", f"{name} is already registered (pass replace=True to replace it)")
    if compute is not None and not callable(compute):
        raise fail("compute", "must be a function (found, report, context) -> EvidenceItem | None")
    kind = Kind(name, label, label_zh, compute, dna, dependence or Kind.dependence,
                order if order is not None else (_KINDS[name].order if name in _KINDS else 10 * (len(_KINDS) + 1)))
    _KINDS[name] = kind
    fusion._LABELS[name] = (label, label_zh)
    if dna:
        fusion._DNA_KINDS.add(name)
    else:
        fusion._DNA_KINDS.discard(name)
    return kind


def unregister(name: str) -> None:
    """Remove a kind (tests register and remove their own)."""
    if _KINDS.pop(name, None) is not None:
        fusion._LABELS.pop(name, None)
        fusion._DNA_KINDS.discard(name)


def kinds() -> tuple[Kind, ...]:
    """Every registered kind, DNA first, then in their order."""
    return tuple(sorted(_KINDS.values(), key=lambda k: (not k.dna, k.order)))


def get_kind(name: str) -> Kind | None:
    """The kind called ``name``, or None."""
    return _KINDS.get(name)


#: A kind's label in ``lang`` (``en`` or ``zh``); an unregistered kind is labelled by its name.
label = kind_label
#: An item's sentence in ``lang`` (``en`` or ``zh``): what its LR says, with its note.
sentence = item_sentence


def order_of(name: str) -> tuple[bool, int, str]:
    """The sort key of a kind (DNA first, then registered order, unknown kinds last by name)."""
    kind = _KINDS.get(name)
    return (not kind.dna, kind.order, name) if kind is not None else (True, 10 ** 9, name)


def compute_items(found: object, report: object, **context: object) -> list[EvidenceItem]:
    """Every registered non-DNA kind computed for one pair (kinds that do not apply are left out).

    Kinds are computed in their registered order, and each sees the items computed before it in
    ``context["items"]`` (kind → item): a kind that is not independent of an earlier one combines
    with it as its model allows (the face item with the marks item, for instance)."""
    earlier: dict[str, EvidenceItem] = {}
    ctx = {**context, "items": earlier}
    for kind in kinds():
        if kind.compute is None:
            continue
        item = kind.compute(found, report, ctx)
        if item is not None:
            if item.kind != kind.name:
                raise fail("kind", f"the {kind.name} evidence function returned an item of kind {item.kind}")
            earlier[kind.name] = item
    return list(earlier.values())
