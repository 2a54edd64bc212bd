"""Search figures at several scales (not a test): one JSON line per size.

Usage: python benchmarks/search.py [SIZE ...] [--found N] [--no-accuracy]
Default sizes: 10000 100000 1000000 (the last needs ~4 GB of memory and a few minutes).
Each line: simulate, build, index bytes (memory and disk), save/load, one found child against
all families (median and p95 over 100 children), pairs per second, the numpy kernel in the same
process as the baseline (speedup ratio), a family against all found children, peak memory and,
unless --no-accuracy, accuracy per family structure.
"""

from __future__ import annotations

import json
import sys

from reunite.search.bench import run_bench


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv if a.isdigit()] or [10_000, 100_000, 1_000_000]
    found = 1000
    if "--found" in argv:
        found = int(argv[argv.index("--found") + 1])
    accuracy = "--no-accuracy" not in argv
    for n in sizes:
        print(json.dumps(run_bench(n, found, searches=100, accuracy=accuracy and n <= 100_000)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
