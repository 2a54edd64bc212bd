"""`make demo` writes the flow map next to the reports: 21 children from Yunnan's villages to
Kunming, and the 10 not found from Kunming to Shandong, Fujian and Henan (issue 13)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from reunite.maps import province_at

NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from reunite.kunming import run_demo

    out = tmp_path_factory.mktemp("demo")
    result = run_demo(out, echo=lambda _line: None, reports=False)
    return out, result


def _arrows(svg: str) -> dict[str, int]:
    root = ET.fromstring(svg)
    return {p.find(f"{NS}title").text.rsplit(":", 1)[0]: int(p.find(f"{NS}title").text.rsplit(":", 1)[1])
            for p in root.iter(f"{NS}path") if p.get("marker-end") and "Q" in p.get("d", "")}


def test_demo_writes_the_flow_map_in_both_languages(demo):
    out, result = demo
    assert result["network"]["flow_maps"] == [str(out / "flow-map-zh.svg"), str(out / "flow-map-en.svg")]
    zh = (out / "flow-map-zh.svg").read_text(encoding="utf-8")
    en = (out / "flow-map-en.svg").read_text(encoding="utf-8")
    assert len(zh.encode()) < 300_000 and len(en.encode()) < 300_000
    arrows = _arrows(en)
    into = {k: v for k, v in arrows.items() if k.endswith("→ Kunming")}
    out_of = {k: v for k, v in arrows.items() if k.startswith("Kunming →")}
    assert sum(into.values()) == 21  # every child sold came through Kunming from a village
    assert set(out_of) == {"Kunming → Shandong", "Kunming → Fujian", "Kunming → Henan"}
    assert sum(out_of.values()) == 10  # the ten not found
    assert "昆明市 → 山东省" in {k.strip() for k in _arrows(zh)}


def test_flow_map_places_are_in_their_provinces(demo):
    out, _ = demo
    root = ET.fromstring((out / "flow-map-en.svg").read_text(encoding="utf-8"))
    for g in root.iter(f"{NS}g"):
        kind = g.get("data-kind")
        if kind is None:
            continue
        hit = province_at(float(g.get("data-lon")), float(g.get("data-lat")))
        name = g.find(f"{NS}title").text
        if kind in ("origin", "hub"):
            assert hit.name_en == "Yunnan", name
        else:
            assert re.sub(r" \(\d+\)$", "", name) == hit.name_en and hit.name_en in ("Shandong", "Fujian", "Henan")
