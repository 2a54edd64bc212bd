"""The imports page's Y-STR population method (issue 15): lab analysts see the configured database and method,
change it (audited, CSRF-checked, the matching owed and run again), in Chinese and English; others may not."""

from __future__ import annotations

import json

from sqlalchemy import select

from reunite.cases import db as store
from reunite.cases.lineage import lineage_method
from reunite.cases.models import AuditEntry


def test_a_lab_analyst_chooses_the_method(world, as_user, client):
    lab = as_user("lab")
    page = lab.get("/imports?lang=zh").text
    assert 'id="lineage-method-form"' in page and "Y-STR 群体概率估计方法" in page
    assert "simulated_ystr_database.csv（500 个单倍型）" in page and "模拟数据" in page
    assert '<option value="clopper_pearson" selected>' in page and "离散拉普拉斯混合模型" in page
    r = lab.post("/imports/lineage-method", data={"method": "augmented", "alpha": "0.01", "csrf_token": lab.csrf},
                 follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/imports?lineage=saved")
    client.app.state.jobs.wait()
    page = lab.get("/imports?lang=en&lineage=saved").text
    assert '<option value="augmented" selected>' in page and 'value="0.01"' in page
    assert "The matching is running again" in page
    with store.open_session(world[0]) as s:
        m = lineage_method(s)
        assert (m.method, m.alpha) == ("augmented", 0.01)
        (e,) = [e for e in s.scalars(select(AuditEntry)) if e.action == "lineage_database.method"]
        assert e.actor == "lab" and set(json.loads(e.details)) == {"method", "alpha", "previous_method",
                                                                    "previous_alpha"}
    bad = lab.post("/imports/lineage-method", data={"method": "bayes", "csrf_token": lab.csrf},
                   headers={"Accept-Language": "zh"}, follow_redirects=False)
    assert bad.status_code == 400
    assert lab.post("/imports/lineage-method", data={"method": "count"}, follow_redirects=False).status_code == 403


def test_only_a_lab_analyst_may(as_user):
    inv = as_user("inv")
    assert 'id="lineage-method-form"' not in inv.get("/imports?lang=en").text
    r = inv.post("/imports/lineage-method", data={"method": "count", "csrf_token": inv.csrf}, follow_redirects=False)
    assert r.status_code == 403


def test_the_discrete_laplace_fit_runs_in_the_background(world, as_user, client):
    from reunite.cases.models import LineageFit

    lab = as_user("lab")
    jobs = client.app.state.jobs
    with jobs._run_lock:      # another job is running: the fit waits, the page answers at once
        r = lab.post("/imports/lineage-method", data={"method": "discrete_laplace", "alpha": "0.05",
                                                      "csrf_token": lab.csrf}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/imports?lineage=fitting")
        page = lab.get("/imports?lang=en&lineage=fitting").text
        assert 'data-status="running"' in page and "fit of the Y-STR database is running in the background" in page
        assert "拟合 Y-STR 数据库的离散拉普拉斯混合模型" in lab.get("/imports?lang=zh").text
        with store.open_session(world[0]) as s:
            assert lineage_method(s).method == "clopper_pearson"      # saved when the fit ends
    jobs.wait(120)
    page = lab.get("/imports?lang=en").text
    assert 'data-status="done"' in page and '<option value="discrete_laplace" selected>' in page
    with store.open_session(world[0]) as s:
        assert lineage_method(s).method == "discrete_laplace"
        assert s.scalars(select(LineageFit)).first() is not None
        assert [e.action for e in s.scalars(select(AuditEntry)) if e.action == "lineage_database.method"]
    bad = lab.post("/imports/lineage-method", data={"method": "discrete_laplace", "alpha": "0.05"},
                   follow_redirects=False)
    assert bad.status_code == 403      # (no CSRF token)
