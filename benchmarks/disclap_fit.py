"""How long the discrete Laplace fit (reunite.genetics.disclap) takes, and how long reading a persisted
fit back takes instead (what the store's matching does: reunite.cases.lineage keeps the fitted
parameters per database SHA-256 and locus set).

    python benchmarks/disclap_fit.py                 # the shipped 500 and a simulated 50,000
    python benchmarks/disclap_fit.py --sizes 500 5000

Population: the clan process of ``reunite.genetics.simulate_lineage`` (seed 15, Yfiler Plus loci); the
500 is the shipped SIMULATED database.  Printed (JSON): per size, the clusters chosen by BIC, the fit's
seconds, the seconds to rebuild the fit from its persisted JSON and to evaluate 1,000 haplotypes with it,
and the ratio fit / rebuild (the baseline is the refit, in the same process).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

from reunite.genetics.disclap import DiscreteLaplaceFit
from reunite.genetics.simulate_lineage import as_haplotype, simulate_y_population
from reunite.genetics.ystr import YDatabase, bundled_y_database


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[500, 50_000])
    args = ap.parse_args(argv)
    out = {"machine": platform.machine(), "cpus": os.cpu_count(), "load_average_start": os.getloadavg()[0],
           "rows": []}
    for n in args.sizes:
        db = bundled_y_database() if n == 500 else YDatabase(
            [as_haplotype(h) for h in simulate_y_population(n, seed=15)], f"simulated-{n}", True)
        loci = db.loci
        t0 = time.perf_counter()
        fit = db.discrete_laplace(loci)
        fit_s = time.perf_counter() - t0
        text = json.dumps(fit.as_dict())
        t0 = time.perf_counter()
        back = DiscreteLaplaceFit.from_dict(json.loads(text))
        load_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        for h in db.haplotypes[:1000]:
            back.probability(h)
        eval_s = time.perf_counter() - t0
        same = all(back.probability(h) == fit.probability(h) for h in db.haplotypes[:50])
        out["rows"].append({"database": n, "loci": len(loci), "clusters": fit.clusters, "fit_seconds": round(fit_s, 2),
                            "persisted_bytes": len(text), "rebuild_seconds": round(load_s, 5),
                            "evaluate_1000_seconds": round(eval_s, 3), "rebuilt_identical": same,
                            "fit_over_rebuild": round(fit_s / max(load_s, 1e-9))})
        print(json.dumps(out["rows"][-1]), flush=True)
    out["load_average_end"] = os.getloadavg()[0]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
