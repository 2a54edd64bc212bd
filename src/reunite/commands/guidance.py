"""``reunite guidance``: exclusion and inclusion power of a report, and which relatives to swab next."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..errors import ReuniteError
from ._common import fail

__all__ = ["register", "render_guidance_text"]


def register(app: typer.Typer) -> None:
    """Add ``reunite guidance`` to ``app``."""
    app.command("guidance")(guidance)


def guidance(
    case: Annotated[Path, typer.Argument(
        help="A kinship case without 'found', plus 'available' (relatives not yet typed), and optional "
             "'thresholds', 'nsim', 'seed' and 'markers'.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
):
    """Sampling guidance for a missing-child report: the exclusion power of the typed relatives
    (exact, as forrel's missingPersonEP), the inclusion power (Monte Carlo, as missingPersonIP),
    the same before typing the available relatives, and which one or two of them to swab to
    raise the chance of LR >= 10,000 most, in Chinese and English.  Seeded and reproducible.
    """
    from ..genetics.guidance import load_guidance_case, sampling_guidance

    try:
        res = sampling_guidance(load_guidance_case(case))
    except ReuniteError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps(res, ensure_ascii=False))
    else:
        typer.echo(render_guidance_text(res))


def _pcts(ip: dict) -> str:
    return ", ".join(f"LR >= {t:,.0f}: {100 * p:.1f}% (± {100 * s:.1f})"
                     for t, p, s in zip(ip["thresholds"], ip["p"], ip["se"], strict=True))


def render_guidance_text(res: dict) -> str:
    """Sampling guidance as a person would want to read it (English, then the Chinese advice)."""
    typed = res["typed"]
    ep = typed["exclusion_power"]
    lines = []
    if res.get("id"):
        lines.append(f"Case {res['id']}")
    lines.append(f"Typed relatives: {', '.join(typed['relatives']) or 'none'}")
    lines.append(f"  Exclusion power (an unrelated child is excluded): {100 * ep['total']:.8g}%  "
                 f"(log10 P(not excluded) {ep['log10_p_not_excluded']:.2f})")
    lines.append(f"  Inclusion power ({typed['inclusion_power']['nsim']} simulated true children): "
                 + _pcts(typed["inclusion_power"]))
    bt = res["before_typing"]
    if bt["available"]:
        lines.append(f"If {', '.join(bt['available'])} are typed too:")
        lines.append(f"  Exclusion power: mean {100 * bt['exclusion_power']['mean']:.8g}% "
                     f"(± {100 * bt['exclusion_power']['se']:.2g})")
        lines.append("  Inclusion power: " + _pcts(bt["inclusion_power"]))
        lines.append("Swab options, P(LR >= 10,000):")
        for o in res["swab"]["options"]:
            lines.append(f"  {' + '.join(o['swab']):<24}{100 * o['p']:6.1f}% (± {100 * o['se']:.1f})  "
                         f"{', '.join(o['relation'])}")
    lines.append("")
    lines.append(res["swab"]["advice"]["en"])
    lines.append(res["swab"]["advice"]["zh"])
    a = res["assumptions"]
    lines.append("")
    lines.append(f"  Frequencies: {a['frequencies']}.  Mutation model: {a['mutation']}.  Theta: {a['theta']:g}.  "
                 f"{len(a['markers'])} markers.  Seed {a['seed']}.")
    return "\n".join(lines)
