"""``reunite evidence calibrate``: how good the non-DNA evidence is, on true and false pairs.

On a simulated population (:mod:`reunite.simulation.nondna`, the default) or on the store
(``--db``: confirmed candidates are the true pairs, every other report × found-child pair a false
one), the LR of every registered non-DNA kind (sex, age, time, place, marks, photographs) of every
pair is computed by the matching's own code with the models' defaults and with references taken from
the population itself (:func:`reunite.evidence.population.reference_context`),
and for each kind and their fusion the command prints Cllr, Cllr_min, the rates of misleading
evidence, the median LRs, and how the true reports rank among each found child's candidates; it
writes a Tippett plot per kind and ``calibration.json`` into ``--out``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import typer

from ..errors import ReuniteError
from ._common import fail

__all__ = ["register"]

evidence_app = typer.Typer(help="Non-DNA evidence: calibration of the likelihood ratios.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``reunite evidence`` to ``app``."""
    app.add_typer(evidence_app, name="evidence")


def _store_population(url: str):
    """Reports, found children, true pairs (confirmed candidates), their delays and places, from the store."""
    from sqlalchemy import select

    from ..cases.db import open_session
    from ..cases.models import Candidate, FoundChild, MissingReport

    with open_session(url, create=False) as s:
        reports = list(s.scalars(select(MissingReport).order_by(MissingReport.report_number)))
        children = list(s.scalars(select(FoundChild).order_by(FoundChild.case_number)))
        truth = {}
        for c in s.scalars(select(Candidate).where(Candidate.status == "confirmed")):
            truth[c.found_child.case_number] = c.report.report_number
        s.expunge_all()
    by_rep = {r.report_number: r for r in reports}
    by_case = {c.case_number: c for c in children}
    delays = [(by_case[c].found_on - by_rep[r].disappeared_on).days for c, r in truth.items()
              if by_case[c].found_on and by_rep[r].disappeared_on]
    places = [(by_rep[r].disappeared_place, by_case[c].found_place) for c, r in truth.items()]
    return reports, children, truth, delays, places


def _fmt_lr(x: float) -> str:
    if x == 0:
        return "0"
    if not math.isfinite(x):
        return "inf"
    return f"{x:.3g}" if 1e-3 <= x < 1e4 else f"{x:.1e}"


def _render(variants: dict, population: dict, out: Path | None) -> str:
    lines = [f"Population: {population['reports']} reports, {population['found_children']} found children, "
             f"{population['true_pairs']} true pairs"
             + (f" (simulated, seed {population['seed']})" if population.get("simulated") else " (the store)")]
    for name, res in variants.items():
        lines += ["", f"Models: {name}"]
        for kind, ref in res.references.items():
            lines.append(f"  {kind} reference: {ref}")
        lines.append(f"  {'kind':<8}{'Cllr':>7}{'min':>7}{'T<1':>7}{'F>1':>7}{'F>10':>7}{'F>100':>7}"
                     f"{'median LR F':>13}{'median LR T':>13}")
        for kind, k in res.kinds.items():
            m = k.misleading
            lines.append(f"  {kind:<8}{k.cllr:>7.3f}{k.cllr_min:>7.3f}{m['true_below_1']:>7.1%}"
                         f"{m['false_above_1']:>7.1%}{m['false_above_10']:>7.1%}{m['false_above_100']:>7.1%}"
                         f"{_fmt_lr(k.median_lr_false):>13}{_fmt_lr(k.median_lr_true):>13}")
        rk = res.kinds["fusion"].ranking
        if rk:
            lines.append(f"  true pairs kept as candidates ({rk['keep_rule']}): {rk['kept_as_candidates']} of "
                         f"{rk['true_pairs']}; in the child's top 10: {rk['in_top_10']} ({rk['top_10_share']:.0%}); "
                         f"ranked first: {rk['ranked_first']}; median rank {rk['median_rank']:g}")
            lines.append(f"  reports kept a child: mean {rk['kept_per_child_mean']:.1f}, median "
                         f"{rk['kept_per_child_median']:g}, at most {rk['kept_per_child_max']} (listed apart from the "
                         f"DNA candidates, ranked); the earlier rule ({rk['earlier_rule']}) kept "
                         f"{rk['earlier_rule_kept']} of {rk['true_pairs']}")
    lines += ["", "Cllr: 0 perfect, 1 no evidence, above 1 misleading (Brümmer & du Preez 2006); min: after the best "
              "monotone recalibration (PAV). T<1: true pairs with LR < 1; F>x: false pairs with LR > x."]
    if out is not None:
        lines.append(f"Tippett plots and calibration.json written to {out}")
    return "\n".join(lines)


