"""The lineage section (Y-STR, mtDNA) of a candidate, in Chinese or English: what the candidate page and
the kinship report (HTML and PDF) print, built once from the DNA item's stored data
(:mod:`reunite.cases.matching`, :mod:`reunite.cases.lineage`).

For each marker kind used: the kind, the relative compared and the meioses between them, the loci (or
the range) compared and not compared, the differences, the database and the haplotype's count in it, N
and the bound taken as its population probability, the lineage LR; then the autosomal LR, the lineage LR,
the combined LR and the sentence that the LRs multiply (the markers are inherited independently).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from ..genetics import format_lr

__all__ = ["TEXT", "lineage_section"]

TEXT = {
    "en": {
        "title": "Lineage markers (Y-STR, mtDNA)",
        "Y-STR": "Y-STR haplotype (paternal line)", "mtDNA": "mtDNA sequence (maternal line, control region)",
        "kind": "Marker kind", "relative": "Relative compared", "meioses": "Meioses between them",
        "loci": "Loci compared", "not_compared": "Loci not compared", "range": "Range compared",
        "differences": "Differences", "database": "Reference database", "count": "Haplotype count in the database",
        "probability": "Population probability (bound)", "numerator": "P(observed | same line)",
        "lineage_lr": "Lineage LR", "conclusion": "Comparison", "others": "Other typed relatives of the line",
        "autosomal_lr": "Autosomal STR LR", "lineage_total": "Lineage LR (all lineage markers)",
        "combined_lr": "Combined DNA LR", "none": "none", "not_typed": "typed on one side only",
        "not_compared_note": "different numbers of alleles or a microvariant change",
        "steps": "{n} repeat step(s) at {loci}", "no_steps": "none (identical on every locus compared)",
        "positions": "{n} ({pos})", "count_of": "{x} of N = {n}",
        "cp": "{p} (one-sided {c}% Clopper–Pearson upper bound)", "count_m": "{p} (count / N)",
        "augmented": "{p} ((count + 1) / (N + 1))", "disclap": "{p} (discrete Laplace mixture)",
        "simulated": "SIMULATED (shipped for tests and the demo; not a real population)",
        "imported": "imported into the store (sha256 {sha})",
        "cannot_exclude": "cannot be excluded (no difference)", "inconclusive": "inconclusive (1 difference): no LR",
        "exclusion": "excluded", "compared": "compared with the stepwise mutation model",
        "no_autosomal": "not compared (no autosomal STRs of both sides)", "excluded_lr": "0 (excluded)",
        "multiply": ("The lineage markers (on the Y chromosome or in the mitochondria) are inherited independently of "
                     "the autosomal STRs, so the likelihood ratios of the same relationship multiply: combined LR = "
                     "autosomal LR × lineage LR."),
        "closest": ("The closest typed relative of the line who can be compared is used; the others "
                    "are listed, not combined."),
        "method": "Population method", "probability_plain": "Population probability",
        "stale": ("The store's Y-STR population method has been changed to {method} since this evidence was "
                  "computed; the matching re-evaluates it (reload the page once it has run)."),
        "m_clopper_pearson": "count, one-sided {c}% Clopper–Pearson upper bound (α = {a})",
        "m_count": "count / N (an unseen haplotype: the one-sided {c}% Clopper–Pearson bound)",
        "m_augmented": "augmented count (count + 1) / (N + 1)",
        "m_discrete_laplace": "discrete Laplace mixture fitted to the database (Andersen, Eriksen & Morling 2013)",
        "line_title": "Every typed relative of the line",
        "col_relative": "Relative", "col_meioses": "Meioses", "col_differences": "Differences",
        "col_lr": "LR", "col_used": "Used",
        "used": "used", "not_used": "listed", "not_comparable": "not comparable (no locus or range in common)",
        "y_steps": "{n} step(s)", "mt_diffs": "{n}",
        "choice_y": ("The evidence is the LR of {who}, the closest typed man of the paternal line who can "
                     "be compared (fewest meioses; a tie is broken by member id; a man with no locus in "
                     "common is passed over). The other men's LRs are shown, not multiplied: the men of one "
                     "line carry the same Y chromosome by descent, so their comparisons are not independent."),
        "choice_mt": ("The evidence is the LR of {who}, the closest typed relative of the maternal line "
                      "who can be compared (fewest meioses; a tie is broken by member id; one with no range "
                      "in common is passed over). The others' LRs are shown, not multiplied: they carry the "
                      "same mitochondrial DNA by descent, so their comparisons are not independent."),
    },
    "zh": {
        "title": "单亲遗传标记（Y-STR、线粒体DNA）",
        "Y-STR": "Y-STR单倍型（父系）", "mtDNA": "线粒体DNA序列（母系，控制区）",
        "kind": "标记类型", "relative": "比对的亲属", "meioses": "相隔减数分裂次数",
        "loci": "比对的基因座", "not_compared": "未比对的基因座", "range": "比对的区段",
        "differences": "差异", "database": "参照数据库", "count": "该单倍型在数据库中的次数",
        "probability": "群体概率（置信上限）", "numerator": "同一亲缘线下观察到的概率",
        "lineage_lr": "单亲遗传标记似然比", "conclusion": "比对结论", "others": "该亲缘线上其他已检测亲属",
        "autosomal_lr": "常染色体STR似然比", "lineage_total": "单亲遗传标记似然比（合计）",
        "combined_lr": "合并DNA似然比", "none": "无", "not_typed": "仅一方检测",
        "not_compared_note": "等位基因数目不同或微变异改变",
        "steps": "{loci} 共 {n} 个重复单位差异", "no_steps": "无（比对的基因座全部相同）",
        "positions": "{n} 处（{pos}）", "count_of": "{x} / N = {n}",
        "cp": "{p}（单侧 {c}% Clopper–Pearson 置信上限）", "count_m": "{p}（次数 / N）",
        "augmented": "{p}（（次数 + 1）/（N + 1））", "disclap": "{p}（离散拉普拉斯混合模型）",
        "simulated": "模拟数据（随软件提供，仅供测试与演示，并非真实人群）",
        "imported": "已导入数据库（sha256 {sha}）",
        "cannot_exclude": "不能排除（无差异）", "inconclusive": "不确定（1处差异）：不计算似然比",
        "exclusion": "排除", "compared": "按逐步突变模型比对",
        "no_autosomal": "未比对（双方未同时检测常染色体STR）", "excluded_lr": "0（排除）",
        "multiply": ("单亲遗传标记（位于Y染色体或线粒体）与常染色体STR独立遗传，同一亲缘关系的似然比相乘："
                     "合并似然比 = 常染色体似然比 × 单亲遗传标记似然比。"),
        "closest": "采用该亲缘线上可比对的关系最近的已检测亲属；其他亲属仅列出，不合并计算。",
        "method": "群体概率估计方法", "probability_plain": "群体概率",
        "stale": "本证据计算之后，Y-STR 群体概率估计方法已改为：{method}；比对正在重新计算（运行完成后请刷新页面）。",
        "m_clopper_pearson": "计数，单侧 {c}% Clopper–Pearson 置信上限（α = {a}）",
        "m_count": "次数 / N（未见单倍型：单侧 {c}% Clopper–Pearson 置信上限）",
        "m_augmented": "加一计数（次数 + 1）/（N + 1）",
        "m_discrete_laplace": "按数据库拟合的离散拉普拉斯混合模型（Andersen 等，2013）",
        "line_title": "该亲缘线上所有已检测亲属",
        "col_relative": "亲属", "col_meioses": "减数分裂次数", "col_differences": "差异",
        "col_lr": "似然比", "col_used": "是否采用",
        "used": "采用", "not_used": "仅列出", "not_comparable": "无法比对（无共同基因座或区段）",
        "y_steps": "{n} 步", "mt_diffs": "{n} 处",
        "choice_y": ("证据采用{who}的似然比：他是父系中可比对的关系最近的已检测男性"
                     "（减数分裂次数最少；次数相同时按成员编号；无共同基因座者跳过）。"
                     "其他男性的似然比仅列出，不相乘：同一父系的男性经共同祖先继承同一条Y染色体，彼此的比对并不独立。"),
        "choice_mt": ("证据采用{who}的似然比：其为母系中可比对的关系最近的已检测亲属"
                      "（减数分裂次数最少；次数相同时按成员编号；无共同区段者跳过）。"
                      "其他亲属的似然比仅列出，不相乘：他们经共同祖先继承相同的线粒体DNA，彼此的比对并不独立。"),
    },
}

_RELATIONS = {
    "father": ("father", "父亲"), "brother": ("brother", "兄弟"),
    "paternal_grandfather": ("paternal grandfather", "祖父"), "paternal_uncle": ("paternal uncle", "伯父或叔父"),
    "paternal_cousin": ("paternal cousin", "堂兄弟"), "paternal_line": ("man of the paternal line", "父系男性亲属"),
    "mother": ("mother", "母亲"), "maternal_sibling": ("sibling (same mother)", "同母兄弟姐妹"),
    "maternal_grandmother": ("maternal grandmother", "外祖母"),
    "maternal_aunt_or_uncle": ("maternal aunt or uncle", "姨母或舅父"),
    "maternal_cousin": ("maternal cousin", "姨表兄弟姐妹"),
    "maternal_line": ("relative of the maternal line", "母系亲属"),
}


def _lr(log10: float | None, excluded: bool, t: dict) -> str:
    if excluded:
        return t["excluded_lr"]
    if log10 is None:
        return "–"
    return f"{format_lr(10.0 ** log10 if log10 < 308 else math.inf, log10)} (log10 {log10:.3f})"


def _probability(e: Mapping, t: dict) -> str:
    p = e.get("probability")
    if p is None:
        return "–"
    shown = f"{p:.4g}"
    method = e.get("method")
    if method == "clopper_pearson":
        return t["cp"].format(p=shown, c=f"{100 * (1 - float(e.get('alpha') or 0.05)):g}")
    return t[{"count": "count_m", "augmented": "augmented"}.get(method, "disclap")].format(p=shown)


def _who(e: Mapping, lang: str) -> str:
    en, zh = _RELATIONS.get(e.get("relation", ""), (e.get("relation", ""), e.get("relation", "")))
    relation = zh if lang == "zh" else en
    return f"{e['relative']}（{relation}）" if lang == "zh" else f"{e['relative']} ({relation})"


def _method(e: Mapping, t: dict) -> str:
    a = float(e.get("alpha") or 0.05)
    key = f"m_{e.get('method') or 'clopper_pearson'}"
    return t.get(key, str(e.get("method"))).format(c=f"{100 * (1 - a):g}", a=f"{a:g}")


def _line(e: Mapping, lang: str) -> dict | None:
    """The table of every typed relative of the line (None for an entry stored before it was kept)."""
    line = e.get("line")
    if not line:
        return None
    t = TEXT[lang]
    rows = []
    for r in line:
        if r.get("conclusion") == "not_compared":
            diff, lr = t["not_comparable"], "–"
        else:
            n = r.get("differences") or 0
            diff = t["y_steps" if e["marker"] == "Y-STR" else "mt_diffs"].format(n=n)
            if e["marker"] == "Y-STR" and r.get("differing"):
                diff += f"（{', '.join(r['differing'])}）" if lang == "zh" else f" ({', '.join(r['differing'])})"
            lr = (t["inconclusive"] if r.get("conclusion") == "inconclusive"
                  else _lr(r.get("log10_lr"), r.get("conclusion") == "exclusion", t))
        used = bool(r.get("used"))
        rows.append({"id": r["relative"], "used": used,
                     "cells": [_who(r, lang), str(r.get("meioses")), diff, lr, t["used"] if used else t["not_used"]]})
    return {"title": t["line_title"], "head": [t["col_relative"], t["col_meioses"], t["col_differences"], t["col_lr"],
                                               t["col_used"]], "rows": rows}


def _entry(e: Mapping, lang: str) -> dict:
    t = TEXT[lang]
    rel = _who(e, lang)
    excluded = e.get("conclusion") == "exclusion"
    rows = [(t["kind"], t[e["marker"]]), (t["relative"], rel), (t["meioses"], str(e.get("meioses")))]
    if e["marker"] == "Y-STR":
        loci = e.get("loci_compared") or []
        rows.append((t["loci"], f"{len(loci)}: {', '.join(loci)}" if loci else t["none"]))
        nc = [f"{x} ({t['not_compared_note']})" for x in e.get("not_compared") or []]
        nc += [f"{x} ({t['not_typed']})" for x in e.get("not_typed") or []]
        rows.append((t["not_compared"], "; ".join(nc) if nc else t["none"]))
        d = e.get("differences") or 0
        rows.append((t["differences"], t["steps"].format(n=d, loci=", ".join(e.get("differing_loci") or []))
                     if d else t["no_steps"]))
        rows.append((t["conclusion"], t["exclusion"] if excluded else t["compared"]))
    else:
        rows.append((t["range"], e.get("range") or "–"))
        pos = e.get("differing_positions") or []
        rows.append((t["differences"], t["positions"].format(n=len(pos), pos=", ".join(pos)) if pos else t["none"]))
        rows.append((t["conclusion"], t.get(e.get("conclusion"), e.get("conclusion"))))
    db = e.get("database") or "–"
    sha = (e.get("database_sha256") or "")[:12]
    db += " · " + (t["simulated"] if e.get("simulated") else t["imported"].format(sha=sha))
    rows.append((t["database"], db))
    if e.get("n") is not None:
        rows.append((t["count"], t["count_of"].format(x=e.get("count"), n=f"{e['n']:,}")))
        rows.append((t["method"], _method(e, t)))
        label = t["probability"] if e.get("method") in ("clopper_pearson", None) else t["probability_plain"]
        rows.append((label, _probability(e, t)))
    if e["marker"] == "Y-STR" and e.get("numerator") is not None:
        rows.append((t["numerator"], f"{e['numerator']:.4g}"))
    rows.append((t["lineage_lr"], _lr(e.get("log10_lr"), excluded, t) if e.get("conclusion") != "inconclusive"
                 else t["inconclusive"]))
    line = _line(e, lang)
    if e.get("others_on_line") and line is None:
        rows.append((t["others"], ", ".join(e["others_on_line"])))
    choice = t["choice_y" if e["marker"] == "Y-STR" else "choice_mt"].format(who=rel) if line else None
    return {"id": "lineage-y" if e["marker"] == "Y-STR" else "lineage-mt", "heading": t[e["marker"]], "rows": rows,
            "line": line, "choice": choice}


def lineage_section(data: Mapping | None, lang: str = "en", *, current_method: Mapping | None = None) -> dict | None:
    """The lineage section of a DNA item's stored ``data`` in ``lang`` (None when it has no lineage evidence):
    ``{"title", "entries": [{"id", "heading", "rows": [(label, value)], "line", "choice"}],
    "summary": [(label, value)], "sentence", "closest"}``; ``line`` (None for a result stored before it was
    kept) is every typed relative of the line, ``{"title", "head", "rows": [{"id", "used", "cells"}]}``, and
    ``choice`` says which one is used and why.  With ``current_method`` (``{"method", "alpha"}``: the store's
    configured one), a Y-STR entry computed by another method is marked stale (``stale``: the sentence)."""
    if not data or not data.get("lineage"):
        return None
    lang = "zh" if lang == "zh" else "en"
    t = TEXT[lang]
    entries = [_entry(e, lang) for e in data["lineage"]]
    lineage_excluded = data.get("lineage_log10_lr") is None
    auto = (t["no_autosomal"] if not data.get("autosomal") else
            _lr(data.get("autosomal_log10_lr"), data.get("autosomal_log10_lr") is None, t))
    combined = data.get("combined_log10_lr")
    summary = [(t["autosomal_lr"], auto), (t["lineage_total"], _lr(data.get("lineage_log10_lr"), lineage_excluded, t)),
               (t["combined_lr"], _lr(combined, combined is None, t))]
    return {"title": t["title"], "entries": entries, "summary": summary, "sentence": t["multiply"],
            "closest": t["closest"] if any(x["line"] is None for x in entries) else None,
            "stale": _stale(data["lineage"], current_method, t)}


def _stale(entries, current: Mapping | None, t: dict) -> str | None:
    if not current:
        return None
    for e in entries:
        if e.get("marker") == "Y-STR" and (e.get("method"), float(e.get("alpha") or 0.05)) != (
                current["method"], float(current["alpha"])):
            return t["stale"].format(method=_method(current, t))
    return None
