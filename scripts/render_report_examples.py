"""Render the two lab-report examples of the docs, in Chinese, as PNG pages in docs/reports/.

    .venv/bin/python scripts/render_report_examples.py [--out docs/reports] [--dpi 80]

Each example (:func:`reunite.demo.build_report_example`: a trio with one paternal mutation, and a
full-sibling case) is imported into a fresh store, matched (bundled published mutation rates, gbt
rules), and its candidate's report printed as a PDF (``reunite report ID --format pdf --lang zh``
does the same), whose pages ``pdftoppm`` (Debian poppler-utils) turns into
``<example>-zh-<page>.png``.  Needs a CJK font (Debian fonts-noto-cjk).  The PNGs change only when
the report changes (the generation time and the hash are printed, so they do change on every run).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from reunite.cases.db import open_session
from reunite.demo import EXAMPLE_KINDS, build_report_example
from reunite.reports.store import write_candidate_report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs" / "reports")
    ap.add_argument("--dpi", type=int, default=80)
    args = ap.parse_args(argv)
    if shutil.which("pdftoppm") is None:
        print("pdftoppm not found: install the Debian package poppler-utils", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("*-zh-*.png"):
        old.unlink()
    with tempfile.TemporaryDirectory(prefix="reunite-examples-") as tmp:
        for kind in EXAMPLE_KINDS:
            ex = build_report_example(kind, Path(tmp) / kind)
            with open_session(ex["url"]) as s:
                pdf = write_candidate_report(s, ex["candidate"], Path(tmp) / kind, fmt="pdf", user="李分析师",
                                             lang="zh")
            shutil.copyfile(pdf, args.out / f"{kind}-zh.pdf")
            subprocess.run(["pdftoppm", "-r", str(args.dpi), "-png", str(pdf), str(args.out / f"{kind}-zh")],
                           check=True)
            pages = sorted(args.out.glob(f"{kind}-zh-*.png"))
            print(f"{kind}: candidate {ex['candidate']}, {len(pages)} page(s): "
                  + ", ".join(p.name for p in pages))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
