"""``reunite demo``: the Kunming case of DESIGN.md, end to end, from a seed.

In 2014 police in Kunming (Yunnan) broke a ring of 32 people that bought infants from families in
remote villages for up to 10,000 yuan and sold them for up to 140,000 yuan to buyers in Shandong,
Fujian and Henan.  21 children were sold; 11 infants of about eight months were rescued and placed
in a nursery (one has congenital glaucoma, as its family's report says); many of the parents may have
sold them.

The demo builds that case with simulated people (invented names; DNA gene-dropped from the
bundled NIST 1036 U.S. Asian table over the 23 markers of the Chinese kits): the ring and its sales,
the 21 source families (some with both parents typed, some with one parent or a sibling; some
suspected of the sale; some never reported), unrelated missing-child reports from across China,
and the 11 rescued infants.  It writes the CSV files, imports them into a fresh SQLite database
through the normal imports, runs the matching, prints the table an investigator reads, and
writes the kinship reports.  Every sample carries its chain of custody (kind, who collected,
sealed and received it, and when), and the typing laboratory is registered with its accreditation
number (a fictitious one: ``CNAS L9999``), so the lab reports show what a signed report shows.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
from sqlalchemy import select

from .cases.cohorts import add_cohort, solve_stored_cohort
from .cases.db import open_session
from .cases.guidance import report_guidance
from .cases.importing import SAMPLE_COLUMNS, import_families, import_found, import_profiles, import_reports
from .cases.labs import add_lab
from .cases.matching import run_matching
from .cases.models import Candidate, FoundChild, MissingReport
from .cases.photos import add_photo
from .cases.records import add_user, candidate_items
from .cases.settings import MatchingSettings
from .evidence.face import FACES_INSTALL_HINT, faces_available
from .evidence.fusion import nondna_log10
from .evidence.place import place_lr, resolve_place
from .evidence.registry import label, order_of
from .genetics import format_lr, load_frequencies, verbal_equivalent
from .genetics.simulate import MARKER_SETS
from .genetics.simulate_lineage import mutate_y, simulate_y_population
from .network import Network, import_network, province_leads, suspected_families, village_leads
from .network.importing import PEOPLE_COLUMNS, TRANSFER_COLUMNS
from .network.mapping import flow_map
from .network.picture import draw_png
from .network.text import render_chain, render_gap_summary, render_unfound
from .reports.store import write_candidate_report

__all__ = ["DemoData", "build_demo", "run_demo"]

TABLE = "nist1036_us_asian"
RING = "KM-2014-RING"
#: The rescue of the 11 infants, solved jointly (:mod:`reunite.cases.cohorts`).
COHORT = "KM-2014-RESCUE"
#: The typing laboratory of the demo (invented; the accreditation number is fictitious).
LAB = {"name": "Kunming PSB forensic DNA laboratory", "name_zh": "昆明市公安局物证鉴定所DNA实验室",
       "accreditation": "CNAS L9999（示例）", "address": "云南省昆明市（示例地址）"}
KIT = "Goldeneye 22NC"
TYPED_ON = dt.date(2014, 2, 1)
VILLAGES = ["昭通市镇雄县", "昭通市彝良县", "昭通市威信县", "曲靖市会泽县", "曲靖市宣威市", "文山州广南县",
            "红河州屏边县"]
PROVINCES = ["山东省", "福建省", "河南省"]
ELSEWHERE = ["四川省凉山州", "贵州省毕节市", "广西百色市", "湖南省邵阳市", "广东省东莞市", "河北省邯郸市",
             "安徽省阜阳市", "江西省赣州市", "甘肃省定西市", "陕西省汉中市"]
SURNAMES = list("李王张刘陈杨赵黄周吴徐孙马朱胡郭何罗高林")
#: The glaucoma case: one rescued infant has congenital glaucoma, and so does the child of one report (the
#: infant's own family, which has not given DNA yet); the marks evidence counts it at its prevalence.
GLAUCOMA_REPORT = "先天性青光眼（县医院诊断过，左眼怕光、流泪）"
GIVEN = ["小明", "小红", "子涵", "浩然", "欣怡", "宇轩", "梓萱", "俊杰", "诗琪", "家豪", "雨桐", "志强", "佳怡",
         "文博", "思雨", "天佑", "晓东", "春燕", "海波", "丽娟"]


@dataclass
class DemoData:
    """Everything the demo builds, with the truth the test checks."""

    found: list[dict] = field(default_factory=list)
    reports: list[dict] = field(default_factory=list)
    families: list[dict] = field(default_factory=list)     # families.csv rows
    profiles: list[tuple] = field(default_factory=list)    # (sample, marker, a1, a2)
    custody: dict[str, dict] = field(default_factory=dict)  # sample -> SAMPLE_COLUMNS values
    ring: list[dict] = field(default_factory=list)
    transfers: list[dict] = field(default_factory=list)
    truth: dict[str, str | None] = field(default_factory=dict)   # infant case number -> report number
    with_dna: set[str] = field(default_factory=set)               # reports whose family gave DNA


def _draw(rng, freqs) -> int:
    return int(rng.choice(len(freqs), p=freqs / freqs.sum()))


def build_demo(seed: int = 2014) -> DemoData:
    """Build the Kunming case (deterministic for a seed)."""
    rng = np.random.default_rng(seed)
    # The families' other children come from their own stream, so the rest of the case is as before.
    rng_others = np.random.default_rng(seed + 1)
    table = load_frequencies(TABLE)
    markers = list(MARKER_SETS["cn23"])
    mfs = [table[m] for m in markers]
    data = DemoData()

    def genotype():
        return [(_draw(rng, mf.freqs), _draw(rng, mf.freqs)) for mf in mfs]

    def child_of(fa, mo):
        return [(f[rng.integers(2)], m[rng.integers(2)]) for f, m in zip(fa, mo, strict=True)]

    def add_profile(sample, g, sex, collected, kind):
        data.custody[sample] = {
            "kit": KIT, "typed_on": TYPED_ON.isoformat(), "sample_kind": kind, "collected_on": collected.isoformat(),
            "collected_by": "赵民警" if kind == "blood_card" else "孙民警", "sealed_by": "钱民警",
            "received_by": "周技术员", "received_on": (collected + dt.timedelta(days=2)).isoformat()}
        for mf, (a, b) in zip(mfs, g, strict=True):
            data.profiles.append((sample, mf.name, mf.alleles[a], mf.alleles[b]))
        data.profiles.append((sample, "Amelogenin", "X", "Y" if sex == "male" else "X"))

    def add_family(report, sex, sib_sex, typed, gts, with_dna):
        """A family's pedigree rows (father, mother, maybe a sibling, the missing child C) and the
        profiles of its typed members when it gave DNA."""
        members = [("F", "", "", "male"), ("M", "", "", "female")]
        if sib_sex is not None:
            members.append(("S", "F", "M", sib_sex))
        members.append(("C", "F", "M", sex))
        for mid, f_, m_, sx in members:
            sample = f"{report}-{mid}" if with_dna and mid in typed else ""
            data.families.append({"family": report, "id": mid, "father": f_, "mother": m_, "sex": sx,
                                  "sample": sample, "missing": "1" if mid == "C" else "0"})
            if sample:
                add_profile(sample, gts[mid], sx, dt.date(2014, 1, 20), "buccal_swab")
        if with_dna:
            data.with_dna.add(report)

    def name():
        return SURNAMES[rng.integers(len(SURNAMES))] + GIVEN[rng.integers(len(GIVEN))]

    # The ring: 32 suspects, many related to each other.
    # (the roles of reunite.network: brokers bought in the villages, couriers carried the infants)
    roles = ["organiser"] * 2 + ["broker"] * 8 + ["courier"] * 10 + ["seller"] * 8 + ["forger"] * 4
    for i, role in enumerate(roles):
        data.ring.append({"suspect": f"S{i + 1:02d}", "name": name(), "role": role,
                          "related_to": f"S{rng.integers(1, i + 1):02d}" if i and rng.random() < 0.6 else ""})

    # The 21 children sold by the ring and their families.
    structures = (["both_parents"] * 9 + ["mother_only"] * 4 + ["father_only"] * 2 + ["mother_and_sibling"] * 5
                  + ["siblings_only"] * 1)
    rng.shuffle(structures)
    order = rng.permutation(21).tolist()
    rescued_set = set(order[:11])                        # 11 infants were rescued in Kunming
    sold_by_family = set(order[5:13])                    # 8 families sold their child to the ring
    never_reported = {order[10], order[11], order[12]}   # sold and kept quiet (one of them rescued)
    suspected = sold_by_family - never_reported          # named in the ring's testimony
    no_dna_yet = {order[0], order[1]}                    # reported, but no reference DNA given yet
    rescued = sorted(rescued_set, key=order.index)
    raid = dt.date(2014, 1, 15)
    infants: dict[int, tuple] = {}
    sales: list[dict] = []
    case_of: dict[int, str] = {}
    for i in range(21):
        st = structures[i]
        report = f"YN-2013-{i + 1:03d}"
        village = VILLAGES[i % len(VILLAGES)]
        sex = "male" if rng.random() < 0.6 else "female"
        born = dt.date(2013, 3, 1) + dt.timedelta(days=int(rng.integers(0, 120)))
        gone = born + dt.timedelta(days=int(rng.integers(20, 110)))
        fa, mo = genotype(), genotype()
        kid = child_of(fa, mo)
        sib = child_of(fa, mo)
        typed = {"both_parents": ("F", "M"), "mother_only": ("M",), "father_only": ("F",),
                 "mother_and_sibling": ("M", "S"), "siblings_only": ("S",)}[st]
        gts = {"F": fa, "M": mo, "S": sib}
        price_in = int(rng.integers(3, 11)) * 1000
        price_out = int(rng.integers(30, 141)) * 1000
        sales.append({"i": i, "village": village, "gone": gone, "price_in": price_in, "price_out": price_out,
                      "rescued": i in rescued_set, "family_sold": i in sold_by_family,
                      "report": report if i not in never_reported else None})
        if i not in never_reported:
            data.reports.append({
                "report_number": report, "child_name": name(), "sex": sex, "date_of_birth": born.isoformat(),
                "disappeared_on": gone.isoformat(), "disappeared_place": f"云南省{village}",
                "circumstances": "孩子被人贩子带走" if i not in sold_by_family else "家人称孩子被抱走；警方怀疑出卖",
                "marks": GLAUCOMA_REPORT if i == order[0] else "",
                "contact_name": name(), "contact_phone": f"1380871{i:04d}", "multiple_missing": "0",
                "suspected_of_sale": "1" if i in suspected else "0"})
            sib_sex = ("male" if rng.random() < 0.5 else "female") if "S" in typed else None
            # The report lists the family's other children (older than the infant): the sibling of
            # the pedigree, or none, or one who gave no DNA.
            older = [(sib_sex, int(rng_others.integers(2006, 2012)))] if sib_sex else (
                [] if rng_others.random() < 0.5 else
                [("male" if rng_others.random() < 0.5 else "female", int(rng_others.integers(2004, 2012)))])
            data.reports[-1]["other_children"] = "; ".join(f"{sx} {yr}" for sx, yr in older) or "none"
            add_family(report, sex, sib_sex, typed, gts, i not in no_dna_yet)
        infants[i] = (st, report, sex, born, kid)
    for i in rescued:
        _st, report, sex, born, kid = infants[i]
        if kid is not None:
            case = f"KM-2014-{len(data.found) + 1:03d}"
            age = (raid - born).days / 30.4375
            data.found.append({
                "case_number": case, "sex": sex, "age_months": f"{age + rng.normal(0, 1.0):.1f}",
                "age_sd_months": "1.5", "age_assessed_on": raid.isoformat(), "found_on": raid.isoformat(),
                "found_place": "云南省昆明市", "care_location": "昆明市儿童福利院",
                "health_conditions": "先天性青光眼 (congenital glaucoma)" if i == order[0] else "",
                "marks": "", "ring_reference": RING, "sample": f"{case}-DNA", "cohort": COHORT})
            add_profile(f"{case}-DNA", kid, sex, dt.date(2014, 1, 16), "blood_card")
            data.truth[case] = report if i not in never_reported else None
            case_of[i] = case

    # Unrelated missing-child reports from across the country.
    for j in range(40):
        report = f"CN-{2008 + j % 6}-{j + 1:04d}"
        sex = "male" if rng.random() < 0.55 else "female"
        born = dt.date(2004, 1, 1) + dt.timedelta(days=int(rng.integers(0, 3650)))
        gone = born + dt.timedelta(days=int(rng.integers(30, 1500)))
        data.reports.append({
            "report_number": report, "child_name": name(), "sex": sex, "date_of_birth": born.isoformat(),
            "disappeared_on": gone.isoformat(), "disappeared_place": ELSEWHERE[j % len(ELSEWHERE)],
            "circumstances": "走失", "contact_name": name(), "contact_phone": f"1390000{j:04d}",
            "multiple_missing": "0", "suspected_of_sale": "0", "other_children": "none" if j % 2 == 0 else ""})
        with_dna = j % 4 != 3
        fa, mo = genotype(), genotype()
        sib = child_of(fa, mo)
        st = ["both_parents", "mother_only", "mother_and_sibling", "father_only"][j % 4]
        typed = {"both_parents": ("F", "M"), "mother_only": ("M",), "father_only": ("F",),
                 "mother_and_sibling": ("M", "S")}[st]
        add_family(report, sex, "female" if "S" in typed else None, typed, {"F": fa, "M": mo, "S": sib}, with_dna)
    _build_network(data, sales, case_of, np.random.default_rng(seed + 2), raid)
    return data


#: The lineage example of the demo: a boy found in Kunming in 2015 whose family's only typed relative is
#: his paternal uncle (伯父), typed at the 23 autosomal STRs and the 27 Y-STRs of Yfiler Plus.
LINEAGE_REPORT, LINEAGE_CASE = "YN-2012-044", "KM-2015-031"


def build_lineage_example(seed: int = 2014) -> dict[str, tuple[list[str], list]]:
    """The lineage example's CSV rows (header, rows) by file: ``reports``, ``found``, ``profiles`` (the
    autosomal rows and the Y-STR rows of the uncle and the boy), ``families``.

    SIMULATED: the grandparents' and the mother's genotypes are drawn from the bundled table, the father
    and the uncle are the grandparents' sons, the boy the father's; the uncle's haplotype is a man of the
    clan process of :mod:`reunite.genetics.simulate_lineage` and the boy's is dropped from it through the
    3 meioses between them (boy, father, grandfather, uncle)."""
    rng = np.random.default_rng(seed + 44)
    table = load_frequencies(TABLE)
    mfs = [table[m] for m in MARKER_SETS["cn23"]]

    def genotype():
        return [(_draw(rng, mf.freqs), _draw(rng, mf.freqs)) for mf in mfs]

    def child_of(fa, mo):
        return [(f[rng.integers(2)], m[rng.integers(2)]) for f, m in zip(fa, mo, strict=True)]

    gf, gm, mo = genotype(), genotype(), genotype()
    father, uncle = child_of(gf, gm), child_of(gf, gm)
    boy = child_of(father, mo)
    y_uncle = simulate_y_population(1, seed=seed + 44)[0]
    y_boy = mutate_y(y_uncle, 3, rng)
    custody = {"kit": "Goldeneye 22NC; Yfiler Plus", "typed_on": "2015-04-02", "collected_by": "赵民警",
               "sealed_by": "钱民警", "received_by": "周技术员"}
    profiles = []
    for sample, g, y, kind, collected in ((f"{LINEAGE_REPORT}-U", uncle, y_uncle, "buccal_swab", "2015-03-20"),
                                          (f"{LINEAGE_CASE}-DNA", boy, y_boy, "blood_card", "2015-03-11")):
        meta = {**custody, "sample_kind": kind, "collected_on": collected, "received_on": collected[:-2] + "25"}
        rows = [(sample, mf.name, mf.alleles[a], mf.alleles[b]) for mf, (a, b) in zip(mfs, g, strict=True)]
        rows.append((sample, "Amelogenin", "X", "Y"))
        rows += [(sample, locus, ",".join(str(a) for a in alleles), "") for locus, alleles in y.items()]
        profiles += [(*r, *(meta[c] for c in SAMPLE_COLUMNS)) for r in rows]
    return {
        "reports": (["report_number", "child_name", "sex", "date_of_birth", "disappeared_on", "disappeared_place",
                     "circumstances", "contact_name", "contact_phone", "multiple_missing", "suspected_of_sale",
                     "other_children"],
                    [(LINEAGE_REPORT, "杨小军", "male", "2011-08-14", "2012-11-03", "云南省昭通市镇雄县",
                      "在集市走失；父母外出务工，由伯父报案", "杨国华", "13908870044", "0", "0", "none")]),
        "found": (["case_number", "sex", "age_months", "age_sd_months", "age_assessed_on", "found_on", "found_place",
                   "care_location", "sample"],
                  [(LINEAGE_CASE, "male", "43", "6", "2015-03-10", "2015-03-10", "云南省昆明市", "昆明市儿童福利院",
                    f"{LINEAGE_CASE}-DNA")]),
        "profiles": (["sample", "marker", "allele1", "allele2", *SAMPLE_COLUMNS], profiles),
        "families": (["family", "id", "father", "mother", "sex", "sample", "missing"],
                     [(LINEAGE_REPORT, *row) for row in (
                         ("GF", "", "", "male", "", "0"), ("GM", "", "", "female", "", "0"),
                         ("F", "GF", "GM", "male", "", "0"), ("M", "", "", "female", "", "0"),
                         ("U", "GF", "GM", "male", f"{LINEAGE_REPORT}-U", "0"), ("C", "F", "M", "male", "", "1"))]),
    }


def _lineage_block(session, echo) -> dict:
    """Print the lineage example: the boy's best family, the autosomal, Y-STR and combined LRs."""
    child = session.scalars(select(FoundChild).where(FoundChild.case_number == LINEAGE_CASE)).one()
    cands = sorted((c for c in child.candidates if c.dna_log10_lr is not None), key=lambda c: -c.dna_log10_lr)
    echo("")
    echo(f"Lineage markers (Y-STR): {LINEAGE_CASE}, a boy found in Kunming in 2015; the only typed relative of "
         f"report {LINEAGE_REPORT} is his paternal uncle.")
    out: dict = {"case": LINEAGE_CASE, "report": LINEAGE_REPORT, "rank": None}
    for rank, c in enumerate(cands, start=1):
        if c.report.report_number == LINEAGE_REPORT:
            out["rank"] = rank
            data = c.item("dna").data
            y = data["lineage"][0]
            auto, lin = data["autosomal_log10_lr"], data["lineage_log10_lr"]
            out.update(autosomal=auto, lineage=lin, combined=c.dna_log10_lr, y=y)
            sim = "SIMULATED " if y["simulated"] else ""
            echo(f"  autosomal STRs (uncle, 23 loci): LR {format_lr(10 ** auto, auto)}; Y-STRs "
                 f"({len(y['loci_compared'])} loci compared, {y['meioses']} meioses, {y['differences']} repeat "
                 f"step(s) apart; the haplotype seen {y['count']} times in {y['n']} {sim}haplotypes, 95% bound "
                 f"{y['probability']:.3g}): LR {format_lr(10 ** lin, lin)}")
            echo(f"  combined DNA LR {format_lr(c.dna_lr, c.dna_log10_lr)} (the markers are inherited independently, "
                 f"so the LRs multiply); the family ranks {rank} of {len(cands)} for this boy; posterior "
                 f"{c.posterior:.4f}.")
            break
    else:
        echo(f"  {LINEAGE_REPORT} is not a DNA candidate of {LINEAGE_CASE}.")
    return out


