"""Libraries a run will need, loaded on threads of their own while its layers load.

Loading the layers keeps one core busy and leaves the other mostly idle, while the
criteria that follow fork a second process and keep both busy: a library imported then
would be imported by each process, on a busy core. The threads are joined before the
criteria fork (only a process with one thread may fork).
"""

from __future__ import annotations

import importlib
import threading
from contextlib import suppress


def import_aside(module: str) -> threading.Thread:
    """Import ``module`` on a thread of its own while the layers load. The nearest
    search's k-d tree (``scipy.spatial``, 0.4-0.7 s to import) was imported by each of the
    criteria's two processes, where both cores are busy; the loading leaves one mostly
    idle. A failed import is left for the code that needs the module to raise."""
    def work() -> None:
        with suppress(ImportError):
            importlib.import_module(module)

    thread = threading.Thread(target=work, name=f"importing {module}", daemon=True)
    thread.start()
    return thread


def compiled_aside() -> threading.Thread:
    """Load the compiled loops of a large run (:func:`gis_tool.engine.compiled.warm`:
    numba and the loops from its cache, about 0.35 s) on a thread of its own while the
    other layers load, instead of once in each of the criteria's two processes, where
    both cores are busy. A failure is left for the code that uses the loops to raise."""
    def work() -> None:
        with suppress(Exception):
            from . import compiled  # numba: only for the work that needs it

            compiled.warm()

    thread = threading.Thread(target=work, name="importing the compiled loops", daemon=True)
    thread.start()
    return thread
