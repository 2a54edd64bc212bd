"""A pedigree drawn the conventional way, as shapes and lines in abstract units.

Squares are males, circles females, diamonds unknown sex; typed members are filled; a member typed
only at lineage markers (a Y-STR haplotype, an mtDNA sequence: no autosomal STR, so not in the
autosomal LR) is filled grey with ``Y`` or ``mt`` in the symbol; the missing member (where the found
child is placed under H1) is marked.  A couple is joined by a line at
mid-height, a line drops from its middle to a sibship line above the children, and a line rises
to each child.  The layout is by generation (founders marrying into the family sit beside their
spouse) and is meant for the pedigrees of reference families, up to a few dozen members.

:func:`draw_pedigree` returns a :class:`PedigreeDrawing`; the HTML report turns it into inline
SVG and the PDF report into lines, rectangles and ellipses.  One unit is a symbol's size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..genetics import Pedigree

__all__ = ["Node", "PedigreeDrawing", "draw_pedigree", "layout_pedigree"]

#: Horizontal distance between the centres of spouses, and between neighbouring groups.
SPOUSE_GAP = 1.9
GROUP_GAP = 2.3
#: Vertical distance between generations (symbol, two label lines, lines to the children).
ROW_GAP = 2.9
MARGIN = 1.2


@dataclass(frozen=True)
class Node:
    """One member's symbol: centre ``(x, y)``, size 1."""

    id: str
    x: float
    y: float
    sex: str
    typed: bool
    missing: bool
    label: str = ""
    #: Typed only at lineage markers: ``"Y"`` (Y-STR), ``"mt"`` (mtDNA) or ``"Y+mt"``; ``""`` otherwise.
    lineage: str = ""


@dataclass(frozen=True)
class PedigreeDrawing:
    """Symbols and line segments ``(x1, y1, x2, y2)`` within ``width`` x ``height`` units."""

    nodes: tuple[Node, ...]
    lines: tuple[tuple[float, float, float, float], ...]
    width: float
    height: float


def _generations(ped: Pedigree, spouses: Mapping[str, set[str]]) -> dict[str, int]:
    gen = dict.fromkeys(ped.order, 0)
    for _ in range(len(ped) + 2):
        changed = False
        for pid in ped.order:
            p = ped[pid]
            g = max(gen[p.father], gen[p.mother]) + 1 if p.father is not None else 0
            # Someone who married into the family (or a deeper branch) sits beside the spouse.
            g = max([g, *(gen[s] for s in spouses[pid])])
            if g != gen[pid]:
                gen[pid] = g
                changed = True
        if not changed:
            break
    return gen


def _components(members: list[str], spouses: Mapping[str, set[str]]) -> list[list[str]]:
    """Groups of people in one row joined by marriages, each in a left-to-right order."""
    inrow = set(members)
    seen: set[str] = set()
    groups = []
    for pid in members:
        if pid in seen:
            continue
        comp, stack = [], [pid]
        while stack:
            x = stack.pop()
            if x in seen:
                continue
            seen.add(x)
            comp.append(x)
            stack.extend(s for s in spouses[x] if s in inrow and s not in seen)
        groups.append(comp)
    return groups


def _order_group(comp: list[str], spouses: Mapping[str, set[str]], ped: Pedigree,
                 rank: Mapping[str, int]) -> list[str]:
    if len(comp) == 1:
        return comp
    inside = set(comp)
    # The centre is whoever has most spouses here, a member by descent before an in-law.
    centre = min(comp, key=lambda p: (-len(spouses[p] & inside), ped[p].is_founder, rank[p]))
    partners = sorted(spouses[centre] & inside, key=rank.__getitem__)
    left, right = partners[1::2], partners[0::2]
    order = [*left[::-1], centre, *right]
    rest = [p for p in comp if p not in order]
    return order + sorted(rest, key=rank.__getitem__)


