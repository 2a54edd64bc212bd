"""``reunite cohort solve``: a rescued cohort of found children solved jointly against many families."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import typer

from ..errors import ReuniteError
from ._common import fail

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
