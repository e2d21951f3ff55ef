"""The land programme's MILP at scale: candidates x years binaries, HiGHS through scipy.

    python benchmarks/bench_programme.py [--sites 5000] [--years 9]

Synthetic candidates (1-6 ha, 0.5-20 MSEK, 6-36 months to ready), 8 ha a year of demand
and a 40 ha target; prints the solve time (both stages and the late-start pass) and the
result. The model is exact: HiGHS stops at its default relative gap of 0.01 %.
"""

from __future__ import annotations

import argparse
import time
from types import SimpleNamespace

import numpy as np
import pandas as pd

from gis_tool.studies.programme import programme


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=5000)
    ap.add_argument("--years", type=int, default=9)
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    n = args.sites
    sites = pd.DataFrame({"site_id": [f"s{i:05d}" for i in range(n)], "area_m2": rng.uniform(1, 6, n) * 1e4,
                          "eligible": True, "readiness_level": 0,
                          "cost_to_ready_sek": np.round(rng.uniform(0.5, 20, n) * 1e6),
                          "months_to_ready": rng.choice([6, 12, 18, 24, 36], n).astype(float), "steps_to_ready": ""})
    spec = SimpleNamespace(top=5, target_level=None, demand_ha_per_year=8.0, target_min_eligible_ha=40.0)
    res = SimpleNamespace(sites=sites, readiness=object(), analysis=SimpleNamespace(readiness=spec))
    t0 = time.perf_counter()
    p = programme(res, start=2027, until=2027 + args.years - 1)
    print(f"{n} candidates x {args.years} years: {time.perf_counter() - t0:.2f} s; {len(p.starts)} started, "
          f"{p.total_cost_sek / 1e6:.1f} MSEK, feasible {p.feasible}")


if __name__ == "__main__":
    main()
