"""The network's analyses as an investigator reads them (plain text, English with the places as
recorded); used by ``reunite network`` and the demo."""

from __future__ import annotations

from .analysis import Chain, Gap

__all__ = ["render_brokers", "render_chain", "render_gap_summary", "render_gaps", "render_unfound", "yuan"]

_KIND = {"found": "found child", "report": "missing-child report", "unknown": "child known from the records only"}


def yuan(x: float | None) -> str:
    """A price as ``12,000 yuan`` (``-`` when not known)."""
    return "-" if x is None else f"{x:,.0f} yuan"


def _who(code: str | None, role: str | None) -> str:
    return "(unknown)" if code is None else f"{code} ({role})" if role else code


def render_chain(chain: Chain, *, indent: str = "  ", sources: bool = True, gaps: bool = True) -> str:
    """A chain of custody: a header (child, source place, prices and markup), one line per transfer
    (with its source document unless ``sources`` is false), then its gaps (unless ``gaps`` is false)."""
    prices = chain.prices
    head = f"{chain.child} ({_KIND[chain.child_kind]}): {len(chain.steps)} transfers from {chain.source_place or '?'}"
    if len(prices) >= 2:
        head += f"; paid {yuan(prices[0])} first, {yuan(prices[-1])} last"
        if chain.markup is not None:
            head += f" (x{chain.markup:.1f})"
    lines = [head]
    for k, s in enumerate(chain.steps, start=1):
        price = yuan(s.price_yuan) if s.price_yuan is not None else ""
        if s.markup_yuan:
            price += f" (+{s.markup_yuan:,.0f})"
        line = (f"{indent}{k}. {s.on.isoformat() if s.on else '(no date)':<10}  {s.place or '(no place)'}: "
                f"{_who(s.sender, s.sender_role)} -> {_who(s.receiver, s.receiver_role)}"
                + (f", {price}" if price else "") + f"  [{s.transfer}]")
        if sources and s.source:
            line += f"  source: {s.source}"
        lines.append(line)
    for g in chain.gaps if gaps else ():
        lines.append(f"{indent}gap ({g.kind}, {g.transfer}): {g.message}")
    return "\n".join(lines)


def render_unfound(rows: list[dict]) -> str:
    """The children transferred and not found: where, when and to whom they went last."""
    if not rows:
        return "No child of the network is unaccounted for."
    lines = [f"{len(rows)} children transferred and not found:"]
    for u in rows:
        to = _who(u["to"], u["to_role"]) + (f" of {u['to_home_place']}" if u.get("to_home_place") else "")
        lines.append(f"  {u['child']}: {u['on'] or '(no date)'} at {u['place'] or '(no place)'} to {to}"
                     f", {yuan(u['price_yuan'])}; from {u['source_place'] or '?'}  [{u['last_transfer']}]")
    return "\n".join(lines)


def render_gaps(gaps: list[Gap]) -> str:
    """Every gap, one per line."""
    if not gaps:
        return "No gaps: every chain has a source, no break, and no transfer after an arrest."
    return "\n".join([f"{len(gaps)} gaps:"] + [f"  {g.child} [{g.transfer}] {g.kind}: {g.message}" for g in gaps])


def render_brokers(rows: list[dict]) -> str:
    """The brokers by betweenness."""
    exact = all(r["exact"] for r in rows)
    lines = [f"Brokers by betweenness ({'exact' if exact else 'estimated from samples'}):"]
    lines += [f"  {r['person']:<10}{r['role']:<12}{r['betweenness']:>10.4f}  degree {r['degree']}" for r in rows]
    return "\n".join(lines)


def render_gap_summary(gaps: list[Gap]) -> str:
    """The gaps counted by kind, with the children (and transfers, for breaks and arrests)."""
    if not gaps:
        return render_gaps(gaps)
    what = {"no_source": "children entering the ring with no recorded source (stolen, or the seller unknown)",
            "break": "breaks in a chain (a transfer by someone not shown receiving the child)",
            "after_arrest": "transfers dated after an arrest"}
    lines = ["Gaps:"]
    for kind, text in what.items():
        these = [g for g in gaps if g.kind == kind]
        if these:
            items = sorted({g.child for g in these}) if kind == "no_source" else [f"{g.child} {g.transfer}"
                                                                                   for g in these]
            lines.append(f"  {len(these)} {text}: {', '.join(items)}")
    return "\n".join(lines)
