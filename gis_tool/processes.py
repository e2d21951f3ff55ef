"""How a run uses its process: whether work may be forked into child processes, and
pausing Python's garbage collector over a run."""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager


def can_fork() -> bool:
    """Forking is safe: Linux (macOS's system libraries do not survive a fork, which is
    why Python spawns there) and no thread but this one (a Dask client's would not
    survive it either)."""
    return sys.platform.startswith("linux") and threading.active_count() == 1


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused inside the block (as a decorator too).

    Shapely's geometries are objects the collector tracks, so a run that makes millions
    of them (reading, cutting, intersecting) sets off collection after collection, each
    walking every geometry alive: about 2 s of a million-site run, for no garbage (the
    run makes few reference cycles; plain reference counting frees the rest as before).
    The collector's earlier state is restored on leaving, also after an error.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
