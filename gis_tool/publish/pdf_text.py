"""PDF text in any script: shaped right to left where needed, fallback fonts found on demand.

The meeting pack sets text in DejaVu Sans (shipped with matplotlib: Latin, Greek,
Cyrillic, Hebrew and Arabic). With HarfBuzz (the ``uharfbuzz`` package) the text is
shaped, so Hebrew and Arabic read right to left and Arabic letters join. Characters
DejaVu lacks (a company named in Japanese, an emoji) are drawn from another installed
font that has them, found by its character map; when no installed font has them, a
warning names them and the font package that would (never a silent gap).
"""

from __future__ import annotations

import functools
import logging
import unicodedata
from pathlib import Path

import matplotlib
from fontTools.ttLib import TTCollection, TTFont
from fpdf import FPDF
from matplotlib import font_manager

log = logging.getLogger(__name__)
FAMILY = "DejaVu"
# Font files searched first for a missing character (Debian's packages), then every
# other installed font, by path.
PREFERRED = ("NotoSans-Regular", "NotoSansCJK", "DroidSansFallbackFull", "NotoSansSymbols", "Symbola",
             "NotoEmoji", "unifont")


def font_dir() -> Path:
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


@functools.cache
def _system_fonts() -> tuple[Path, ...]:
    paths = {Path(p) for p in font_manager.findSystemFonts(fontext="ttf")}
    paths |= {p for d in font_manager.X11FontDirectories + font_manager.OSXFontDirectories
              for p in Path(d).rglob("*.tt[cf]") if Path(d).is_dir()}

    def rank(p: Path) -> tuple[int, str]:
        first = next((i for i, name in enumerate(PREFERRED) if p.stem.startswith(name)), len(PREFERRED))
        return first, str(p)

    return tuple(sorted(paths, key=rank))


@functools.cache
def coverage(path: Path) -> frozenset[int]:
    """The code points a font file (its first face) can draw; empty when unreadable."""
    try:
        if path.suffix.lower() in (".ttc", ".otc"):
            with TTCollection(str(path), lazy=True) as collection:
                return _cmap(collection.fonts[0])
        with TTFont(str(path), lazy=True, fontNumber=0) as font:
            return _cmap(font)
    except Exception:  # a broken or unusual font file: not a candidate
        return frozenset()


def _cmap(font: TTFont) -> frozenset[int]:
    # a colour-bitmap emoji font has no outlines a PDF can use
    if "glyf" not in font and "CFF " not in font and "CFF2" not in font:
        return frozenset()
    return frozenset(font["cmap"].getBestCmap() or {})


def fallback_for(chars: set[str], have: set[int]) -> tuple[list[Path], set[str]]:
    """Installed fonts that together draw ``chars`` beyond ``have``, and what none can."""
    need = {c for c in chars if ord(c) not in have}
    found: list[Path] = []
    for path in _system_fonts() if need else ():
        cov = coverage(path)
        hit = {c for c in need if ord(c) in cov}
        if hit:
            found.append(path)
            need -= hit
        if not need:
            break
    return found, need


def needs_shaping(text: str) -> bool:
    """Text with right-to-left letters or combining marks, which only shaping draws right."""
    return any(unicodedata.bidirectional(c) in ("R", "AL") or unicodedata.category(c) == "Mn"
               for c in text if ord(c) > 0x2FF)


def _invisible(c: str) -> bool:
    return unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") or c in "\n\r\t "


class ShapedPDF(FPDF):
    """An FPDF in DejaVu Sans that shapes text and adds fallback fonts as text needs them.

    Attributes
    ----------
    missing
        Characters of drawn text that no installed font has (drawn as gaps).
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.add_font(FAMILY, "", str(font_dir() / "DejaVuSans.ttf"))
        self.add_font(FAMILY, "B", str(font_dir() / "DejaVuSans-Bold.ttf"))
        self.missing: set[str] = set()
        self._have = set(coverage(font_dir() / "DejaVuSans.ttf"))
        self._fallbacks: list[str] = []

    def _shape_from_now(self) -> None:
        """Turn HarfBuzz shaping on (it costs time on every line, so only once text needs it)."""
        try:
            self.set_text_shaping(True)
        except Exception:  # uharfbuzz missing: text is drawn unshaped (left to right)
            log.warning("meeting pack: text shaping needs the 'uharfbuzz' package; right-to-left "
                        "scripts are drawn unshaped (pip install uharfbuzz)")

    def normalize_text(self, text: str) -> str:
        if not self.text_shaping and needs_shaping(text):
            self._shape_from_now()
        self._cover(text)
        return super().normalize_text(text)

    def prepare(self, texts: list[str]) -> None:
        """Look at the document's texts before drawing: shaping and fallback fonts are then
        in place for every line, measured and drawn alike."""
        joined = "\n".join(texts)
        if needs_shaping(joined):
            self._shape_from_now()
        self._cover(joined)

    def _cover(self, text: str) -> None:
        chars = {c for c in text if ord(c) not in self._have and not _invisible(c)}
        if not chars:
            return
        fonts, lost = fallback_for(chars, self._have)
        for path in fonts:
            name = f"fallback{len(self._fallbacks)}"
            self.add_font(name, "", str(path))
            self._fallbacks.append(name)
            self._have |= coverage(path)
        if fonts:
            self.set_fallback_fonts(self._fallbacks, exact_match=False)
        new = lost - self.missing
        if new:
            self.missing |= new
            self._have |= {ord(c) for c in new}   # warn once per character
            shown = "".join(sorted(new))
            codes = ", ".join(f"U+{ord(c):04X}" for c in sorted(new)[:8])
            log.warning("meeting pack: no installed font can draw %r (%s); install a font that has "
                        "them (Debian: fonts-noto-core, fonts-noto-cjk or fonts-symbola) and write "
                        "the pack again", shown, codes)
