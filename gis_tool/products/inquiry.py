"""The answer to an investor's request: matches.csv/.gpkg/.kml, near_misses.csv, a focused
map.html, meeting_pack.pdf and inquiry.json."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from ..publish.outputs import write_inquiry
from ..spec.analysis import Analysis
from ..studies.inquiry import InquiryResult, inquiry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InquiryOutput:
    """An answered request and the files written (name to path)."""

    inquiry: InquiryResult
    files: dict[str, Path]


def answer_inquiry(request: str | Path | dict, analysis: str | Path | Analysis, out: str | Path, *,
                   lang: str = "sv", overwrite: bool = False) -> InquiryOutput:
    """Answer ``request`` from ``analysis`` and write the whole answer into ``out``
    (``gis-tool inquiry``); the folder is replaced as a whole, user files kept."""
    from ..publish.maps import inquiry_map, save_map
    from ..publish.report import meeting_pack

    inq = inquiry(request, analysis, lang=lang)

    def draw(res: InquiryResult, path: Path) -> None:
        log.info("drawing map ...")
        save_map(inquiry_map(res, lang=lang), path)

    def pack(res: InquiryResult, path: Path) -> None:
        log.info("writing the meeting pack ...")
        meeting_pack(res, path, lang=lang)

    files = write_inquiry(inq, out, overwrite=overwrite, make_map=draw, make_pack=pack)
    return InquiryOutput(inq, files)
