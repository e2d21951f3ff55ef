"""The whole command a user waits for, against idiomatic geopandas, at 10k, 100k and 1M sites.

For each size, on the synthetic municipality of ``synthetic.py`` (8 criteria and a flood
constraint), in one process run:

- **gis-tool end to end**: ``gis-tool run ANALYSIS --out DIR --no-map`` as a separate
  process, timed from start to exit: start-up, reading and checking every layer, the
  criteria, constraint and score, and writing sites.gpkg (with the input layers and QGIS
  styles), sites.csv and run.json. Peak memory (the process and its forked writer,
  sampled) is measured in a second run: sampling a large process's memory slows it.
- **geopandas baseline, compute only**: the same criteria the idiomatic geopandas way
  (``sjoin_nearest``, ``sjoin`` + ``dwithin``, ``dissolve`` + ``explode`` + ``overlay``),
  from layers already in memory, writing nothing (``bench_engine.baseline``).

So the ratio favours the baseline: it does not read, check or write. Results are checked
to agree (to 1e-6) before the table is printed. Run: ``make bench`` or
``python benchmarks/bench_e2e.py [N ...] [--character dense,average,sparse]
[--no-baseline | --baseline-only]`` (a stored baseline of the same data is used and checked
with ``--no-baseline``); the synthetic
files are kept in ``benchmarks/.data/`` between runs (they take a while to make at 1M).
``--baseline-only`` times the baseline alone (the 1M one runs for a long time, so it can
be measured on its own while the machine is otherwise idle); it writes its time to
``benchmarks/.data/baseline_N.json`` and its values to ``baseline_N.parquet``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_engine import baseline  # noqa: E402
from benchmarks.synthetic import write_synthetic  # noqa: E402

DATA = Path(__file__).resolve().parent / ".data"
CLI = Path(sys.executable).parent / "gis-tool"


def _tree_pss_mb(pid: int) -> float:
    """Memory of a process and its children now: the sum of their proportional set sizes
    (shared pages counted once in all, so a forked writer is not counted twice)."""
    total = 0
    pids = [pid]
    try:
        for line in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            pids.append(int(line))
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def run_cli(toml: Path, out: Path, memory: bool = False) -> tuple[float, float, dict]:
    """Seconds and peak MB of the whole ``gis-tool run`` process, and its run.json.

    With ``memory``, peak memory is sampled every 0.5 s as the summed PSS of the process
    and its children (the forked GeoPackage writer), where /proc has it; else it is the
    largest resident set. Reading a large process's memory map stalls it (1-2 s of a
    million-site run), so :func:`run` times one run without sampling and measures memory
    in another.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(CLI), "-q", "run", str(toml), "--out", str(out), "--overwrite",
                             "--no-map"], stdout=subprocess.DEVNULL)
    peak_pss = 0.0
    while memory:   # sample memory every 0.5 s; the wait ends the moment the process does
        try:
            proc.wait(timeout=0.5)
            break
        except subprocess.TimeoutExpired:
            peak_pss = max(peak_pss, _tree_pss_mb(proc.pid))
    proc.wait()
    secs = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"gis-tool run failed with exit status {proc.returncode}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    return secs, peak_pss or max(peak, before) / 1024, manifest


def _stored_baseline(n: int, character: str) -> tuple[pd.DataFrame, float] | None:
    name = f"baseline_{n}" if character == "dense" else f"baseline_{character}_{n}"
    if not (DATA / f"{name}.json").exists():
        return None
    return pd.read_parquet(DATA / f"{name}.parquet"), json.loads((DATA / f"{name}.json").read_text())["baseline_s"]


