"""Map weight and draw time: gis-tool's map versus folium's default GeoJSON output.

For N synthetic parcels, writes both pages, reports their size in MB, and times them in
headless Chromium (network blocked) from navigation start to the end of the load event,
by which point every layer has been built. Run: ``python benchmarks/bench_map.py [N ...]``
(default: the demo, then 100000 synthetic sites).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import folium

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.synthetic import write_synthetic  # noqa: E402
from gis_tool import run_analysis  # noqa: E402
from gis_tool.inputs.demo import get_path  # noqa: E402
from gis_tool.publish.maps import save_map, site_map  # noqa: E402

PROBE = ("<script>window.addEventListener('load', function () {"
         "var n = performance.getEntriesByType('navigation')[0];"
         "var p = document.createElement('pre'); p.id = 'timing'; p.textContent = n.loadEventStart;"
         "document.body.appendChild(p); });</script>")


def draw_ms(page: Path) -> float | None:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        return None
    with tempfile.TemporaryDirectory() as d:
        probe = Path(d) / "p.html"
        probe.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"),
                         encoding="utf-8")
        out = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                              "--disable-background-networking", "--host-resolver-rules=MAP * ~NOTFOUND",
                              f"--user-data-dir={d}/u", "--dump-dom",
                              probe.as_uri()], capture_output=True, text=True, timeout=600)
    m = re.search(r'<pre id="timing">([\d.]+)</pre>', out.stdout)
    return float(m.group(1)) if m else None


def measure(label: str, result, folder: Path) -> list[str]:
    ours = save_map(site_map(result), folder / f"{label}_gis_tool.html")
    plain = folium.Map(location=[57.93, 12.53], zoom_start=10)
    sites = result.sites[["site_id", "score", "geometry"]].to_crs(4326)
    folium.GeoJson(sites, tooltip=folium.GeoJsonTooltip(["site_id", "score"])).add_to(plain)
    theirs = folder / f"{label}_folium.html"
    plain.save(theirs)
    rows = []
    for name, page in (("gis-tool", ours), ("folium default", theirs)):
        ms = draw_ms(page)
        rows.append(f"| {label} | {name} | {page.stat().st_size / 1e6:.1f} | "
                    f"{'n/a' if ms is None else f'{ms / 1000:.1f}'} |")
    return rows


def main(sizes: list[int]) -> None:
    print("| map | page | size (MB) | load in Chromium (s) |")
    print("|---|---|---:|---:|")
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        demo = run_analysis(get_path("alingsas"))
        label = f"demo ({len(demo.sites):,} sites + {len(demo.layers) - 1} layers)"
        for row in measure(label, demo, folder):
            print(row, flush=True)
        for n in sizes:
            result = run_analysis(write_synthetic(folder, n))
            for row in measure(f"{n:,} synthetic sites", result, folder):
                print(row, flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100_000])
