"""Whether work may be forked into child processes here."""

from __future__ import annotations

import sys
import threading


def can_fork() -> bool:
    """Forking is safe: Linux (macOS's system libraries do not survive a fork, which is
    why Python spawns there) and no thread but this one (a Dask client's would not
    survive it either)."""
    return sys.platform.startswith("linux") and threading.active_count() == 1
