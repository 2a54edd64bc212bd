"""Profile the public appeals search in one process with pyinstrument (not a test).

Fills a fresh SQLite store in a temporary folder as ``web_load.py`` does (N families, A published
appeals; default 2,000 and 200, the appeals of the 100,000-family benchmark), then runs the search the
API runs (``reunite.cases.appeals.search`` by place, and the plain list) R times under pyinstrument, and
prints the profile as text, then one JSON line: milliseconds per search and SQL statements per search.
This is how the appeals API's fall from 97 to 41 requests/s was traced (docs/benchmarks.md): most of
the time went to loading and tracking ORM objects for every published appeal.

Usage: python benchmarks/profile_appeals.py [--families N] [--appeals A] [--repeat R]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import web_load  # the store is filled as the web benchmark fills it


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--families", type=int, default=2000)
    ap.add_argument("--appeals", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=200)
    args = ap.parse_args()
    try:
        from pyinstrument import Profiler
    except ImportError:
        raise SystemExit("pyinstrument is not installed: pip install -e '.[test]'") from None
    from sqlalchemy import event

    from reunite.cases import appeals
    from reunite.cases import db as store

    places = [p[3:5] for p in web_load.PLACES]
    rng = random.Random(1)
    with tempfile.TemporaryDirectory(prefix="reunite-profile-") as tmp:
        work = Path(tmp)
        url = f"sqlite:///{work / 'reunite.db'}"
        web_load.fill_store(url, work, args.families, args.appeals, False, False, {})
        with store.open_session(url) as s:
            statements = [0]
            event.listen(s.get_bind(), "before_cursor_execute",
                         lambda *a: statements.__setitem__(0, statements[0] + 1))
            for p in places:                                  # warm: the gazetteer's cache, the compiled SQL
                appeals.search(s, place=p)
                s.rollback()
            statements[0] = 0
            profiler = Profiler(interval=0.0005)
            t0 = time.perf_counter()
            profiler.start()
            for k in range(args.repeat):
                rows = appeals.search(s, place=rng.choice(places) if k % 2 else None)
                [v.as_dict() for v in rows]
                s.rollback()
            profiler.stop()
            elapsed = time.perf_counter() - t0
        print(profiler.output_text(unicode=True, color=False))
        print(json.dumps({"families": args.families, "appeals": args.appeals, "searches": args.repeat,
                          "ms_per_search": round(elapsed / args.repeat * 1000, 2),
                          "sql_statements_per_search": round(statements[0] / args.repeat, 2),
                          "note": "timed under the profiler (0.5 ms sampling): slower than without it"}))


if __name__ == "__main__":
    main()
