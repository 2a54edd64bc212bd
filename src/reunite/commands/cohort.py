"""``reunite cohort``: a rescued cohort of found children solved jointly against many families.

``solve`` reads a cohort file; ``add``, ``list``, ``show`` and ``solve-stored`` work on the cohorts
of the store (the found children of one rescue, :mod:`reunite.cases.cohorts`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated

import typer

from ..errors import InputError, ReuniteError
from ._common import UserOpt, fail

__all__ = ["register", "render_cohort_text", "render_cohort_text_zh"]

cohort_app = typer.Typer(help="Many found children against many families, solved jointly (dvir's model).",
                         no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``reunite cohort`` to ``app``."""
    app.add_typer(cohort_app, name="cohort")


@cohort_app.command("solve")
def cohort_solve(
    cohort: Annotated[Path, typer.Argument(help="The cohort JSON file (families, genotypes, found).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    top: Annotated[int, typer.Option("--top", min=5, help="How many joint assignments to list.")] = 10,
    lang: Annotated[str, typer.Option("--lang", help="Language of the text output: en or zh.")] = "en",
):
    """Solve a cohort jointly: pairwise LRs, the best joint assignments with posteriors, one
    conclusion per found child (identified, probable, disputed, inconclusive, no_match,
    excluded, with the rule in its note) and the found children's relationships to each other.

    An assignment gives each found child at most one missing person of compatible sex, and no
    missing person to two children; its LR is against "nobody identified", and the prior is
    flat over all admissible assignments.  The search is exact (see docs/cohort.md).
    """
    from ..genetics.cohort import load_cohort, solve_cohort

    if lang not in ("en", "zh"):
        typer.echo(f"error: --lang must be en or zh, not {lang!r}", err=True)
        raise typer.Exit(2)
    try:
        res = solve_cohort(load_cohort(cohort), top=top)
    except ReuniteError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps(res.as_dict()))
    else:
        typer.echo(render_cohort_text(res) if lang == "en" else render_cohort_text_zh(res))


def _fmt(log10: float | None, lr: float | None = None) -> str:
    if log10 is None:
        return "0" if lr == 0 else "-"
    if -2 <= log10 < 4:
        return f"{10 ** log10:,.4g}"
    exp = math.floor(log10)
    return f"{10 ** (log10 - exp):.2f}e{exp}"


def render_cohort_text(res) -> str:
    """A cohort's joint solution as a person would want to read it."""
    lines = []
    if res.id:
        lines.append(f"Cohort {res.id}")
    lines.append(f"{len(res.conclusions)} found children; {res.n_admissible:,.0f} admissible joint "
                 f"assignments (the empty one included).")
    lines.append("")
    lines.append("Conclusions")
    lines.append(f"  {'found':<10}{'conclusion':<14}{'missing':<14}{'family':<10}{'LR':>12}"
                 f"{'posterior':>11}")
    for c in res.conclusions:
        post = f"{c['posterior']:.3f}" if c.get("posterior") is not None else "-"
        lines.append(f"  {c['found']:<10}{c['conclusion']:<14}{c['missing'] or '-':<14}"
                     f"{c['family'] or '-':<10}{_fmt(c.get('log10_lr'), c.get('lr')):>12}{post:>11}")
    lines.append("")
    for c in res.conclusions:
        lines.append(f"  {c['found']}: {c['note']}.")
    lines.append("")
    lines.append("Best joint assignments (LR against nobody identified)")
    for k, a in enumerate(res.assignments, start=1):
        placed = ", ".join(f"{v}={m}" for v, m in a["assignment"].items() if m) or "nobody identified"
        lines.append(f"  {k:>2}. LR {_fmt(a['log10_lr']):>12}  posterior {a['posterior']:.4f}  {placed}")
    rel = [r for r in res.found_relatives if r["relationship"] != "unrelated"]
    lines.append("")
    lines.append("Found children related to each other" + ("" if rel else ": none supported"))
    for r in rel:
        lines.append(f"  {r['a']} and {r['b']}: {r['relationship'].replace('_', ' ')} "
                     f"(LR vs unrelated {_fmt(max(v for v in r['log10_lrs'].values() if v is not None))})")
    lines.append("")
    lines.append(f"  Frequencies: {res.frequencies}.  Mutation model: {res.mutation}.  Theta: {res.theta:g}.")
    lines.append(f"  Method: {res.method}.")
    return "\n".join(lines)


_ZH = {"identified": "认定", "probable": "很可能", "disputed": "有争议", "inconclusive": "不能确定",
       "no_match": "不匹配", "excluded": "排除"}
_ZH_REL = {"full_siblings": "全同胞", "half_siblings": "半同胞", "half_siblings_paternal": "同父半同胞",
           "half_siblings_maternal": "同母半同胞", "same_person": "同一人（或同卵双胞胎、重复样本）"}


def _zh_line(c: dict) -> str:
    """One found child's conclusion in Chinese, from its conclusion and flags (the English note has
    the full rule)."""
    who, fam, m = c["found"], c["family"], c["missing"]
    lr = _fmt(c.get("log10_lr"), c.get("lr"))
    flags = c.get("flags", [])
    k = c["conclusion"]
    if k == "identified" and "symmetric" in flags:
        text = f"{who}：认定为家庭 {fam} 的走失儿童之一（{m} 或其同性别的走失兄弟姐妹，LR {lr}）。"
    elif k == "identified":
        text = f"{who}：认定为家庭 {fam} 的走失儿童 {m}（LR {lr}，联合解中无争议）。"
    elif k == "probable":
        text = f"{who}：很可能是家庭 {fam} 的走失儿童 {m}（LR {lr}）。"
    elif k == "disputed":
        text = f"{who}：与家庭 {fam} 的 {m} 相符（LR {lr}），但另有几乎同样好的解释，有争议。"
    elif k == "inconclusive":
        text = f"{who}：证据不足，不能确定（最高 LR 低于 1000）。"
    elif k == "excluded":
        text = f"{who}：与所有性别相符的走失儿童都有 3 个以上不一致的基因座，排除。"
    else:
        text = f"{who}：与任何走失儿童都不匹配。"
    if "symmetric" in flags:
        text += "该家庭有两个同性别的走失孩子，DNA 无法区分是哪一个。" if k != "identified" else ""
    if "unreported_sibling_possible" in flags:
        text += (f"家庭 {fam} 的报案没有排除其他子女，{who} 也可能是走失儿童未报失的亲兄弟姐妹；"
                 "请向家庭核实其他子女的性别和出生年份。")
    for f in flags:
        if f.startswith("sibling_of_placed_child:"):
            other = f.split(":", 1)[1]
            text += f"{who} 与 {other} 很可能是亲属，{other} 已归入一个家庭：{who} 可能是该家庭未报失的孩子。"
    return text


def render_cohort_text_zh(res) -> str:
    """A cohort's joint solution in Chinese (the rules in full are in the English notes)."""
    lines = []
    if res.id:
        lines.append(f"批次 {res.id}")
    lines.append(f"{len(res.conclusions)} 名被解救儿童；可行的联合分配共 {res.n_admissible:,.0f} 种（含全部不认定）。")
    lines.append("")
    lines.append("结论")
    for c in res.conclusions:
        lines.append(f"  [{_ZH[c['conclusion']]}] " + _zh_line(c))
    lines.append("")
    lines.append("最佳联合分配（相对于“无人认定”的 LR）")
    for k, a in enumerate(res.assignments, start=1):
        placed = "，".join(f"{v}={m}" for v, m in a["assignment"].items() if m) or "无人认定"
        lines.append(f"  {k:>2}. LR {_fmt(a['log10_lr']):>12}  后验概率 {a['posterior']:.4f}  {placed}")
    rel = [r for r in res.found_relatives if r["relationship"] != "unrelated"]
    lines.append("")
    lines.append("被解救儿童之间的亲缘关系" + ("" if rel else "：无"))
    for r in rel:
        best = max(v for v in r["log10_lrs"].values() if v is not None)
        lines.append(f"  {r['a']} 与 {r['b']}：{_ZH_REL.get(r['relationship'], r['relationship'])}"
                     f"（相对无关的 LR {_fmt(best)}）")
    lines.append("")
    lines.append(f"  等位基因频率：{res.frequencies}。突变模型：{res.mutation}。theta：{res.theta:g}。")
    return "\n".join(lines)


# ------------------------------------------------------------------------------ stored cohorts


def stored_result_view(result: dict) -> SimpleNamespace:
    """A stored solution (``CohortSolution.result``) with the attributes the renderers read."""
    a = result.get("assumptions", {})
    return SimpleNamespace(id=result.get("id"), n_admissible=result["search"]["admissible_assignments"],
                           conclusions=result["conclusions"], assignments=result["assignments"],
                           found_relatives=result["found_relatives"], pairwise=result["pairwise"],
                           frequencies=a.get("frequencies"), mutation=a.get("mutation"), theta=a.get("theta", 0.0),
                           method=result["search"]["method"])


def _check_lang(lang: str) -> None:
    if lang not in ("en", "zh"):
        typer.echo(f"error: --lang must be en or zh, not {lang!r}", err=True)
        raise typer.Exit(2)


@cohort_app.command("add")
def cohort_add(
    code: Annotated[str, typer.Argument(help="The cohort's code (letters, digits, . - _).")],
    title: Annotated[str | None, typer.Option("--title", help="What the rescue was.")] = None,
    rescued_on: Annotated[str | None, typer.Option("--rescued-on", help="The date of the rescue, YYYY-MM-DD.")]
    = None,
    place: Annotated[str | None, typer.Option("--place", help="Where the children were rescued.")] = None,
    child: Annotated[list[str] | None, typer.Option("--child", help="A found child's case number to put in "
                                                                    "the cohort (repeat the option).")] = None,
    user: UserOpt = None,
):
    """Create a cohort of the store (the found children of one rescue), or update its title, date
    and place; ``--child`` puts found children in it.  The ``cohort`` column of found_children.csv
    does the same at import."""
    from ..cases.cohorts import add_cohort
    from ..cases.db import open_session
    from ..cases.importing import default_user

    try:
        day = dt.date.fromisoformat(rescued_on) if rescued_on else None
    except ValueError:
        fail(InputError(f"--rescued-on {rescued_on!r} is not a date; write it as YYYY-MM-DD"))
    try:
        with open_session() as s:
            c = add_cohort(s, code, user=user or default_user(), title=title, rescued_on=day, place=place,
                           children=child or None)
            n = len(c.children)
    except ReuniteError as exc:
        fail(exc)
    typer.echo(f"cohort {code}: {n} found children")


@cohort_app.command("list")
def cohort_list(as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False):
    """List the cohorts of the store: children, typed children, and the latest solution."""
    from ..cases.cohorts import current_solution, list_cohorts
    from ..cases.db import open_session

    rows = []
    try:
        with open_session() as s:
            for c in list_cohorts(s):
                sol = current_solution(c)
                rows.append({"code": c.code, "title": c.title, "rescued_on": c.rescued_on.isoformat()
                             if c.rescued_on else None, "place": c.place, "children": len(c.children),
                             "solved_at": sol.solved_at.isoformat(timespec="seconds") if sol else None,
                             "conclusions": _counts(sol.result) if sol else None})
    except ReuniteError as exc:
        fail(exc)
    if as_json:
        for r in rows:
            typer.echo(json.dumps(r, ensure_ascii=False))
        return
    if not rows:
        typer.echo("no cohorts")
        return
    typer.echo(f"{'code':<20}{'rescued':<12}{'children':>9}  {'solved':<20}conclusions")
    for r in rows:
        counts = ", ".join(f"{k} {v}" for k, v in (r["conclusions"] or {}).items()) or "-"
        typer.echo(f"{r['code']:<20}{r['rescued_on'] or '-':<12}{r['children']:>9}  {r['solved_at'] or 'not yet':<20}"
                   f"{counts}")


def _counts(result: dict) -> dict[str, int]:
    out: dict[str, int] = {}
    for c in result["conclusions"]:
        out[c["conclusion"]] = out.get(c["conclusion"], 0) + 1
    return out


def _print_solution(sol, as_json: bool, lang: str, current: bool | None) -> None:
    if as_json:
        typer.echo(json.dumps({**sol.result, "solution": {
            "id": sol.id, "solved_at": sol.solved_at.isoformat(timespec="seconds"), "solved_by": sol.solved_by,
            "frequencies": sol.frequencies, "frequencies_sha256": sol.frequencies_sha256,
            "mutation_model": sol.mutation_model, "theta": sol.theta, "rules": sol.rules,
            "software_version": sol.software_version, "input_sha256": sol.input_sha256, "seconds": sol.seconds,
            "current": current}}, ensure_ascii=False))
        return
    view = stored_result_view(sol.result)
    typer.echo(render_cohort_text(view) if lang == "en" else render_cohort_text_zh(view))
    store = sol.result.get("store", {})
    if store.get("untyped_children"):
        typer.echo(("  Not solved (no DNA profile yet): " if lang == "en" else "  未参与计算（尚无DNA分型）：")
                   + ", ".join(store["untyped_children"]))
    when = sol.solved_at.isoformat(sep=" ", timespec="seconds")
    if lang == "en":
        typer.echo(f"  Solved {when} UTC by {sol.solved_by} (reunite {sol.software_version}, table sha256 "
                   f"{sol.frequencies_sha256[:12]}…, {sol.seconds:.1f} s).")
        if current is False:
            typer.echo("  The stored data have changed since: solve again (reunite cohort solve-stored).")
    else:
        typer.echo(f"  计算于 {when} UTC，操作人 {sol.solved_by}（reunite {sol.software_version}，频率表 sha256 "
                   f"{sol.frequencies_sha256[:12]}…，用时 {sol.seconds:.1f} 秒）。")
        if current is False:
            typer.echo("  此后数据已有变化：请重新计算（reunite cohort solve-stored）。")


@cohort_app.command("show")
def cohort_show(
    code: Annotated[str, typer.Argument(help="The cohort's code.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    lang: Annotated[str, typer.Option("--lang", help="Language of the text output: en or zh.")] = "en",
):
    """Show a stored cohort's latest joint solution, what computed it and when, and whether the
    stored data have changed since."""
    from ..cases.cohorts import current_solution, get_cohort, solution_is_current
    from ..cases.db import open_session
    from ..cases.settings import MatchingSettings

    _check_lang(lang)
    try:
        with open_session() as s:
            c = get_cohort(s, code)
            if c is None:
                raise InputError(f"there is no cohort {code!r} (reunite cohort list)")
            sol = current_solution(c)
            if sol is None:
                typer.echo(f"cohort {code}: {len(c.children)} found children; not solved yet "
                           f"(reunite cohort solve-stored {code})")
                return
            current = solution_is_current(s, sol, settings=MatchingSettings.from_env())
            _print_solution(sol, as_json, lang, current)
    except ReuniteError as exc:
        fail(exc)


@cohort_app.command("solve-stored")
def cohort_solve_stored(
    code: Annotated[str, typer.Argument(help="The cohort's code.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    top: Annotated[int, typer.Option("--top", min=5, help="How many joint assignments to keep.")] = 10,
    lang: Annotated[str, typer.Option("--lang", help="Language of the text output: en or zh.")] = "en",
    user: UserOpt = None,
):
    """Solve a stored cohort jointly: its found children with DNA against every open report whose
    family has DNA, with the matching's frequency table and mutation model ($REUNITE_FREQUENCIES,
    $REUNITE_MUTATION).  The solution is stored with what computed it, and audited."""
    from ..cases.cohorts import solve_stored_cohort
    from ..cases.db import open_session
    from ..cases.importing import default_user
    from ..cases.settings import MatchingSettings

    _check_lang(lang)
    try:
        with open_session() as s:
            sol = solve_stored_cohort(s, code, settings=MatchingSettings.from_env(), user=user or default_user(),
                                      top=top)
            _print_solution(sol, as_json, lang, True)
    except ReuniteError as exc:
        fail(exc)
