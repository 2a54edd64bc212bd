"""End to end in a real headless Chromium: the trafficking network in the investigators' workspace.

The server, the browser and the screenshot helper are the story's (``tests/e2e/test_story.py``).
The Kunming demo's reports and rescued infants are imported with the CLI; the investigator then
uploads the ring's two CSV files on the network page, sees the graph (Cytoscape.js, served by the
app), filters it by place and by date, opens a person's details, downloads the GraphML and reads
it back, opens a rescued infant's page and its chain of custody as a timeline; after the matching
(``reunite match``, a separate process) the infant's candidate page shows the network evidence as
its own line.  A family and a caseworker get no network.  Pages in English and Chinese, on a
desktop and on a phone (390 px, no sideways scrolling).

Screenshots go to a temporary folder, or with ``REUNITE_UPDATE_SCREENSHOTS=1`` over
``docs/screenshots/network/NN-name.png``, the names the README shows.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

from .test_story import (  # noqa: F401  (fixtures: the story's server and browser)
    PASSWORD,
    PHONE,
    ROOT,
    SHOTS,
    VIEWPORT,
    Shots,
    browser,
    server,
    sync_playwright,
    update_screenshots,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NETWORK_SHOTS = SHOTS / "network"
CASE = "KM-2014-001"


def _cli(running: dict, *argv: str) -> str:
    """``reunite ARGV`` against the server's store (a separate process, as an investigator would)."""
    env = {**os.environ, "REUNITE_DATABASE_URL": f"sqlite:///{running['root'] / 'reunite.db'}",
           "REUNITE_INDEX_DIR": str(running["root"] / "index"), "REUNITE_USER": "zhang.inv"}
    done = subprocess.run([sys.executable, "-m", "reunite", *argv], env=env, cwd=running["root"], text=True,
                          capture_output=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def files(server, tmp_path_factory):  # noqa: F811
    """The demo's files; its reports and rescued infants imported (no matching yet)."""
    from reunite.kunming import build_demo, write_demo_files

    written = write_demo_files(build_demo(), tmp_path_factory.mktemp("demo-files"))
    _cli(server, "import", "reports", str(written["reports"]), "--no-match")
    _cli(server, "import", "found", str(written["found"]), "--no-match")
    return written


def _rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_network(server, browser, files, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    shot = Shots(NETWORK_SHOTS if update_screenshots() else tmp_path / "screenshots")
    errors: list[str] = []
    people, transfers = _rows(files["ring"]), _rows(files["transfers"])

    def login(name, viewport=VIEWPORT, lang="en-US"):
        ctx = browser.new_context(base_url=server["base"], viewport=viewport, locale=lang, accept_downloads=True)
        ctx.set_default_timeout(20_000)
        page = ctx.new_page()
        page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
        page.goto("/login")
        page.fill("#login-username", name)
        page.fill("#login-password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(re.compile(r"/dashboard$"))
        return ctx, page

    def graph_counts(page) -> tuple[int, int]:
        page.wait_for_function("() => window.reuniteNetwork && window.reuniteNetwork.nodes().length > 0")
        return tuple(page.evaluate("() => [window.reuniteNetwork.nodes('[role != \"unknown\"]').length, "
                                   "window.reuniteNetwork.edges('[type = \"transfer\"]').length]"))

    # ---- 1. The investigator uploads the ring and its transfers on the network page.
    ctx, inv = login("zhang.inv")
    inv.click("#nav-network")
    expect(inv.locator("#network-empty")).to_be_visible()
    inv.fill("#net-investigation", "KM-2014-RING")
    inv.set_input_files("#net-ring", str(files["ring"]))
    inv.set_input_files("#net-transfers", str(files["transfers"]))
    inv.click("#net-import-submit")
    expect(inv.locator("#network-imported")).to_contain_text(f"{len(people)} people")

    # ---- 2. The graph: every person, every transfer an arrow; a person's details on a tap.
    assert graph_counts(inv) == (len(people), len(transfers))
    inv.evaluate("() => window.reuniteNetwork.$('#S04').emit('tap')")
    expect(inv.locator("#network-details")).to_contain_text("Role: broker")
    expect(inv.locator("#network-provinces")).to_contain_text("山东省")
    expect(inv.locator("#network-flow-map svg")).to_have_count(1)
    shot(inv, "network-graph", max_height=2400)

    # ---- 3. Filters: by place (a province, resolved), then by dates.
    inv.fill("#f-place", "Shandong")
    inv.click("#f-apply")
    shandong = [t for t in transfers if t["place"].startswith("山东省")]
    assert graph_counts(inv)[1] == len(shandong) > 0
    expect(inv.locator("#network-counts")).to_contain_text(f"{len(shandong)} of {len(transfers)} transfers")
    shot(inv, "network-filtered")
    inv.fill("#f-place", "")
    inv.fill("#f-since", "2013-07-01")
    inv.fill("#f-until", "2013-07-31")
    inv.click("#f-apply")
    july = [t for t in transfers if "2013-07-01" <= t["date"] <= "2013-07-31"]
    assert graph_counts(inv)[1] == len(july) > 0

    # ---- 4. The GraphML download, read back.
    inv.click("#f-clear")
    with inv.expect_download() as got:
        inv.click("#network-export-graphml")
    path = tmp_path / "ring.graphml"
    got.value.save_as(path)
    g = nx.read_graphml(path)
    assert g.number_of_nodes() == len(people) and g.nodes["S04"]["role"] == "broker"
    assert sum(1 for *_e, d in g.edges(data=True) if d.get("type") == "transfer") == sum(
        1 for t in transfers if t["from"] and t["to"])

    # ---- 5. A rescued infant's page: its chain of custody as a timeline.
    chain = sorted((t for t in transfers if t["found_child"] == CASE), key=lambda t: t["date"])
    inv.goto(f"/children/{CASE}")
    steps = inv.locator("#network-timeline li")
    expect(steps).to_have_count(len(chain))
    assert steps.evaluate_all("els => els.map(e => e.dataset.transfer)") == [t["transfer"] for t in chain]
    inv.locator("#network-chain-title").scroll_into_view_if_needed()
    shot(inv, "child-chain-timeline", max_height=2400)

    # ---- 6. After the matching, the infant's candidates carry the network evidence as its own line.
    _cli(server, "match")
    inv.goto(f"/children/{CASE}")
    inv.locator("#child-candidates-without-dna a").first.click()
    expect(inv.locator("#evidence-network")).to_contain_text("trafficking network")
    expect(inv.locator("#evidence-place")).to_have_count(0)
    shot(inv, "candidate-network-evidence", max_height=2400)

    # ---- 7. Chinese, on a desktop and on a phone: no sideways scrolling on the phone.
    inv.goto("/network?lang=zh")
    graph_counts(inv)
    expect(inv.locator("h1")).to_contain_text("拐卖网络")
    shot(inv, "network-graph-zh", max_height=2400)
    pctx, phone = login("zhang.inv", viewport=PHONE, lang="zh-CN")
    for url, name in (("/network?lang=zh", "network-phone-zh"), (f"/children/{CASE}?lang=zh", "child-chain-phone-zh"),
                      ("/network?lang=en", "network-phone-en")):
        phone.goto(url)
        if "network" in name:
            graph_counts(phone)
        else:
            phone.locator("#network-chain-title").scroll_into_view_if_needed()
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], url
        shot(phone, name, max_height=2400 if "network" in name else 4000)

    # ---- 8. Nobody else sees the network.
    cctx, cw = login("wang.cw")
    assert cw.goto("/network").status == 403
    cw.goto(f"/children/{CASE}")
    expect(cw.locator("#network-timeline")).to_have_count(0)
    expect(cw.locator("#nav-network")).to_have_count(0)

    for c in (ctx, pctx, cctx):
        c.close()
    assert not errors, f"JavaScript errors: {errors}"
    assert "Traceback" not in server["log"].read_text(), server["log"].read_text()[-3000:]
    readme = set(re.findall(r"docs/screenshots/network/(\d\d-[\w-]+\.png)",
                            (ROOT / "README.md").read_text(encoding="utf-8")))
    assert set(shot.taken) == readme, f"screenshots taken {shot.taken}, shown in the README {sorted(readme)}"
