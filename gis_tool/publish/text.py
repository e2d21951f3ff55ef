"""Text shown to people: shortening and making data text safe for each medium.

Every function takes text that may come from an analysis file, a request or a data file
and returns it in a form that is shown literally: matplotlib never reads it as mathtext,
a chart label never grows past its room.
"""

from __future__ import annotations

ELLIPSIS = "…"


def clip(text: object, limit: int = 40) -> str:
    """``text`` as a string of at most ``limit`` characters, ending in "…" when cut.

    >>> clip("Sävelund 3:21", 8)
    'Sävelun…'
    """
    s = " ".join(str(text).split())
    return s if len(s) <= limit else s[: max(0, limit - 1)].rstrip() + ELLIPSIS


def chart_text(text: object, limit: int = 40) -> str:
    """Data text for a matplotlib chart: clipped, and with ``$`` escaped, so that a
    label such as ``$5 per m2 $`` is drawn as written instead of as mathtext.

    >>> chart_text("Price $ per m2 $")
    'Price \\\\$ per m2 \\\\$'
    """
    return clip(text, limit).replace("$", r"\$")
