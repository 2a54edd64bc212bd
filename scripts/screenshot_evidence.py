"""Screenshots of the evidence lines (place, marks and conditions, photographs beside sex, age, time) on
the candidate page, desktop (1200 px) and phone (390 px), in Chinese and English, and the kinship
report's investigative page as PNG: what docs/evidence-model.md shows.

    python scripts/screenshot_evidence.py [OUT]     # default docs/screenshots/evidence

A fresh store in a temporary folder: the lab report's trio example (a DNA candidate), whose report
and found child are given a birthmark on the arm and an extra finger and one photograph each of one
adult volunteer (licensed stand-ins, src/reunite/data/demo/faces); matched again with the faces
extra, served by ``reunite serve`` and photographed with Playwright and /usr/bin/chromium.  The
kinship report is written as PDF (``reunite report``) and its pages rendered with ``pdftoppm``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from importlib import resources
from pathlib import Path

PASSWORD = "screens password 2014"
#: What the family's report and the nursery's examination say about marks (a birthmark on the arm, an
#: extra finger: not facial, so the face item keeps its weight).
REPORT_MARKS, FOUND_MARKS = "左手臂有一块红色胎记，右手六指", "手臂有胎记，多指"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _reunite(env: dict, *args: str, stdin: str | None = None) -> str:
    return subprocess.run([sys.executable, "-m", "reunite", *args], env=env, input=stdin, text=True,
                          capture_output=True, check=True).stdout


def build_store(root: Path) -> tuple[dict, int]:
    """The trio example of the lab report (``reunite.demo.build_report_example``) with marks on both records
    and a photograph on each side, matched again with the faces extra; the environment and the candidate."""
    from reunite.cases import add_photo
    from reunite.cases.db import open_session
    from reunite.cases.matching import run_matching
    from reunite.cases.models import FoundChild, MissingReport
    from reunite.demo import TABLE, build_report_example

    env = {**os.environ, "REUNITE_DATABASE_URL": f"sqlite:///{root / 'reunite.db'}",
           "REUNITE_MEDIA_DIR": str(root / "media"), "REUNITE_REPORTS_DIR": str(root / "reports"),
           "REUNITE_INDEX_DIR": str(root / "index"), "REUNITE_SECRET_KEY": "screens-secret-not-for-production",
           "REUNITE_USER": "setup"}
    ex = build_report_example("trio-mutation", root / "example", url=env["REUNITE_DATABASE_URL"])
    faces = resources.files("reunite").joinpath("data/demo/faces")
    with open_session(env["REUNITE_DATABASE_URL"]) as s:
        s.query(MissingReport).filter_by(report_number=ex["report"]).one().marks = REPORT_MARKS
        s.query(FoundChild).filter_by(case_number=ex["case"]).one().marks = FOUND_MARKS
        add_photo(s, faces.joinpath("london_005_03.jpg").read_bytes(), report=ex["report"], user="setup",
                  media=env["REUNITE_MEDIA_DIR"], commit=False)
        add_photo(s, faces.joinpath("london_005_08.jpg").read_bytes(), found_child=ex["case"], user="setup",
                  media=env["REUNITE_MEDIA_DIR"], commit=False)
        s.commit()
        run_matching(s, frequencies=TABLE, rules="gbt", prior=0.001, faces=True, media=env["REUNITE_MEDIA_DIR"])
    _reunite(env, "users", "add", "screens", "--role", "investigator", "--password-stdin", stdin=PASSWORD + "\n")
    return env, ex["candidate"]


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots/evidence").resolve()
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        env, cid = build_store(root)
        from reunite.cases.db import open_session
        from reunite.cases.models import Candidate

        with open_session(env["REUNITE_DATABASE_URL"]) as s:
            print({e.kind: round(e.log10_lr, 3) for e in s.get(Candidate, cid).evidence})
        for lang in ("en", "zh"):
            _reunite(env, "report", str(cid), "--format", "pdf", "--lang", lang, "--out", str(root / f"rep-{lang}"))
            (pdf,) = (root / f"rep-{lang}").glob("*.pdf")
            info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
            last = next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:"))
            # the investigative page is the last one
            subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", last, "-l", last, "-singlefile", str(pdf),
                            str(out / f"report-investigative-{lang}")], check=True)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        log = open(root / "server.log", "w")
        proc = subprocess.Popen([sys.executable, "-m", "reunite", "serve", "--host", "127.0.0.1", "--port", str(port)],
                                env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            for _ in range(300):
                try:
                    urllib.request.urlopen(base + "/login", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium")
                for name, width in (("desktop", 1200), ("phone", 390)):
                    ctx = browser.new_context(base_url=base, viewport={"width": width, "height": 900})
                    page = ctx.new_page()
                    page.goto("/login")
                    page.fill("#login-username", "screens")
                    page.fill("#login-password", PASSWORD)
                    page.click("#login-submit")
                    page.wait_for_load_state()
                    for lang in ("en", "zh"):
                        page.goto(f"/candidates/{cid}?lang={lang}")
                        # the investigative evidence card (the table of items with its prior and posterior)
                        page.locator("table:has(#evidence-dna)").screenshot(
                            path=str(out / f"candidate-{name}-{lang}.png"))
                    ctx.close()
                browser.close()
        finally:
            proc.terminate()
            proc.wait(10)
    print(f"written to {out}")


if __name__ == "__main__":
    main()
