"""``reunite kinship``: the missing-person LR of kinship case files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..errors import ReuniteError
from ._common import fail

__all__ = ["register", "render_lr_text"]

kinship_app = typer.Typer(help="Kinship likelihood ratios for one found person and one family.",
                          no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``reunite kinship`` to ``app``."""
    app.add_typer(kinship_app, name="kinship")


def _case_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files.extend(sorted(x for x in p.iterdir() if x.suffix.lower() == ".json"))
        else:
            files.append(p)
    return files


@kinship_app.command("lr")
def kinship_lr(
    cases: Annotated[list[Path], typer.Argument(
        help="A case JSON file, several files, or a directory of them.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object per case.")] = False,
    skip_unknown_markers: Annotated[bool, typer.Option(
        "--skip-unknown-markers",
        help="Leave out markers of the found person that the frequency table lacks.")] = False,
    new_allele_freq: Annotated[float, typer.Option(
        "--new-allele-freq", help="Frequency given to an allele absent from the table.")] = 0.001,
    rules: Annotated[str, typer.Option(
        "--rules", help="Decision rules: gbt (China's GB/T 37223, GB/T 43641 / SF/T 0117 standards) "
                        "or isfg (the ENFSI/ISFG verbal scale, no categorical decision); see "
                        "docs/rules.md.")] = "gbt",
    lang: Annotated[str, typer.Option("--lang", help="Language of the text: en or zh.")] = "en",
):
    """Compute the missing-person LR of kinship cases and their conclusion under a rule set.

    H1: the found person is the pedigree's missing member; H2: unrelated.  The conclusion follows
    the rule of the relationship class (parentage trio or duo, full siblings, second degree,
    distant) and says its decision, reason, verbal equivalent and source; a found person excluded
    as a parent is also compared with the typed parents as sibling, second degree and cousin.
    LRs beyond 10^±300 are given from their log10 (JSON: "lr" null, "log10_lr" set).  With
    several cases (or a directory) one JSON line is printed per case, carrying its id; a case that
    fails prints a line with "error" and the command exits with 1 at the end.
    """
    from ..genetics import load_case, load_rules, missing_person_lr

    if lang not in ("en", "zh"):
        typer.echo(f"error: --lang must be en or zh, not {lang!r}", err=True)
        raise typer.Exit(2)
    try:
        rules = load_rules(rules).name
    except ReuniteError as exc:
        fail(exc)

    files = _case_files(cases)
    if not files:
        typer.echo("error: no case files found", err=True)
        raise typer.Exit(2)
    many = len(files) > 1 or any(p.is_dir() for p in cases)
    failed = 0
    for f in files:
        try:
            case = load_case(f)
            res = missing_person_lr(case, skip_unknown_markers=skip_unknown_markers,
                                    new_allele_freq=new_allele_freq)
            res.conclusion(case, rules)
        except ReuniteError as exc:
            if not many:
                fail(exc)
            failed += 1
            typer.echo(json.dumps({"id": f.stem, "error": str(exc)}))
            continue
        if many or as_json:
            typer.echo(json.dumps(res.as_dict()))
        else:
            typer.echo(render_lr_text(res, lang))
    if failed:
        raise typer.Exit(1)


_LABELS = {
    "en": {"lr": "Likelihood ratio", "verbal": "Verbal equivalent", "rules": "Rules", "rel": "Relationship",
           "decision": "Decision", "reason": "Reason", "more": "Type more markers", "alts": "Other relationships",
           "compared": "Markers compared", "inc": "Inconsistent", "none": "none", "yes": "yes", "no": "no",
           "marker": "marker", "found": "found person", "untyped": "untyped",
           "inc_note": "inconsistent without mutation", "added": "allele(s) added to table: ",
           "note": "note", "freq": "Frequencies", "mut": "Mutation model", "theta": "Theta",
           "warning": "Warning", "skipped": "Not in the frequency table (left out): ",
           "indep": "Markers are assumed independent; H2 = unrelated to the family."},
    "zh": {"lr": "似然比", "verbal": "文字等级", "rules": "判定规则", "rel": "关系类别", "decision": "结论",
           "reason": "理由", "more": "增加检测标记", "alts": "其他关系", "compared": "比较的基因座",
           "inc": "不符合遗传规律", "none": "无", "yes": "是", "no": "否", "marker": "基因座",
           "found": "被寻人员", "untyped": "未检测", "inc_note": "不考虑突变时不符合遗传规律",
           "added": "补入频率表的等位基因：", "note": "备注", "freq": "等位基因频率表", "mut": "突变模型",
           "theta": "θ（F_ST）", "warning": "注意", "skipped": "不在频率表中（未使用）：",
           "indep": "各基因座视为相互独立（乘积规则）；H2 = 被寻人员与该家庭无血缘关系。"},
}
_RELATIONSHIPS = {
    "en": {"parentage_trio": "parentage (trio)", "parentage_duo": "parentage (duo)", "full_siblings": "full siblings",
           "second_degree": "second degree (half sibling, grandparent, uncle or aunt)", "distant": "more distant",
           "first_cousins": "first cousins"},
    "zh": {"parentage_trio": "亲子关系（三联体）", "parentage_duo": "亲子关系（二联体）", "full_siblings": "全同胞关系",
           "second_degree": "二级亲缘关系（半同胞、祖孙、叔伯姑舅姨）", "distant": "更远的亲缘关系",
           "first_cousins": "堂（表）兄弟姐妹关系"}}