@evidence_app.command("calibrate")
def calibrate_cmd(
    simulate: Annotated[tuple[int, int, int] | None, typer.Option(
        "--simulate", metavar="N_REPORTS N_CHILDREN N_TRUE",
        help="Simulate this many reports, found children and true pairs (default 300 120 80).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the simulation.")] = 1,
    db: Annotated[str | None, typer.Option(
        "--db", help="Calibrate on the store at this URL instead (confirmed candidates are the true pairs).")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Write tippett-<kind>.png (population models), tippett-<kind>-default.png and "
                      "calibration.json here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
):
    """Measure every non-DNA kind's LRs and their fusion on true and false pairs: Cllr, Cllr_min,
    misleading rates, median LRs, and the true pairs kept as candidates and in each child's top 10.

    The models are run three ways: with their defaults; with references taken from the population
    (the found children's ages and sexes, the reports' and children's dates, the reports' lost places);
    and, where there are confirmed pairs (in a simulation: the true pairs of an independent population,
    seed + 1000; in the store: its confirmed candidates, which are also the pairs measured), with the
    delay and the distance travelled under H1 taken from them.

    The simulation's assumptions are in reunite.simulation.nondna; the figures in docs/calibration.md.
    """
    from ..evidence.calibration import evaluate, score_pairs, tippett_plot
    from ..evidence.population import reference_context
    from ..simulation.nondna import simulate_nondna_population

    try:
        faces = None
        if db is not None:
            if simulate is not None:
                raise typer.BadParameter("give --simulate or --db, not both")
            reports, children, truth, confirmed, places = _store_population(db)
            population: dict = {"simulated": False, "reports": len(reports), "found_children": len(children),
                                "true_pairs": len(truth)}
        else:
            n_rep, n_child, n_true = simulate or (300, 120, 80)
            try:
                pop = simulate_nondna_population(n_rep, n_child, n_true, seed=seed)
                train = simulate_nondna_population(n_rep, n_child, n_true, seed=seed + 1000)
            except ValueError as exc:
                raise typer.BadParameter(str(exc)) from None
            reports, children, truth, faces = pop.reports, pop.children, pop.true_pairs, pop.face_embeddings
            rep = {r.report_number: r for r in train.reports}
            ch = {c.case_number: c for c in train.children}
            confirmed = [(ch[c].found_on - rep[r].disappeared_on).days for c, r in train.true_pairs.items()]
            places = [(rep[r].disappeared_place, ch[c].found_place) for c, r in train.true_pairs.items()]
            population = pop.as_dict()
        if not truth or len(truth) == len(reports) * len(children):
            raise typer.BadParameter("the population needs at least one true and one false pair")
        contexts: dict[str, dict] = {"default": {}, "population": reference_context(reports, children)}
        with_confirmed = reference_context(reports, children, confirmed_delays_days=confirmed,
                                           confirmed_places=places)
        if with_confirmed["time_reference"].h1 is not None or with_confirmed["place_travel"] is not None:
            contexts["population+confirmed"] = with_confirmed
        if faces is not None:
            for ctx in contexts.values():
                ctx["face_embeddings"] = faces
        scores = {name: score_pairs(reports, children, context=ctx) for name, ctx in contexts.items()}
        variants = {name: evaluate(sc, truth, population=population) for name, sc in scores.items()}
    except ReuniteError as exc:
        fail(exc)
    if out is not None:
        for name in ("population", "default"):
            sc, res = scores[name], variants[name]
            mask = sc.truth_mask(truth)
            series = {**sc.log10, "fusion": sc.fused()}
            suffix = "" if name == "population" else "-default"
            for kind, values in series.items():
                k = res.kinds[kind]
                what = " × ".join(sc.log10) if kind == "fusion" else kind
                tippett_plot(out / f"tippett-{kind}{suffix}.png", values[mask], values[~mask],
                             title=f"{what}: {name} models", note=f"Cllr {k.cllr:.3f}\nCllr_min {k.cllr_min:.3f}")
        (out / "calibration.json").write_text(json.dumps(
            {"population": population, "variants": {k: v.as_dict() for k, v in variants.items()}}, indent=1,
            ensure_ascii=False))
    if as_json:
        typer.echo(json.dumps({"population": population, "variants": {k: v.as_dict() for k, v in variants.items()}},
                              ensure_ascii=False))
    else:
        typer.echo(_render(variants, population, out))

