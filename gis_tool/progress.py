"""Progress inside long steps, for the bar the command line draws on a terminal.

The pipeline announces each step through logging; work that is split into chunks (the
criteria over a million sites, the layers being read) calls :func:`advance` as its parts
finish. Nothing is drawn unless a listener is set (the command line sets one when stderr
is a terminal), so the cost without one is a function call per chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

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