_DECISIONS = {"en": {"support": "support", "exclusion": "exclusion", "inconclusive": "inconclusive",
                     "no_decision": "no categorical decision"},
              "zh": {"support": "支持", "exclusion": "排除", "inconclusive": "无法判定",
                     "no_decision": "不作分类判定"}}


def render_lr_text(res, lang: str = "en") -> str:
    """A kinship result and its conclusion as a person would want to read it (``lang`` en or zh)."""
    from ..genetics import format_lr
    from ..genetics.likelihood import THETA_CONVENTION, THETA_CONVENTION_ZH

    t = _LABELS[lang]
    c = res.conclusion()
    lines = []
    if res.id:
        lines.append(f"Case {res.id}" if lang == "en" else f"案例 {res.id}")
    lines.append(res.sentence(lang))
    lines.append("")
    lines.append(f"  {t['lr']:<18} {format_lr(res.lr, res.log10_lr)}"
                 + (f"   (log10 {res.log10_lr:.3f})" if res.log10_lr is not None else ""))
    lines.append(f"  {t['verbal']:<18} {c.verbal if lang == 'en' else c.verbal_zh}")
    source = c.source_zh or c.source if lang == "zh" else c.source
    lines.append(f"  {t['rules']:<18} {c.rules}: {source} [{c.rule_id}]")
    lines.append(f"  {t['rel']:<18} {_RELATIONSHIPS[lang].get(c.relationship, c.relationship)}")
    lines.append(f"  {t['decision']:<18} {_DECISIONS[lang][c.decision]}")
    lines.append(f"  {t['reason']:<18} {c.reason if lang == 'en' else c.reason_zh}")
    lines.append(f"  {t['more']:<18} {t['yes'] if c.type_more_markers else t['no']}")
    for a in c.alternatives:
        rel = _RELATIONSHIPS[lang].get(a.relationship, a.relationship)
        lines.append(f"  {t['alts']:<18} {rel} / {a.relative}: LR {format_lr(a.lr, a.log10_lr)}")
    lines.append(f"  {t['compared']:<18} {res.markers_compared}")
    inc = ", ".join(res.inconsistent_markers) if res.inconsistent_markers else t["none"]
    lines.append(f"  {t['inc']:<18} {inc}")
    lines.append("")
    lines.append(f"  {t['marker']:<12}{t['found']:>16}{'LR':>14}  {t['note']}")
    for m in res.markers:
        gt = "/".join(m.found) if m.found else t["untyped"]
        note = []
        if m.inconsistent:
            note.append(t["inc_note"])
        if m.added_alleles:
            note.append(t["added"] + ", ".join(m.added_alleles))
        lines.append(f"  {m.marker:<12}{gt:>16}{format_lr(m.lr, m.log10_lr):>14}  {'; '.join(note)}")
    lines.append("")
    convention = THETA_CONVENTION_ZH if lang == "zh" else THETA_CONVENTION
    lines.append(f"  {t['freq']}: {res.frequencies}.  {t['mut']}: {res.mutation}.  {t['theta']}: {res.theta:g}"
                 + (f" ({convention})." if res.theta > 0 else "."))
    for w in res.warnings:
        lines.append(f"  {t['warning']}: {w}")
    if res.skipped_markers:
        lines.append("  " + t["skipped"] + ", ".join(res.skipped_markers))
    lines.append("  " + t["indep"])
    return "\n".join(lines)
