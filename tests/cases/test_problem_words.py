"""The problems of an input in Chinese: each problem the store's validators find (the CSV imports, the search's
readers, the lab files, the markers) has a code and parameters, and the catalogues say it in Chinese as a
whole ("第 12 行，字段 date_of_birth：日期格式应为 YYYY-MM-DD"), never with the personal value; the English
message, for the CLI and the logs, is unchanged."""

from __future__ import annotations

import ast
import re
import string
import textwrap
from pathlib import Path

import pytest

from reunite.cases import import_families, import_found, import_profiles, import_reports
from reunite.cases.importing import import_lab_profiles
from reunite.errors import InputError, PedigreeError, Problem
from reunite.genetics.pedigree import make_pedigree
from reunite.labfiles import read_fam
from reunite.labfiles.cmf import CMF_NAMESPACE
from reunite.web.i18n import MESSAGES, problem_line, problem_words

SRC = Path(__file__).resolve().parents[2] / "src" / "reunite"
# The validators whose problems a page shows (imports, readers, lab files, markers).
VALIDATORS = ["cases/_csv.py", "cases/importing.py", "search/io.py", "genetics/markers.py", "labfiles/_common.py",
              "labfiles/genemapper.py", "labfiles/cmf.py", "labfiles/familias.py", "genetics/pedigree.py",
              "genetics/ystr.py", "genetics/mtdna.py", "genetics/lineage.py", "genetics/disclap.py", "cases/lineage.py"]