def run(n: int, with_baseline: bool = True, character: str = "dense") -> dict:
    DATA.mkdir(exist_ok=True)
    toml = write_synthetic(DATA, n, character)
    out = DATA / f"out_{character}_{n}"
    _, peak_mb, _ = run_cli(toml, out, memory=True)
    secs, _, manifest = run_cli(toml, out)
    t_base = float("nan")
    mine = pd.read_csv(out / "sites.csv", encoding="utf-8-sig", index_col="site_id",
                       dtype={"excluded_by": str})
    stored = _stored_baseline(n, character)
    if with_baseline or stored is not None:
        if stored is not None and not with_baseline:
            base, t_base = stored
        else:
            gpkg = toml.with_suffix(".gpkg")
            layers = {name: pyogrio.read_dataframe(gpkg, layer=name, use_arrow=True)
                      for name, _ in pyogrio.list_layers(gpkg)}
            base, t_base = baseline(layers)
        for c in ("motorway", "road", "water", "zoning", "power", "heritage", "size"):
            np.testing.assert_allclose(mine[f"{c}_raw"].astype(float), base.loc[mine.index, c].astype(float),
                                       rtol=1e-6, atol=1e-3, err_msg=c)  # the CSV carries 4 decimals
    t = manifest["timings_s"]
    return {"character": character, "touch_road": float((mine["road_raw"] == 0).mean()),
            "touch_water": float((mine["water_raw"] == 0).mean()),
            "sites": manifest["sites"]["candidates"], "gis_tool_s": secs, "baseline_s": t_base,
            "ratio": t_base / secs, "peak_mb": peak_mb, "pipeline_s": t["total"],
            "load_s": t["load layers"], "write_s": secs - t["total"]}


def baseline_only(n: int, character: str = "dense") -> None:
    """Time the geopandas baseline alone and keep its figure in .data/baseline_[C_]N.json."""
    gpkg = write_synthetic(DATA, n, character).with_suffix(".gpkg")
    layers = {name: pyogrio.read_dataframe(gpkg, layer=name, use_arrow=True)
              for name, _ in pyogrio.list_layers(gpkg)}
    base, t = baseline(layers)
    name = f"baseline_{n}" if character == "dense" else f"baseline_{character}_{n}"
    (DATA / f"{name}.json").write_text(json.dumps({"sites": n, "baseline_s": t}))
    base.to_parquet(DATA / f"{name}.parquet")   # to check a gis-tool run against
    print(f"| {character} | {n:,} | geopandas compute only: {t:.1f} s |", flush=True)


def main(sizes: list[int], with_baseline: bool = True, characters: tuple[str, ...] = ("dense",)) -> None:
    print("| data | sites | sites touching a road / a water main | gis-tool end to end (s) | of which pipeline "
          "/ load (s) | start-up + writing (s) | peak memory (MB) | geopandas compute only (s) | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|", flush=True)
    for n in sizes:   # a row as soon as it is measured: the 1M baseline takes long
        for character in characters:
            r = run(n, with_baseline, character)
            print(f"| {character} | {r['sites']:,} | {r['touch_road']:.0%} / {r['touch_water']:.0%} | "
                  f"{r['gis_tool_s']:.1f} | {r['pipeline_s']:.1f} / {r['load_s']:.1f} | {r['write_s']:.1f} | "
                  f"{r['peak_mb']:.0f} | {r['baseline_s']:.1f} | {r['ratio']:.1f}x |", flush=True)


def _options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time `gis-tool run --no-map` end to end against idiomatic geopandas "
                    "(compute only) on synthetic municipalities.")
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000, 1_000_000],
                        metavar="N", help="numbers of sites (default: 10000 100000 1000000)")
    parser.add_argument("--character", default="dense",
                        help="comma-separated data characters: dense, average, sparse "
                             "(default: dense)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--no-baseline", action="store_true",
                      help="use the baseline stored in benchmarks/.data for the same data")
    mode.add_argument("--baseline-only", action="store_true",
                      help="time the geopandas baseline alone and store it")
    opts = parser.parse_args(argv)
    opts.character = tuple(opts.character.split(","))
    unknown = set(opts.character) - {"dense", "average", "sparse"}
    if unknown:
        parser.error(f"unknown --character {', '.join(sorted(unknown))}: "
                     "choose from dense, average, sparse")
    return opts


if __name__ == "__main__":
    opts = _options()
    if opts.baseline_only:
        for size in opts.sizes:
            for ch in opts.character:
                baseline_only(size, ch)
    else:
        main(opts.sizes, not opts.no_baseline, opts.character)
