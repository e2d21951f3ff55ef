"""Re-scoring and sensitivity: what an analyst waits for when a weight moves.

For a synthetic municipality of N sites (default 100 000), times side by side:

- ``Result.rescore(weights=...)``: a new, complete Result (scores, points, ranks, sites
  re-ordered) from the values cached by the run;
- the strongest fair baseline for the same answer: idiomatic pandas on the values table
  the run published (``<criterion>_value`` columns: weighted sum, rank with ties by id,
  sort), which is compute only and skips building a Result;
- what a user without re-scoring would do: ``run_analysis`` again with the new weights.

Then ``sensitivity`` with 1 000 Dirichlet draws. The answers are checked to agree before
times are printed. Run: ``python benchmarks/bench_rescore.py [N]``.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.synthetic import write_synthetic  # noqa: E402
from gis_tool import run_analysis, sensitivity  # noqa: E402


def pandas_rescore(sites: pd.DataFrame, weights: dict[str, float]) -> pd.DataFrame:
    """The idiomatic pandas way: weighted sum of the value columns, rank, sort."""
    w = pd.Series(weights) / sum(weights.values())
    vals = sites[[f"{c}_value" for c in w.index]].set_axis(w.index, axis=1)
    out = sites[["site_id", "eligible"]].copy()
    out["score"] = (vals * w).sum(axis=1).where(out["eligible"]) * 100
    out = out.sort_values(["score", "site_id"], ascending=[False, True], na_position="last")
    out["rank"] = np.where(out["score"].notna(), np.arange(1, len(out) + 1), np.nan)
    return out


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as d:
        toml = write_synthetic(Path(d), n)
        t0 = time.perf_counter()
        result = run_analysis(toml)
        t_run = time.perf_counter() - t0
        rng = np.random.default_rng(0)
        crits = list(result.criteria)
        sets = [dict(zip(crits, rng.uniform(0.1, 1.0, len(crits)))) for _ in range(11)]
        # Same answer both ways (top 100 ids; scores to 1e-6).
        mine = result.rescore(weights=sets[0]).best_first()
        theirs = pandas_rescore(result.sites, sets[0])
        assert mine["site_id"].head(100).tolist() == theirs["site_id"].head(100).tolist()
        np.testing.assert_allclose(mine["score"].head(100).astype(float), theirs["score"].head(100), atol=1e-4)
        it = iter(sets * 3)
        t_rescore = median_time(lambda: result.rescore(weights=next(it)), 11)
        it2 = iter(sets * 3)
        t_pandas = median_time(lambda: pandas_rescore(result.sites, next(it2)), 11)
        t0 = time.perf_counter()
        run_analysis(toml).rescore(weights=sets[1])
        t_rerun = time.perf_counter() - t0
        t0 = time.perf_counter()
        sensitivity(result, runs=1000, top=10, seed=1)
        t_sens = time.perf_counter() - t0
    print(f"sites: {len(result.sites):,}; first run (load + measure + score): {t_run:.2f} s")
    print("| step | time | ratio to rescore |")
    print("|---|---:|---:|")
    print(f"| `Result.rescore(weights)` (complete new Result) | {t_rescore * 1000:.0f} ms | 1x |")
    print(f"| pandas weighted sum + rank + sort of the value columns | {t_pandas * 1000:.0f} ms | "
          f"{t_pandas / t_rescore:.1f}x |")
    print(f"| `run_analysis` again with the new weights | {t_rerun:.2f} s | {t_rerun / t_rescore:.0f}x |")
    print(f"| `sensitivity`: 1 000 Dirichlet draws, ranks, sweeps | {t_sens:.2f} s | |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