def layout_pedigree(ped: Pedigree) -> dict[str, tuple[float, int]]:
    """Each member's ``(x, generation)``: spouses side by side, children under their parents."""
    rank = {pid: i for i, pid in enumerate(ped.order)}
    spouses: dict[str, set[str]] = defaultdict(set)
    kids: dict[tuple[str, str], list[str]] = defaultdict(list)
    for pid in ped.order:
        p = ped[pid]
        if p.father is not None:
            spouses[p.father].add(p.mother)
            spouses[p.mother].add(p.father)
            kids[(p.father, p.mother)].append(pid)
    gen = _generations(ped, spouses)
    rows: dict[int, list[str]] = defaultdict(list)
    for pid in ped.order:
        rows[gen[pid]].append(pid)
    x: dict[str, float] = {}
    row_groups: dict[int, list[list[str]]] = {}
    for g in sorted(rows):
        groups = [_order_group(c, spouses, ped, rank) for c in _components(rows[g], spouses)]

        def want(group: list[str]) -> float | None:
            mids = [(x[ped[p].father] + x[ped[p].mother]) / 2 for p in group
                    if ped[p].father is not None and ped[p].father in x and ped[p].mother in x]
            return sum(mids) / len(mids) if mids else None

        groups.sort(key=lambda grp: (want(grp) is None, want(grp) or 0.0, min(rank[p] for p in grp)))
        edge = -GROUP_GAP
        for grp in groups:
            width = SPOUSE_GAP * (len(grp) - 1)
            w = want(grp)
            start = edge + GROUP_GAP if w is None else max(w - width / 2, edge + GROUP_GAP)
            for i, pid in enumerate(grp):
                x[pid] = start + SPOUSE_GAP * i
            edge = start + width
        row_groups[g] = groups
    # Bottom-up: move couples over their children's centre where their neighbours leave room.
    for g in sorted(row_groups, reverse=True):
        groups = row_groups[g]
        for i, grp in enumerate(groups):
            targets = []
            for (f, m), ch in kids.items():
                if f in grp and m in grp:
                    targets.append(sum(x[c] for c in ch) / len(ch) - (x[f] + x[m]) / 2)
            if not targets:
                continue
            shift = sum(targets) / len(targets)
            lo = -float("inf") if i == 0 else x[groups[i - 1][-1]] + GROUP_GAP - x[grp[0]]
            hi = float("inf") if i == len(groups) - 1 else x[groups[i + 1][0]] - GROUP_GAP - x[grp[-1]]
            shift = min(max(shift, lo), hi)
            for pid in grp:
                x[pid] += shift
    lo = min(x.values()) if x else 0.0
    return {pid: (x[pid] - lo, gen[pid]) for pid in ped.order}


def draw_pedigree(ped: Pedigree, *, typed: Iterable[str], missing: str,
                  labels: Mapping[str, str] | None = None,
                  lineage_typed: Mapping[str, str] | None = None) -> PedigreeDrawing:
    """The drawing of ``ped`` with the ``typed`` members filled and the ``missing`` one marked;
    ``lineage_typed`` maps members typed only at lineage markers to ``"Y"``, ``"mt"`` or ``"Y+mt"``
    (a member also in ``typed`` is drawn as typed)."""
    typed = set(typed)
    labels = labels or {}
    lineage_typed = {k: v for k, v in (lineage_typed or {}).items() if k not in typed and k != missing}
    pos = layout_pedigree(ped)

    def xy(pid: str) -> tuple[float, float]:
        px, g = pos[pid]
        return MARGIN + px, MARGIN + g * ROW_GAP

    nodes = tuple(Node(pid, *xy(pid), ped[pid].sex, pid in typed, pid == missing, labels.get(pid, ""),
                       lineage_typed.get(pid, "")) for pid in ped.order)
    lines: list[tuple[float, float, float, float]] = []
    couples: dict[tuple[str, str], list[str]] = defaultdict(list)
    for pid in ped.order:
        p = ped[pid]
        if p.father is not None:
            couples[(p.father, p.mother)].append(pid)
    for (f, m), children in couples.items():
        (fx, fy), (mx, my) = xy(f), xy(m)
        # The marriage line joins the symbols' sides.
        (ax, ay), (bx, by) = sorted([(fx, fy), (mx, my)])
        lines.append((ax + 0.5, ay, bx - 0.5, by))
        midx, midy = (ax + bx) / 2, (ay + by) / 2
        cys = [xy(c)[1] for c in children]
        bar = min(cys) - 0.5 - 0.55
        cxs = [xy(c)[0] for c in children]
        lines.append((midx, midy, midx, bar))
        span = [*cxs, midx]
        if max(span) - min(span) > 1e-9:
            lines.append((min(span), bar, max(span), bar))
        for c in children:
            cx, cy = xy(c)
            lines.append((cx, bar, cx, cy - 0.5))
    width = max((n.x for n in nodes), default=0.0) + MARGIN
    height = max((n.y for n in nodes), default=0.0) + MARGIN + 0.9
    return PedigreeDrawing(nodes, tuple(lines), width, height)