BUYER_PLACES = {"山东省": ["山东省临沂市", "山东省菏泽市", "山东省聊城市"], "福建省": ["福建省莆田市", "福建省泉州市"],
                "河南省": ["河南省周口市", "河南省商丘市"]}


def _build_network(data: DemoData, sales: list[dict], case_of: dict[int, str], rng, raid: dt.date) -> None:
    """The ring's people (with home places, arrests, relations), the parents who sold and the buyers,
    and every handover of the 21 children (the formats of ``reunite network import``).  Drawn from
    its own random stream, so the rest of the case does not depend on it."""
    def name():
        return SURNAMES[rng.integers(len(SURNAMES))] + GIVEN[rng.integers(len(GIVEN))]

    ring = data.ring
    home = {"organiser": "云南省昆明市", "seller": "云南省昆明市", "forger": "云南省昆明市"}
    for k, p in enumerate(ring):
        p["person"] = p["suspect"]
        p["home_place"] = home.get(p["role"]) or f"云南省{VILLAGES[int(rng.integers(3)) if k % 2 else k % 7]}"
        p["arrest_status"], p["arrested_on"] = "arrested", raid.isoformat()
        p["source"] = "专案组抓捕记录（示例）"
        rels = [f"{p['related_to']}:kin"] if p["related_to"] else []
        if p["role"] == "broker":
            rels.append(f"S{1 + k % 2:02d}:paid")
        if p["role"] == "seller":
            rels.append(f"S{1 + k % 2:02d}:phoned")
        same = next((q["suspect"] for q in ring[:k] if q.get("home_place") == p["home_place"]
                     and q["role"] in ("broker", "courier")), None)
        if same and p["role"] in ("broker", "courier") and same != p["related_to"]:
            rels.append(f"{same}:same_town")
        p["relations"] = "; ".join(rels)
    for code in ("S20", "S28", "S32"):                  # three are still at large
        p = next(q for q in ring if q["suspect"] == code)
        p["arrest_status"], p["arrested_on"] = "at_large", ""
    transfers = []
    label = 0
    for sale in sales:
        i, gone = sale["i"], sale["gone"]
        if i in case_of:
            child = {"found_child": case_of[i]}
        elif sale["report"]:
            child = {"report": sale["report"]}
        else:
            label += 1
            child = {"child_label": f"供述 S{3 + i % 8:02d} 第{label}名婴儿"}
        broker, courier, seller = f"S{3 + i % 8:02d}", f"S{11 + i % 10:02d}", f"S{21 + i % 8:02d}"
        parent = ""
        if sale["family_sold"]:
            parent = f"P{i + 1:02d}"
            ring.append({"person": parent, "name": name(), "role": "parent", "home_place": f"云南省{sale['village']}",
                         "arrest_status": "unknown", "parent_of": sale["report"] or "",
                         "source": f"讯问笔录 {broker}（示例）"})
        d1 = gone + dt.timedelta(days=int(rng.integers(2, 7)))
        d2 = d1 + dt.timedelta(days=int(rng.integers(1, 4)))
        steps = [(parent, broker, gone, f"云南省{sale['village']}", sale["price_in"], f"讯问笔录 {broker}（示例）"),
                 (broker, courier, d1, "云南省昆明市", sale["price_in"] + int(rng.integers(2, 9)) * 1000,
                  f"讯问笔录 {courier}（示例）"),
                 (courier, seller, d2, "云南省昆明市", None, f"通话记录 {courier}-{seller}（示例）")]
        if not sale["rescued"]:
            province = PROVINCES[i % 3]
            buyer, place = f"B{i + 1:02d}", BUYER_PLACES[province][int(rng.integers(len(BUYER_PLACES[province])))]
            ring.append({"person": buyer, "name": name(), "role": "buyer", "home_place": place,
                         "arrest_status": "at_large", "source": f"讯问笔录 {seller}（示例）"})
            steps.append((seller, buyer, d2 + dt.timedelta(days=int(rng.integers(5, 26))), place, sale["price_out"],
                          f"银行转账记录 {seller}（示例）"))
        for k, (a, b, on, place, price, source) in enumerate(steps, start=1):
            transfers.append({"transfer": f"T{i + 1:02d}-{k}", **child, "from": a, "to": b, "date": on.isoformat(),
                              "place": place, "price_yuan": "" if price is None else price, "source": source})
    # A courier's recorded arrest before one of his handovers: the gap the analysis must find.
    last = max((t for t in transfers if t["from"].startswith("S1") or t["from"] == "S20"), key=lambda t: t["date"])
    courier = next(q for q in ring if q["person"] == last["from"])
    courier["arrest_status"] = "arrested"
    courier["arrested_on"] = (dt.date.fromisoformat(last["date"]) - dt.timedelta(days=3)).isoformat()
    data.transfers = transfers


