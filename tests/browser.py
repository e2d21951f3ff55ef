"""Render a page in headless Chromium with the network blocked, and read the result back.

The page under test gets a small probe script appended (in a copy); the probe writes what
it finds into the DOM, which Chromium prints with --dump-dom.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
         "--proxy-bypass-list=<-loopback>"]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no Chromium on this machine (install Debian's 'chromium'; .ci/run does)")


def probe(page: Path, script: str, budget_ms: int = 8000) -> dict:
    """Open ``page`` with ``script`` appended; the script must call ``done(obj)``."""
    html = page.read_text(encoding="utf-8")
    runner = ("<script>window.addEventListener('load', function () { setTimeout(function () {"
              "function done(o) { var pre = document.createElement('pre'); pre.id = 'gt-probe';"
              "pre.textContent = JSON.stringify(o); document.body.appendChild(pre); }"
              f"try {{ {script} }} catch (e) {{ done({{error: String(e)}}); }} }}, 300); }});</script>")
    with tempfile.TemporaryDirectory() as d:
        copy = Path(d) / "page.html"
        copy.write_text(html.replace("</body>", runner + "</body>"), encoding="utf-8")
        out = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={d}/profile",
                              f"--virtual-time-budget={budget_ms}", "--dump-dom", copy.as_uri()],
                             capture_output=True, text=True, timeout=120)
    m = re.search(r'<pre id="gt-probe">(.*?)</pre>', out.stdout, re.S)
    assert m, f"probe wrote nothing; chromium said: {out.stderr[-2000:]}"
    text = m.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
    return json.loads(text)


def screenshot(page: Path, png: Path, size: str = "1400,900") -> None:
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([chromium(), *FLAGS, f"--user-data-dir={d}/profile", f"--window-size={size}",
                        "--virtual-time-budget=6000", f"--screenshot={png}", page.as_uri()],
                       capture_output=True, timeout=120, check=True)
