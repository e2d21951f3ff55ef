"""Libraries a run will need, loaded on threads of their own while its layers load.

Loading the layers keeps one core busy and leaves the other mostly idle, while the
criteria that follow fork a second process and keep both busy: a library imported then
would be imported by each process, on a busy core. The threads are joined before the
criteria fork (only a process with one thread may fork).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from contextlib import suppress
from types import ModuleType


def import_aside(module: str) -> threading.Thread:
    """Import ``module`` on a thread of its own while the layers load. The nearest
    search's k-d tree (``scipy.spatial``, 0.4-0.7 s to import) was imported by each of the
    criteria's two processes, where both cores are busy; the loading leaves one mostly
    idle. A failed import is left for the code that needs the module to raise."""
    def work() -> None:
        with suppress(ImportError):
            importlib.import_module(module)

    return _on_thread(f"importing {module}", work)


def compiled_aside() -> threading.Thread:
    """Load the compiled loops of a large run (:func:`gis_tool.engine.compiled.warm`:
    numba and the loops from its cache, about 0.35 s) on a thread of its own while the
    other layers load, instead of once in each of the criteria's two processes, where
    both cores are busy. A failure is left for the code that uses the loops to raise."""
    def work() -> None:
        with suppress(Exception):
            compiled_loops().warm()

    return _on_thread("importing the compiled loops", work)


def compiled_loops() -> ModuleType:
    """:mod:`gis_tool.engine.compiled`, imported here and only when asked for: it loads
    numba (about 0.4 s), which only the work of a large run needs."""
    from . import compiled  # numba: only for the work that needs it

    return compiled


def _on_thread(name: str, work: Callable[[], None]) -> threading.Thread:
    """``work()`` begun on a daemon thread named ``name`` (a run that fails meanwhile
    does not wait for it)."""
    thread = threading.Thread(target=work, name=name, daemon=True)
    thread.start()
    return thread
