"""The meeting pack draws every script it can, right to left where needed, and says what
it cannot draw; a company name never disappears silently."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest

from gis_tool.cli import main
from gis_tool.publish import pdf_text

HEBREW = "שלום עולם"
ARABIC = "مرحبا بالعالم"
JAPANESE = "東京ロジ株式会社"
EMOJI = "🚚"


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{tool} is missing in CI; .ci/run installs poppler-utils")
        pytest.skip(f"{tool} is not installed (Debian: poppler-utils)")
    return path


def _has_font_for(text: str) -> bool:
    return not pdf_text.fallback_for(set(text), set())[1]


def _pack(capsys, small_world, tmp_path, company: str) -> tuple[str, str]:
    req = tmp_path / "req.toml"
    req.write_text(f'[inquiry]\nname = "{HEBREW}"\ncompany = "{company}"\ncontact = "{ARABIC}"\n'
                   '[inquiry.require]\nmotorway = { max = 400 }\n', encoding="utf-8")
    out = tmp_path / "o"
    assert main(["inquiry", str(req), "--analysis", str(small_world), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    return str(out / "meeting_pack.pdf"), err


def _words(pdf: str) -> list[tuple[float, str]]:
    xml = subprocess.run([_need("pdftotext"), "-f", "1", "-l", "1", "-bbox", pdf, "-"],
                         capture_output=True, text=True, check=True).stdout
    return [(float(x), w) for x, w in re.findall(r'<word xMin="([\d.]+)"[^>]*>([^<]*)</word>', xml)]


def test_right_to_left_and_fallback_fonts(capsys, small_world, tmp_path):
    if not _has_font_for(JAPANESE + EMOJI):
        if os.environ.get("CI"):
            pytest.fail("CI needs a CJK and an emoji font; .ci/run installs fonts-droid-fallback, fonts-symbola")
        pytest.skip("no installed font has Japanese and emoji (Debian: fonts-droid-fallback, fonts-symbola)")
    pdf, err = _pack(capsys, small_world, tmp_path, f"{JAPANESE} {EMOJI}")
    assert "no installed font" not in err
    words = _words(pdf)
    text = " ".join(w for _, w in words)
    assert JAPANESE in text and EMOJI in text          # drawn from fallback fonts
    # Hebrew reads right to left: the first word of the heading stands right of the second.
    x = {w[::-1] if w[::-1] in HEBREW else w: xmin for xmin, w in words
         if w.strip(":") in HEBREW or w[::-1].strip(":") in HEBREW}
    first = next(v for k, v in x.items() if "שלום" in k)
    second = next(v for k, v in x.items() if "עולם" in k)
    assert first > second
    # Arabic is shaped: its letters are joined into contextual forms, one word each.
    assert any("مرحبا" in w or "ابحرم" in w for _, w in words)


def test_characters_no_font_has_are_named(capsys, small_world, tmp_path, monkeypatch):
    monkeypatch.setattr(pdf_text, "_system_fonts", lambda: ())
    pdf, err = _pack(capsys, small_world, tmp_path, JAPANESE)
    assert "warning: meeting pack: no installed font can draw" in err
    assert "東" in err and "U+6771" in err and "fonts-noto-cjk" in err
    manifest = json.loads((tmp_path / "o" / "inquiry.json").read_text())
    assert any("meeting_pack.pdf" in w and "東" in w for w in manifest["warnings"])
