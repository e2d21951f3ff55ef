"""Answers about an array kept for the next caller that asks about the same array.

A run asks about its site array again and again: every nearest criterion wants the
sites' anchors and radii, every overlap and constraint a tree of them, every criterion on
the road network the sites' nearest nodes. :class:`PerArray` makes each answer once.
An array is known by identity: each array kept is held, so its id is not reused while
kept; the oldest answer goes when the store is full.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


class PerArray:
    """At most ``size`` answers, each about one array and named by ``what``."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: dict[tuple[int, str], tuple[np.ndarray, Any]] = {}

    def get(self, array: np.ndarray, what: str, make: Callable[[], Any]) -> Any:
        """The answer ``what`` about ``array``: ``make()`` the first time, kept after."""
        seen = self.seen(array, what)
        if seen is not None:
            return seen
        value = make()
        self.put(array, what, value)
        return value

    def seen(self, array: np.ndarray, what: str) -> Any:
        """The answer ``what`` about ``array`` if one is kept, else None."""
        kept = self._kept.get((id(array), what))
        return kept[1] if kept is not None and kept[0] is array else None

    def put(self, array: np.ndarray, what: str, value: Any) -> None:
        """Keep ``value`` as the answer ``what`` about ``array``."""
        if len(self._kept) >= self.size:   # the oldest goes
            del self._kept[next(iter(self._kept))]
        self._kept[(id(array), what)] = (array, value)

    def clear(self) -> None:
        """Forget every answer (benchmarks time making them)."""
        self._kept.clear()
