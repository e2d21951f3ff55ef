"""Long work in chunks on threads, and its progress for the bar the command line draws.

The pipeline announces each step through logging; work that is split into chunks (the
criteria over a million sites, the layers being read and checked) runs through
:func:`in_chunks`, which calls :func:`advance` as its parts finish. Nothing is drawn
unless a listener is set (the command line sets one when stderr is a terminal), so the
cost without one is a function call per chunk.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import numpy as np

THREADS = min(8, os.cpu_count() or 1)  # shapely's array functions release the GIL
MIN_CHUNK = 5000  # items per thread below which one thread does it all
CHUNK = 50_000  # items per chunk in large runs: progress shows as chunks finish

Listener = Callable[[int, int], None]
_listener: Listener | None = None


def advance(done: int, total: int) -> None:
    """``done`` of ``total`` parts of the current step have finished (any thread)."""
    fn = _listener
    if fn is not None and total > 0:
        fn(done, total)


def set_listener(fn: Listener | None) -> None:
    """Send :func:`advance` calls to ``fn`` from now on (None: to nobody)."""
    global _listener
    _listener = fn


@contextmanager
def listening(fn: Listener | None) -> Iterator[None]:
    """Send :func:`advance` calls to ``fn`` inside the block."""
    before = _listener
    set_listener(fn)
    try:
        yield
    finally:
        set_listener(before)


def in_chunks(fn: Callable[[int, int], Any], n: int, min_chunk: int = MIN_CHUNK) -> list[Any]:
    """Run ``fn(start, stop)`` over ``range(n)`` in chunks on several threads, in order.

    Large inputs go in chunks of about ``CHUNK`` (at most 64), each reported to
    :func:`advance` as it finishes; the results do not depend on it.
    """
    threads = max(1, min(THREADS, n // min_chunk))
    if threads == 1:
        return [fn(0, n)]
    k = max(threads, min(64, n // CHUNK))
    edges = [int(e) for e in np.linspace(0, n, k + 1)]
    out = []
    with ThreadPoolExecutor(threads) as pool:
        for i, part in enumerate(pool.map(lambda i: fn(edges[i], edges[i + 1]), range(k))):
            out.append(part)
            advance(i + 1, k)
    return out


def gathered(fn: Callable[[int, int], tuple[np.ndarray, ...]], n: int, *, min_chunk: int = MIN_CHUNK,
             threads: bool = True) -> tuple[np.ndarray, ...]:
    """``fn(start, stop)``, which returns a tuple of arrays, over ``range(n)`` in chunks
    (:func:`in_chunks`; on this thread alone without ``threads``), each array joined up."""
    found = in_chunks(fn, n, min_chunk) if threads else [fn(0, n)]
    return tuple(np.concatenate(arrays) for arrays in zip(*found, strict=True))
