"""``reunite lineage y|mt`` end to end on small cases with the shipped simulated databases."""

from __future__ import annotations

import json

from reunite.cli import main
from reunite.genetics.ystr import bundled_y_database

PED = [{"id": "GF", "sex": "male"}, {"id": "GM", "sex": "female"},
       {"id": "F", "father": "GF", "mother": "GM", "sex": "male"}, {"id": "M", "sex": "female"},
       {"id": "U", "father": "GF", "mother": "GM", "sex": "male"},
       {"id": "B", "father": "F", "mother": "M", "sex": "male"},
       {"id": "C", "father": "F", "mother": "M", "sex": "male"}]


def _y_case(tmp_path, **extra):
    h = bundled_y_database().haplotypes[11].as_dict()
    f = dict(h)
    f["DYS576"] = str(int(f["DYS576"]) + 1)
    case = {"id": "L-Y1", "pedigree": PED, "missing": "C", "haplotypes": {"U": h, "B": h}, "found": f,
            "database": "simulated", **extra}
    p = tmp_path / "y.json"
    p.write_text(json.dumps(case))
    return p


def test_lineage_y_lists_the_paternal_line_closest_first(tmp_path, capsys):
    assert main(["lineage", "y", str(_y_case(tmp_path)), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [(r["relative"], r["meioses"]) for r in out["relatives"]] == [("B", 2), ("U", 3)]
    assert out["result"]["relative"] == "B" and out["result"]["differing_loci"] == ["DYS576"]
    assert out["database"]["simulated"] is True and out["result"]["population"]["n"] == 500
    assert main(["lineage", "y", str(_y_case(tmp_path)), "--lang", "zh"]) == 0
    assert "似然比" in capsys.readouterr().out


def test_lineage_mt_concludes(tmp_path, capsys):
    case = {"pedigree": PED, "missing": "C",
            "sequences": {"M": {"range": "16024-16365 73-340", "variants": "16223T 16362C 73G 263G 309.1C 315.1C"},
                          "GM": "16129A"},
            "found": {"variants": "16223T 16362C 73G 263G 309.1C 309.2C 315.1C 16189Y"}}
    p = tmp_path / "mt.json"
    p.write_text(json.dumps(case))
    assert main(["lineage", "mt", str(p)]) == 0
    out = capsys.readouterr().out
    assert "cannot_exclude" in out and "not on the line: GM" in out


def test_lineage_errors_name_the_problem(tmp_path, capsys):
    p = _y_case(tmp_path, database="missing.csv")
    case = json.loads(p.read_text())
    case["found"]["DYS19"] = "15a"
    case["haplotypes"]["X"] = {"DYS19": "15"}
    p.write_text(json.dumps(case))
    assert main(["lineage", "y", str(p)]) == 2
    err = capsys.readouterr().err
    assert "'15a'" in err and "'X', who is not in the pedigree" in err
    assert main(["lineage", "y", str(_y_case(tmp_path, database="missing.csv"))]) == 2
    assert "'missing.csv' is not a file" in capsys.readouterr().err
    p.write_text("{not json")
    assert main(["lineage", "mt", str(p)]) == 2
    assert "y.json" in capsys.readouterr().err
