"""Simulator and CSV reader speed (not a test): prints one JSON object of figures.

Gene-drops N reference families of all structures (default 100,000) and N/10 found children,
half of them related, over the 23 Chinese-kit markers of NIST 1036 U.S. Asian; writes the four
CSV files; reads them back with the search readers.  Seconds per step, file sizes, peak RSS.

Usage: python benchmarks/simulate.py [--families N] [--found M] [--out DIR] [--no-read]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import tempfile
import time
from pathlib import Path

from reunite.genetics.simulate import simulate_population
from reunite.search.io import read_families, read_profiles
from reunite.simulation.io import write_population

TABLE = "nist1036_us_asian"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--families", type=int, default=100_000)
    ap.add_argument("--found", type=int, default=None)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--no-read", action="store_true")
    args = ap.parse_args()
    found = args.found if args.found is not None else args.families // 10
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        fig: dict = {"families": args.families, "found": found, "markers": 23, "table": TABLE,
                     "python": platform.python_version()}
        t0 = time.perf_counter()
        pop = simulate_population(TABLE, args.families, found, 0.5, seed=1, markers="cn23")
        t1 = time.perf_counter()
        paths = write_population(pop, out)
        t2 = time.perf_counter()
        fig.update(simulate_s=round(t1 - t0, 2), write_s=round(t2 - t1, 2),
                   bytes={k: Path(p).stat().st_size for k, p in paths.items()})
        if not args.no_read:
            profiles = read_profiles(paths["profiles"])
            t3 = time.perf_counter()
            read_families(paths["families"], profiles)
            t4 = time.perf_counter()
            read_profiles(paths["found"])
            t5 = time.perf_counter()
            fig.update(read_profiles_s=round(t3 - t2, 2), read_families_s=round(t4 - t3, 2),
                       read_found_s=round(t5 - t4, 2))
        fig["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(fig))


if __name__ == "__main__":
    main()