def _codes(path: Path) -> set[str]:
    """The codes a module gives its problems: ``code="…"`` keywords and the fourth argument of
    ``Sheet.problem(message, line, field, code, …)``."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        for kw in node.keywords:
            if kw.arg == "code" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                out.add(kw.value.value)
            if kw.arg == "code" and isinstance(kw.value, ast.IfExp):
                out |= {v.value for v in (kw.value.body, kw.value.orelse) if isinstance(v, ast.Constant)}
        if isinstance(node.func, ast.Attribute) and node.func.attr == "problem" and len(node.args) >= 4:
            if isinstance(node.args[3], ast.Constant) and isinstance(node.args[3].value, str):
                out.add(node.args[3].value)
    return out


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_code_a_validator_gives_has_words_in_both_languages():
    codes = set().union(*(_codes(SRC / path) for path in VALIDATORS))
    assert len(codes) > 60, sorted(codes)
    missing = sorted(c for c in codes if f"problem.{c}" not in MESSAGES["zh"] or f"problem.{c}" not in MESSAGES["en"])
    assert not missing, missing


def test_the_whole_line_in_chinese_and_the_english_kept():
    p = Problem("'1990-13-01' is not a date; write it as YYYY-MM-DD", line=12, field="date_of_birth",
                code="not_date")
    assert problem_line(p, "zh") == ("第 12 行，字段 date_of_birth：日期格式应为 YYYY-MM-DD", True)
    assert problem_line(p.as_dict(), "zh") == ("第 12 行，字段 date_of_birth：日期格式应为 YYYY-MM-DD", True)
    assert str(p) == "line 12, field 'date_of_birth': '1990-13-01' is not a date; write it as YYYY-MM-DD"
    assert problem_words(p, "en") is None       # English pages keep the validator's own message
    plain = Problem("something the catalogue does not know", line=3)
    assert problem_line(plain, "zh") == ("第 3 行：something the catalogue does not know", False)


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


SECRET = "陈秀英"      # a child's name in a file (in a date's cell too): never in the Chinese words
PHONE = "13800138000"


def _problems(fn, *args, **kw) -> list[Problem]:
    with pytest.raises(InputError) as err:
        fn(*args, **kw)
    return err.value.problems


def _files(session, tmp_path) -> list[Problem]:
    out = []
    out += _problems(import_found, session, write(tmp_path / "found.csv", """\
        case_number,sex,age_months,age_sd_months,found_on,found_place,found_lat,cohort,foundplace
        KM-1,robot,abc,,2014-13-01,Kunming,91,bad code!,x
        KM-1,male,,3,2099-01-01,Kunming,,,
        KM-3,female,12,1,2014-02-01,Kunming,1,2
        """))
    out += _problems(import_reports, session, write(tmp_path / "reports.csv", f"""\
        report_number,child_name,sex,date_of_birth,disappeared_on,multiple_missing,other_children,contact_phone
        R-1,{SECRET},female,2013-06-01,2013-01-01,maybe,girl 1800,{PHONE}
        R-2,{SECRET},x,{SECRET},2013-10-01,1,,
        """))
    out += _problems(import_profiles, session, write(tmp_path / "profiles.csv", """\
        sample,marker,allele1,allele2,sample_kind,typed_on,collected_on
        S-1,D3S1358,15,banana,blood,2014-03-01,2014-03-05
        S-1,vWA,17,9.33,spit,2014-03-02,2014-03-05
        S-1,D3S1358,15,16,blood,2014-03-01,2014-03-05
        S-2,NOPE1,,12,,,
        ,vWA,17,18,,,
        S-3,Amelogenin,X,Q,,,
        """), lab="Lab A")
    out += _problems(import_families, session, write(tmp_path / "families.csv", """\
        family,id,father,mother,sex,sample,missing
        F-1,A,B,,male,,1
        F-1,A,,,robot,S-1,1
        F-2,C,D,E,female,,0
        F-2,D,,,female,,0
        F-2,E,,,female,,0
        """))
    gm = tmp_path / "genemapper.txt"
    gm.write_text("Sample Name\tMarker\tAllele 1\tAllele 2\tAllele 3\n"
                  "S-9\tD3S1358\t15\tOL\t\nS-9\tvWA\t14\t15\t16\nS-9\tXYZ9\t1\t2\t\n\tvWA\t1\t2\t\n", encoding="utf-8")
    out += _problems(import_lab_profiles, session, gm, kind="genemapper", lab="Lab A")
    cmf = tmp_path / "cmf.xml"
    cmf.write_text(f"<CODISImportFile xmlns='{CMF_NAMESPACE}'><SPECIMEN><SPECIMENID>S-8</SPECIMENID>"
                   "<LOCUS><LOCUSNAME>vWA</LOCUSNAME><ALLELE><ALLELEVALUE>1.2.3</ALLELEVALUE></ALLELE></LOCUS></SPECIMEN>"
                   "<SPECIMEN><SPECIMENID>S-8</SPECIMENID></SPECIMEN></CODISImportFile>", encoding="utf-8")
    out += _problems(import_lab_profiles, session, cmf, kind="cmf", lab="Lab A")
    cmf.write_text(cmf.read_text("utf-8").replace(f" xmlns='{CMF_NAMESPACE}'", ""), encoding="utf-8")
    out += _problems(import_lab_profiles, session, cmf, kind="cmf", lab="Lab A")
    out += _problems(import_found, session, tmp_path / "nothing.csv")
    return out


def test_every_problem_of_bad_files_is_said_in_chinese_without_the_value(session, tmp_path):
    problems = _files(session, tmp_path)
    assert len(problems) >= 25
    codes = {p.code for p in problems}
    assert {"not_sex", "not_number", "not_date", "duplicate_key", "column_unknown",
            "missing_before_birth", "not_yes_no", "other_children", "allele_malformed", "allele_decimals",
            "not_sample_kind", "marker_twice", "allele1_empty", "sample_empty", "amelogenin_allele",
            "off_ladder", "mixture", "marker_unknown", "cmf_specimen_twice", "cmf_schema", "cmf_namespace",
            "file_not_found"} <= codes, codes
    for p in problems:
        words = problem_words(p, "zh")
        assert p.code and words, p
        line, said = problem_line(p, "zh")
        assert said and words in line
        # the Chinese words name codes, columns and markers only: no English sentence, no personal value
        rest = words
        for v in sorted([*map(str, p.params.values()), p.field or ""], key=len, reverse=True):
            rest = rest.replace(v, "") if v else rest
        rest = re.sub(r"\b(?:male|female|unknown|missing|allele1|allele2|m/f/u)\b", "", rest)  # column values
        assert not re.search(r"[a-z]{3,}", rest), (p.code, words)
        for value in (SECRET, PHONE, "banana", "robot", "2014-13-01", "abc"):
            assert value not in words, (p.code, words)
        # and the English message, for the CLI and the logs, is what it was: an English sentence
        assert re.search(r"[a-z]{2,} [a-z]+", p.message), p.message


def test_params_hold_no_personal_value(session, tmp_path):
    for p in _files(session, tmp_path):
        for v in p.params.values():
            assert SECRET not in str(v) and PHONE not in str(v) and "banana" not in str(v), p


DUO = Path(__file__).resolve().parents[1] / "labfiles" / "duo.fam"


def _fam(tmp_path, edits: dict[int, str], *, cut: int | None = None, extra: str = "", **kw) -> list[Problem]:
    """The problems of duo.fam with its lines (numbered from 1) replaced by ``edits``."""
    lines = DUO.read_text("utf-8").splitlines()[:cut]
    for n, text in edits.items():
        lines[n - 1] = text
    path = tmp_path / "bad.fam"
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return _problems(read_fam, path, **kw)


def _bad_fam_files(tmp_path) -> list[Problem]:
    out = []
    for edits, kw in [
        ({6: f'"{SECRET}"', 18: f'"{SECRET}"'}, {}),            # a name twice
        ({6: '""'}, {}),                                         # an empty name
        ({5: SECRET}, {}),                                       # the number of persons
        ({10: SECRET}, {}),                                      # the sex flag
        ({11: SECRET}, {}),                                      # a whole number
        ({36: SECRET}, {}),                                      # "Known relations"
        ({46: SECRET}, {}),                                      # a parent's index
        ({48: "Direct"}, {}),                                    # twins
        ({57: "#TRUE# (#Databases: 1 ;Theta/Kinship/Fst: 0 )"}, {}),
        ({64: "7"}, {}),                                         # a model code out of 0-4
        ({71: "#TRUE#"}, {}),                                    # a silent allele
        ({73: SECRET}, {}),                                      # the allele count
        ({75: SECRET}, {}),                                      # a frequency
        ({64: "3", 76: '"14"', 78: '"rest"', 95: '"1.2.3"'}, {}),  # collected: stationary, twice, rest, allele
        ({15: "99", 14: "9"}, {}),                               # an allele index, a marker index
        ({46: "7"}, {}),                                         # a relation naming nobody
        ({}, {"h1": SECRET}),
        ({}, {"found": SECRET}),
    ]:
        out += _fam(tmp_path, edits, **kw)
    out += _fam(tmp_path, {}, cut=20)                            # the file ends early
    out += _fam(tmp_path, {}, extra="[DVI]\n")
    return out


def _bad_pedigrees() -> list[Problem]:
    out = []
    for records in [
        [],
        [{"id": SECRET, "sex": "robot"}, {"id": SECRET}, {"sex": "male"}, "not a member",
         {"id": "K", "father": SECRET}, {"id": "L", "father": "P", "mother": "P"},
         {"id": "Q", "father": "Q", "mother": "W"}, {"id": "W", "sex": "male"},
         {"id": "V", "father": "Z", "mother": SECRET}, {"id": "Z", "sex": "female"}],
        [{"id": SECRET, "father": "B", "mother": "C"}, {"id": "B", "father": SECRET, "mother": "C", "sex": "male"},
         {"id": "C", "sex": "female"}],                          # a cycle
        [{"id": "A", "father": SECRET, "mother": "B"}, {"id": SECRET}, {"id": "B"},
         {"id": "D", "father": "B", "mother": SECRET}],          # both a father and a mother
    ]:
        out += _problems(make_pedigree, records, source="families.csv")
    ped = make_pedigree([{"id": "F", "sex": "male"}, {"id": "M", "sex": "female"}, {"id": "F2", "sex": "male"},
                         {"id": "A", "father": "F", "mother": "M"}, {"id": "B", "father": "F", "mother": "M"},
                         {"id": "C", "father": "F2", "mother": "A"}, {"id": "D", "father": "B", "mother": "M"}])
    with pytest.raises(PedigreeError) as err:
        ped.check_loop_free()
    return out + err.value.problems


def _said_in_chinese(p: Problem) -> str:
    words = problem_words(p, "zh")
    assert p.code and words, p
    line, said = problem_line(p, "zh")
    assert said and words in line, line
    rest = words
    for v in sorted([*map(str, p.params.values()), p.field or ""], key=len, reverse=True):
        rest = rest.replace(v, "") if v else rest
    # proper nouns, the file's own words and Familias' option names stay as they are
    rest = re.sub(r"Reunite|Familias|Known relations|Direct|pedtools|male|female|unknown|rest|--h1|--h2|--found",
                  "", rest)
    assert not re.search(r"[a-z]{3,}", rest), (p.code, words)
    for value in (SECRET, "robot", "1.2.3"):
        assert value not in words and value not in str(dict(p.params)), (p.code, words)
    return words


def test_a_bad_familias_file_is_said_in_chinese_without_the_names(tmp_path):
    problems = _bad_fam_files(tmp_path)
    codes = {p.code for p in problems}
    assert {"fam_names_twice", "fam_name_empty", "fam_persons", "fam_not_flag", "fam_not_whole",
            "fam_known_relations", "fam_parent_index", "fam_twins", "fam_precomputed", "fam_range",
            "fam_silent_allele", "fam_allele_count", "fam_not_number", "fam_stationary", "fam_allele_twice",
            "fam_rest_allele", "allele_malformed", "fam_allele_index", "fam_marker_index", "fam_relation",
            "fam_no_pedigree", "fam_found_untyped", "fam_ends", "fam_dvi"} <= codes, codes
    for p in problems:
        _said_in_chinese(p)
        assert p.file.endswith("bad.fam")
    by = {p.code: p for p in problems}
    assert problem_line(by["fam_names_twice"], "zh")[0].endswith("有 1 个人员姓名出现了两次")
    assert problem_line(by["fam_range"], "zh")[0].endswith("第 64 行：数值须在 0 至 4 之间")
    assert problem_line(by["fam_stationary"], "zh")[0].endswith(
        "第 63 行：基因座 D3S1358：不支持平稳逐步突变模型（代码 3），Reunite 不做平稳性校正；"
        "请改用扩展逐步模型（代码 4）")
    # the English message, for the CLI and the logs, is the one it was (with the name: it is the file's)
    assert by["fam_names_twice"].message == f"person name(s) {SECRET!r} appear twice"
    assert by["fam_range"].message == "the female mutation model of D3S1358 (0-4) must be between 0 and 4, found 7"


def test_a_bad_pedigree_is_said_in_chinese_without_the_ids():
    problems = _bad_pedigrees()
    codes = {p.code for p in problems}
    assert {"pedigree_empty", "pedigree_sex", "pedigree_id_twice", "pedigree_no_id", "pedigree_not_object",
            "pedigree_father_absent", "pedigree_mother_absent", "pedigree_one_parent", "pedigree_same_parents",
            "pedigree_own_father", "pedigree_father_sex", "pedigree_has_cycle", "pedigree_father_and_mother",
            "pedigree_loop"} <= codes, codes
    for p in problems:
        _said_in_chinese(p)
    by = {p.code: p for p in problems}
    assert problem_line(by["pedigree_id_twice"], "zh")[0] == (
        "families.csv，字段 id：第 2 名成员的编号与第 1 名成员的相同")
    assert problem_line(by["pedigree_has_cycle"], "zh")[0] == (
        "families.csv：家系中有经过 2 名成员的环（有人是自己的祖先）")
    assert problem_words(by["pedigree_father_sex"], "zh") == "第 9 名成员：父亲的性别不是男"
    assert by["pedigree_sex"].message == f"{SECRET}: sex 'robot' is not male, female or unknown"


def test_the_lineage_problems_have_chinese_words_and_no_personal_value():
    """ystr/mtdna raise their pedigree and haplotype problems with codes (issue 15): a Chinese page says them in
    Chinese, and the params carry no allele, variant or person id."""
    from reunite.genetics.mtdna import maternal_relatives, parse_mt_sequence
    from reunite.genetics.ystr import parse_y_haplotype, paternal_relatives

    ped = make_pedigree([{"id": "F", "sex": "male"}, {"id": "M", "sex": "female"},
                         {"id": "GIRL", "father": "F", "mother": "M", "sex": "female"}])
    with pytest.raises(PedigreeError) as e1:
        paternal_relatives(ped, "GIRL", ["F"])
    with pytest.raises(PedigreeError) as e2:
        paternal_relatives(ped, "NOBODY", ["F"])
    with pytest.raises(PedigreeError) as e3:
        maternal_relatives(ped, "NOBODY", ["M"])
    with pytest.raises(InputError) as e4:
        parse_y_haplotype({"DYS19": "15,x", "NOTALOCUS": "3", "DYS385": "1,2,3,4,5"})
    with pytest.raises(InputError) as e5:
        parse_mt_sequence("16223T 99999A 16223T 16111Q", "16024-16365")
    problems = [*e1.value.problems, *e2.value.problems, *e3.value.problems, *e4.value.problems, *e5.value.problems]
    assert [p.code for p in e1.value.problems] == ["y_missing_female"]
    assert {p.code for p in e4.value.problems} == {"y_allele_format", "y_locus_name", "y_too_many_alleles"}
    assert {p.code for p in e5.value.problems} >= {"mt_variant_position", "mt_position_twice", "mt_variant_state"}
    for p in problems:
        zh = problem_words(p, "zh")
        assert zh and re.search(r"[\u4e00-\u9fff]", zh), (p.code, zh)
        for value in ("GIRL", "NOBODY", "99999", "16223", "16111", "x"):
            assert value not in zh and value not in str(p.params.values()), (p.code, value)
