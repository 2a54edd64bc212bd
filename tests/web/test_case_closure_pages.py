"""After a confirmation, in the pages: the child's timeline tells the closure, the closed competitor
says why, and investigators list the families flagged as suspected of the sale."""

from __future__ import annotations

import re

from reunite.cases import db as store
from reunite.cases.records import record_candidate

from .conftest import bearer


def _confirm(client, cid, outcome):
    h = bearer(client, "inv")
    for to, kw in [("under_review", {}), ("confirmation_requested", {}), ("confirmed", {"outcome": outcome})]:
        r = client.post(f"/api/v1/candidates/{cid}/review", json={"to": to, "reason": "checked", **kw}, headers=h)
        assert r.status_code == 200, r.text


def test_the_timeline_and_the_suspected_families_after_a_confirmation(world, client, as_user, ids):
    with store.open_session(world[0]) as s:
        rival, _ = record_candidate(s, "KM-001", "R-2", dna_log10_lr=1.0, prior=0.5, commit=True)
        rival_id = rival.id
    _confirm(client, ids["candidate"], "referred_for_investigation")        # KM-001 is R-1's child
    rival_json = client.get(f"/api/v1/candidates/{rival_id}", headers=bearer(client, "lab")).json()
    assert (rival_json["status"], rival_json["closed_by"]) == ("closed", ids["candidate"])
    assert rival_json["reviews"][-1]["reason"].startswith("closed: found child KM-001 was confirmed as the child "
                                                          "of report R-1")
    inv = as_user("inv")
    page = inv.get("/children/KM-001?lang=en").text
    timeline = page[page.index('id="child-timeline"'):]
    assert (f"candidate #{rival_id} (report R-2) closed: the child was confirmed as the child of report R-1 "
            f"(candidate #{ids['candidate']})") in timeline
    assert "report R-1 closed by the confirmation" in timeline
    zh = inv.get("/children/KM-001?lang=zh").text
    assert "已关闭：该儿童已确认为报告 R-1 的孩子" in zh
    # a caseworker sees the child's timeline without the candidates
    cw = as_user("cw").get("/children/KM-001?lang=en").text
    assert 'id="child-timeline"' in cw and "closed:" not in cw and "candidate #" not in cw
    flagged = inv.get("/suspected-families?lang=en")
    assert flagged.status_code == 200
    assert re.search(r'id="suspected-R-1"', flagged.text) and "confirmation referred for investigation" in flagged.text
    assert as_user("lab").get("/suspected-families").status_code == 403
    # the family reads that its child was found, not that its report is closed
    assert client.get("/api/v1/my/reports/R-1", headers=bearer(client, "fam")).json()["status"].startswith(
        "Your case is with the investigators")
