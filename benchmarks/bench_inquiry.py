"""The demo inquiry, whole command from start to files written (the PDF included).

    python benchmarks/bench_inquiry.py [--runs 5] [--tree DIR]

Runs ``gis-tool inquiry layers/inquiry_logistics.toml --analysis layers/alingsas_demo.toml``
as a new process each time and prints the median and range of the wall-clock time.
``--tree`` runs another checkout of gis-tool (an older commit, for a side-by-side figure)
with the same Python.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_once(tree: Path, out: Path) -> float:
    cmd = [sys.executable, "-m", "gis_tool.cli", "-q", "inquiry", "layers/inquiry_logistics.toml",
           "--analysis", "layers/alingsas_demo.toml", "--out", str(out), "--overwrite", "--lang", "en"]
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=tree, check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--tree", type=Path, default=ROOT)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        times = [run_once(args.tree, Path(d) / "inquiry") for _ in range(args.runs)]
    print(f"{args.tree}: median {statistics.median(times):.2f} s, range {min(times):.2f}-{max(times):.2f} s "
          f"over {args.runs} runs")


if __name__ == "__main__":
    main()
