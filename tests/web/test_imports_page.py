"""The imports page and API: every problem of a file at once (capped, with the count), templates to
download, the history of imports from the store (paged), and the lab chosen from the registered ones."""

from __future__ import annotations

import re

from reunite.cases import db as store
from reunite.cases.labs import add_lab
from reunite.web.jobs import MAX_PROBLEMS

from .conftest import bearer


def _import(client, who, kind, name, text, **data):
    r = who.post("/api/v1/imports", data={"kind": kind, **data}, files={"file": (name, text.encode())},
                 headers={"X-CSRF-Token": who.csrf})
    assert r.status_code == 202, r.text
    client.app.state.jobs.wait()
    return who.get(r.json()["status_url"]).json()


def test_every_problem_of_a_file_at_once(as_user, client):
    inv = as_user("inv")
    bad = "case_number,sex,found_on,foundplace\nKM-9,male,2014-13-01,x\nKM-9,female,2014-02-20,y\nKM-8,robot,,z\n"
    st = _import(client, inv, "found", "found.csv", bad)
    assert st["status"] == "failed" and st["problems_total"] == len(st["problems"])
    assert {(p["line"], p["field"]) for p in st["problems"]} >= {(1, "foundplace"), (2, "found_on"),
                                                                 (3, "case_number"), (4, "sex")}


def test_a_file_wrong_everywhere_shows_the_first_problems_and_the_count(as_user, client):
    inv = as_user("inv")
    rows = "".join(f"KM-{i},robot\n" for i in range(MAX_PROBLEMS + 100))
    st = _import(client, inv, "found", "found.csv", "case_number,sex\n" + rows)
    assert len(st["problems"]) == MAX_PROBLEMS and st["problems_total"] == MAX_PROBLEMS + 100
    page = inv.get(f"/imports/{st['id']}?lang=en").text
    assert f"The first {MAX_PROBLEMS} of {MAX_PROBLEMS + 100} problems are shown" in page


def test_templates_download_by_role(as_user, client):
    lab = as_user("lab")
    r = lab.get("/imports/templates/profiles.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert r.content.decode("utf-8-sig").splitlines()[0].startswith("sample,marker,allele1,allele2")
    assert client.get("/api/v1/imports/templates/families", headers=bearer(client, "inv")).status_code == 200
    assert client.get("/api/v1/imports/templates/genotypes", headers=bearer(client, "inv")).status_code == 422
    assert as_user("cw").get("/imports/templates/found.csv").status_code == 403
    page = lab.get("/imports?lang=en").text
    assert 'href="/imports/templates/profiles.csv"' in page and 'href="/imports/templates/found.csv"' not in page


def test_the_history_of_imports_is_kept_in_the_store_and_paged(as_user, client, app):
    inv = as_user("inv")
    ok = _import(client, inv, "found", "found-1.csv", "case_number,sex\nKM-50,male\n")
    bad = _import(client, inv, "found", "found-2.csv", "case_number,sex\nKM-51,robot\n")
    assert (ok["status"], bad["status"]) == ("done", "failed")
    h = client.get("/api/v1/imports?per_page=1", headers=bearer(client, "lab")).json()
    assert (h["total"], h["pages"]) == (2, 2)
    newest = h["items"][0]
    assert (newest["file_name"], newest["outcome"], newest["problems"], newest["user"]) == (
        "found-2.csv", "failed", 1, "inv")
    older = client.get("/api/v1/imports?per_page=1&page=2", headers=bearer(client, "lab")).json()["items"][0]
    assert (older["file_name"], older["outcome"], older["added"], older["kind"]) == ("found-1.csv", "done", 1, "found")
    assert "robot" not in str(h)                                   # no value of the file
    page = inv.get("/imports?lang=en").text
    assert len(re.findall(r'class="import-run"', page)) == 2 and "refused: nothing imported" in page
    assert client.get("/api/v1/imports?per_page=0", headers=bearer(client, "lab")).status_code == 422


def test_the_lab_is_chosen_from_the_registered_laboratories(world, as_user, client):
    lab = as_user("lab")
    assert 'id="import-no-labs"' in lab.get("/imports?lang=en").text     # none registered: typed, with a hint
    with store.open_session(world[0]) as s:
        add_lab(s, "Kunming PSB forensic lab", name_zh="昆明市公安局物证鉴定所", accreditation="CNAS L0001", user="adm")
    page = lab.get("/imports?lang=zh").text
    assert '<select id="import-lab" name="lab"><option value="Kunming PSB forensic lab">昆明市公安局物证鉴定所' in page
    text = "sample,marker,allele1,allele2\nS-Y1,D3S1358,15,16\n"
    r = lab.post("/api/v1/imports", data={"kind": "profiles", "lab": "Some other lab"},
                 files={"file": ("p.csv", text.encode())}, headers={"X-CSRF-Token": lab.csrf})
    assert r.status_code == 400 and r.json()["error"]["problems"][0]["field"] == "lab"
    assert _import(client, lab, "profiles", "p.csv", text, lab="Kunming PSB forensic lab")["status"] == "done"