def _write_csv(path: Path, rows: list[dict] | list[tuple], header: list[str]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for r in rows:
            w.writerow([r.get(h, "") for h in header] if isinstance(r, dict) else list(r))
    return path


def write_demo_files(data: DemoData, out: Path) -> dict[str, Path]:
    """Write the demo's CSV files (the formats of `reunite import`)."""
    out.mkdir(parents=True, exist_ok=True)
    return {
        "found": _write_csv(out / "found_children.csv", data.found, list(data.found[0])),
        "reports": _write_csv(out / "missing_reports.csv", data.reports, list(data.reports[0])),
        "profiles": _write_csv(out / "profiles.csv",
                               [(*p, *(data.custody[p[0]][c] for c in SAMPLE_COLUMNS)) for p in data.profiles],
                               ["sample", "marker", "allele1", "allele2", *SAMPLE_COLUMNS]),
        "families": _write_csv(out / "families.csv", data.families,
                               ["family", "id", "father", "mother", "sex", "sample", "missing"]),
        "ring": _write_csv(out / "ring.csv", data.ring, PEOPLE_COLUMNS),
        "transfers": _write_csv(out / "transfers.csv", data.transfers, TRANSFER_COLUMNS),
    }


def run_demo(out: str | Path = "demo-output", *, seed: int = 2014, echo=print, reports: bool = True) -> dict:
    """Build, import, match and print; return the ranking per infant and the truth (for tests)."""
    t0 = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    db = out / "reunite-demo.db"
    for p in (db, out / "index"):
        if p.is_file():
            p.unlink()
    if (out / "index").is_dir():
        shutil.rmtree(out / "index")
    data = build_demo(seed)
    files = write_demo_files(data, out)
    url = f"sqlite:///{db}"
    ranking: dict[str, list[tuple[str, float | None, float | None]]] = {}
    with open_session(url) as s:
        add_user(s, "张警官", "investigator")
        add_user(s, "李分析师", "lab_analyst")
        add_lab(s, LAB["name"], name_zh=LAB["name_zh"], accreditation=LAB["accreditation"], address=LAB["address"],
                user="李分析师")
        import_reports(s, files["reports"], user="张警官")
        import_found(s, files["found"], user="张警官")
        import_profiles(s, files["profiles"], lab=LAB["name"], kit=KIT, typed_on=TYPED_ON, user="李分析师")
        import_families(s, files["families"], user="李分析师")
        # The lineage example: a boy found in 2015, his paternal uncle typed at the Y-STRs too.
        lineage_files = {k: _write_csv(out / f"lineage_{k}.csv", rows, header)
                         for k, (header, rows) in build_lineage_example(seed).items()}
        import_reports(s, lineage_files["reports"], user="张警官")
        import_found(s, lineage_files["found"], user="张警官")
        import_profiles(s, lineage_files["profiles"], lab=LAB["name"], user="李分析师")
        import_families(s, lineage_files["families"], user="李分析师")
        # (the ring first: its chains give the matching the network evidence, and mark the parents who sold)
        ring = import_network(s, files["ring"], files["transfers"], investigation=RING, user="张警官")
        faces = _add_photos(s, data, out / "media")
        summary = run_matching(s, frequencies=TABLE, index_dir=out / "index", faces=faces, media=out / "media")
        echo("Reunite demo — the Kunming case (2014): a ring of 32 suspects; 21 infants bought in Yunnan villages;")
        echo("11 rescued in Kunming and placed in a nursery; 10 sold to Shandong, Fujian and Henan, not yet found.")
        echo(f"Loaded {len(data.reports)} missing-child reports ({len(data.with_dna)} with reference DNA), "
             f"{len(data.found)} rescued infants, {len(data.profiles)} genotype rows; "
             f"prior 1/{round(1 / summary.prior)}.")
        echo("")
        echo(f"{'infant':<13}{'best family':<14}{'LR':>16}  {'verbal (ENFSI)':<26}{'DNA (' + summary.rules + ')':<13}"
             f"{'posterior':>10}{'incons.':>8}  {'status':<8} flag")
        for child in s.scalars(select(FoundChild).order_by(FoundChild.case_number)):
            cands = sorted(child.candidates, key=lambda c: (c.dna_log10_lr is None,
                                                            -(c.dna_log10_lr or 0.0), -(c.posterior or 0)))
            ranking[child.case_number] = [(c.report.report_number, c.dna_log10_lr, c.posterior) for c in cands]
            dna = [c for c in cands if c.dna_log10_lr is not None]
            if dna:
                c = dna[0]
                verbal = (c.dna_conclusion or {}).get("verbal") or verbal_equivalent(c.dna_lr, c.dna_log10_lr)
                verbal = verbal.split(" that")[0]
                flag = "SUSPECTED SALE: refer to investigators" if c.report.suspected_of_sale else ""
                echo(f"{child.case_number:<13}{c.report.report_number:<14}{format_lr(c.dna_lr, c.dna_log10_lr):>16}  "
                     f"{verbal:<26}{c.dna_decision or '-':<13}{c.posterior:>10.4f}{c.inconsistent_markers or 0:>8}  "
                     f"{c.status:<8} {flag}")
            else:
                ask = [c.report.report_number for c in cands if c.dna_lr is None and c.dna_log10_lr is None][:3]
                echo(f"{child.case_number:<13}{'(no DNA match)':<14}{'':>16}  {'':<26}{'':<13}{'':>10}{'':>8}  "
                     f"{'':<8} ask for DNA first: {', '.join(ask) if ask else 'no report fits'}")
        lineage = _lineage_block(s, echo)
        _evidence_beside_dna(s, echo, faces)
        n_flag = sum(1 for c in s.scalars(select(Candidate)) if c.report.suspected_of_sale and c.dna_log10_lr
                     and c.dna_log10_lr >= 4)
        echo("")
        echo(f"{n_flag} matched families are flagged: investigators suspect they sold the child "
             "(outcome to record on confirmation: referred_for_investigation).")
        ring_ranking = {k: v for k, v in ranking.items() if k != LINEAGE_CASE}   # (the ring's infants)
        cohort = _solve_cohort(s, echo, ring_ranking)
        network = _network(s, ring, echo, ring_ranking)
        network["flow_maps"] = _flow_maps(s, out, echo)
        picture = draw_png(Network.from_store(s, RING), out / "network.png")
        echo(f"The network picture (people by role, transfers of the children as arrows): {picture}")
        written = []
        if reports:
            written = _write_reports(s, out / "reports", url)
            if written:
                echo(f"Kinship reports (HTML) for the best match of each infant: {out / 'reports'}")
    echo(f"Database: {db}   CSV files, ring and transfers: {out}   ({time.perf_counter() - t0:.1f} s)")
    return {"ranking": ranking, "truth": data.truth, "with_dna": data.with_dna, "summary": summary.as_dict(),
            "reports": written, "cohort": cohort, "network": network, "picture": picture, "lineage": lineage}


def _flow_maps(session, out: Path, echo) -> list[str]:
    """The flow map of the ring's children (origins → Kunming → provinces) in Chinese and English."""
    net = Network.from_store(session, RING)
    paths = [out / f"flow-map-{lang}.svg" for lang in ("zh", "en")]
    for path, lang in zip(paths, ("zh", "en"), strict=True):
        path.write_text(flow_map(session, net, lang), encoding="utf-8")
    echo(f"Flow map (origins → Kunming → provinces, docs/maps.md): {paths[0]} and {paths[1].name}")
    return [str(p) for p in paths]


def _demo_photos(data: DemoData) -> list[tuple[str, str, str]]:
    """(owner kind, case or report number, file in data/demo/faces) of the demo's photographs: the two
    infants whose families have not given DNA and their reports (one person each: a match), the infant
    never reported, and one report from elsewhere (another person)."""
    no_dna = sorted(case for case, rep in data.truth.items() if rep and rep not in data.with_dna)
    unreported = sorted(case for case, rep in data.truth.items() if rep is None)
    elsewhere = next(r["report_number"] for r in data.reports
                     if r["report_number"].startswith("CN-") and r["report_number"] not in data.with_dna)
    out = []
    for case, person in zip(no_dna, ("005", "030"), strict=False):
        out += [("report", data.truth[case], f"london_{person}_03.jpg"),
                ("found_child", case, f"london_{person}_08.jpg")]
    out += [("found_child", case, "london_045_08.jpg") for case in unreported[:1]]
    return [*out, ("report", elsewhere, "london_067_03.jpg")]


def _add_photos(session, data: DemoData, media: Path) -> bool:
    """Store the demo's photographs (licensed stand-ins: data/demo/faces/README.md); whether the
    matching can compare them (the ``faces`` extra)."""
    folder = resources.files("reunite").joinpath("data/demo/faces")
    for kind, number, name in _demo_photos(data):
        add_photo(session, folder.joinpath(name).read_bytes(), user="张警官", media=media, commit=False,
                  **{kind: number})
    session.commit()
    return faces_available()


def _evidence_beside_dna(session, echo, faces: bool) -> None:
    """For each infant without a DNA match: its best candidates without DNA with each item's LR (marks,
    photographs, the network beside sex, age and time), the sentences of the best one, and its place LR."""
    echo("")
    echo("Evidence beside DNA for the infants without a DNA match: the reports to ask for DNA first, ranked by "
         "every non-DNA item (never a match without DNA: together they count for at most LR 1,000).")
    if not faces:
        echo(f"  (photographs not compared: the faces extra is not installed: {FACES_INSTALL_HINT})")
    for child in session.scalars(select(FoundChild).order_by(FoundChild.case_number)):
        if any(c.has_dna and (c.dna_log10_lr or 0) >= 4 for c in child.candidates):
            continue
        ranked = sorted((c for c in child.candidates if not c.has_dna),
                        key=lambda c: (-nondna_log10(candidate_items(c)), c.report.report_number))
        echo(f"  {child.case_number}: {len(ranked)} reports without DNA its evidence does not exclude; the best:")
        for k, c in enumerate(ranked[:3]):
            items = candidate_items(c)
            lrs = "  ".join(f"{label(i.kind).split(' (')[0]} {format_lr(i.lr, i.log10_lr)}" for i in items)
            echo(f"    {c.report.report_number:<13} posterior {c.posterior:.3f}   {lrs}")
            if k:
                continue
            for row in sorted(c.evidence, key=lambda e: order_of(e.kind)):
                if row.kind in ("marks", "face", "network"):    # the stored sentences, with their notes
                    echo(f"      {label(row.kind)}: {row.sentence}")
                    echo(f"      {label(row.kind, 'zh')}：{row.sentence_zh}")
            place = place_lr(resolve_place(c.report.disappeared_place), resolve_place(child.found_place))
            echo(f"      place (lost in {c.report.disappeared_place}, found in {child.found_place}): LR "
                 f"{format_lr(place.lr, place.log10_lr)}, not counted: the chain of custody's first place (the "
                 "network item) is the more specific, and the two are not independent")


def _network(session, res, echo, ranking) -> dict:
    """The imported ring (``res``): each rescued infant's chain of custody, where and to whom the
    unfound children were sold, the gaps, and the families the sellers' testimony names
    (:mod:`reunite.network`)."""
    net = Network.from_store(session, RING)
    chains = net.chains()
    echo("")
    echo(f"The network ({RING}): {len(net.people)} people, {len(net.transfers)} transfers of {len(chains)} children "
         f"({res.counts['relations']['added']} relations).  Chain of custody of each rescued infant:")
    for c in chains:
        if c.child_kind == "found":
            echo(render_chain(c, sources=False, gaps=False))
    unfound = net.unfound()
    echo("")
    echo("Sold and not found: where, when and to whom (leads for appeals in those provinces):")
    echo(render_unfound(unfound))
    provinces = province_leads(net)
    echo("Provinces to appeal in: " + "; ".join(f"{p['province']} ({len(p['children'])})" for p in provinces))
    gaps = net.gaps()
    echo(render_gap_summary(gaps))
    # The villages to search for the families of the infants the DNA has not placed.
    unplaced = sorted(case for case, r in ranking.items() if not r or r[0][1] is None or r[0][1] < 4)
    villages = {}
    if unplaced:
        echo(f"Infants the DNA has not placed ({len(unplaced)}): the reports lost near where their chain starts "
             "(network LR, docs/network.md):")
    for case in unplaced:
        leads = [x for x in village_leads(session, case, top=3) if x["lr"] > 1]
        villages[case] = leads
        chain = next(c for c in chains if c.child == case)
        found = ", ".join(f"{x['report']} at {x['lost_place']} (LR {x['lr']:.3g})" for x in leads)
        echo(f"  {case} (from {chain.source_place}): {found or 'no open report lost near there'}")
    suspected = suspected_families(session, RING)
    echo(f"Parents who handed their child to the ring, by the records: {len(suspected)} reports, marked suspected "
         f"of the sale by the network import ({', '.join(x['report'] for x in suspected)}).")
    return {"chains": [c.as_dict() for c in chains], "unfound": unfound, "gaps": [g.kind for g in gaps],
            "provinces": provinces, "suspected": suspected, "villages": villages}


def _solve_cohort(session, echo, ranking) -> dict:
    """The 11 infants solved as one cohort against every family with DNA; the conclusions, and which
    relatives the families of the infants left unidentified should be asked to swab."""
    add_cohort(session, COHORT, user="张警官", title="昆明 2014 解救的11名婴儿")
    settings = MatchingSettings(frequencies=TABLE)
    sol = solve_stored_cohort(session, COHORT, settings=settings, user="李分析师")
    res = sol.result
    echo("")
    echo(f"The rescued infants as one cohort ({COHORT}), solved jointly against the {len(res['store']['families'])} "
         f"families with DNA ({res['search']['admissible_assignments']:,.0f} admissible assignments, "
         f"{sol.seconds:.1f} s; dvir's model, exact):")
    for c in res["conclusions"]:
        fam = f"{c['family']:<14}" if c["family"] else f"{'-':<14}"
        lr = format_lr(c["lr"], c["log10_lr"]) if c["log10_lr"] is not None else "-"
        post = f"{c['posterior']:.4f}" if c.get("posterior") is not None else "-"
        echo(f"  {c['found']:<13}{c['conclusion']:<14}{fam}{lr:>16}  posterior {post}")
    related = [r for r in res["found_relatives"] if r["relationship"] != "unrelated"]
    echo("  Found infants related to each other (the best supported relationship, LR against unrelated): " + (
        ", ".join(f"{r['a']} and {r['b']} ({r['relationship'].replace('_', ' ')}, LR "
                  f"{format_lr(None, max(v for v in r['log10_lrs'].values() if v is not None))})"
                  for r in related) or "none supported"))
    placed = {c["found"] for c in res["conclusions"] if c["conclusion"] in ("identified", "probable")}
    echo("")
    echo("Which relatives to swab, for the families to ask about the infants not identified:")
    cache: dict = {}
    asked: list[str] = []
    for c in res["conclusions"]:
        if c["found"] in placed:
            continue
        ask = [r for r, lg, _p in ranking.get(c["found"], []) if lg is None][:2]
        for number in ask:
            if number in asked:
                continue
            asked.append(number)
            rep = session.scalars(select(MissingReport).where(MissingReport.report_number == number)).one()
            g = report_guidance(session, rep, settings=settings, cache=cache)
            if g is None:
                continue
            echo(f"  {number} (for {c['found']}): {g['swab']['advice']['en']}")
            echo(f"  {'':<{len(number)}} {g['swab']['advice']['zh']}")
    return {"code": COHORT, "conclusions": res["conclusions"], "found_relatives": res["found_relatives"],
            "guidance_for": asked}


def _write_reports(session, folder: Path, url: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for child in session.scalars(select(FoundChild).order_by(FoundChild.case_number)):
        dna = sorted((c for c in child.candidates if c.dna_log10_lr is not None), key=lambda c: -c.dna_log10_lr)
        if dna:
            written.append(write_candidate_report(session, dna[0].id, folder, fmt="html"))
    return written
