"""How a run uses its process: whether work may be forked into child processes, work
run beside the caller's in a forked process (:class:`Beside`), and pausing Python's
garbage collector over a run."""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any


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


def _trim() -> None:
    """Give the C heap's free pages back to the system (glibc), so that neither process
    copies them page by page when it next writes there after a fork."""
    with suppress(AttributeError, OSError):   # not glibc: nothing to do
        ctypes.CDLL(None).malloc_trim(0)


class Beside:
    """``fn()`` run beside the caller's own work; :meth:`result` waits for its value.

    With ``fork`` (and where a fork is safe, :func:`can_fork`) ``fn`` runs in a forked
    child process, which shares the caller's data without copying it and takes no turns
    with it for Python's lock; otherwise here and now. Memory either process writes to
    after the fork is copied page by page, so the child should get the work that
    allocates less. ``nice`` lowers the child's priority when the caller's own work is
    the longer.

    Failures reach the caller as they were raised (an error of gis-tool's own keeps its
    message and exit status), except an ``OSError``, which is raised as ``failed(why)``
    when ``failed`` is given (inline too), and an exception that cannot be sent between
    processes, raised as a ``RuntimeError`` naming ``where``. :meth:`cancel` stops a
    child whose value is not wanted.
    """

    def __init__(self, fork: bool, where: str, fn: Callable[[], Any], *, nice: int = 0,
                 failed: Callable[[str], Exception] | None = None) -> None:
        self.proc: Any = None
        self.where, self.failed = where, failed
        if not fork or not can_fork():
            try:
                self.value = fn()
            except OSError as exc:
                if failed is None:
                    raise
                raise failed(f"{type(exc).__name__}: {exc}") from None
            return
        ctx = multiprocessing.get_context("fork")
        self.receive, send = ctx.Pipe(duplex=False)

        def child() -> None:
            # the caller's end closed here: were the caller gone before reading (killed),
            # sending would fail instead of waiting for ever for a reader
            self.receive.close()
            if nice:
                os.nice(nice)
            with suppress(BrokenPipeError):   # the caller is gone: no one to tell
                try:
                    send.send(("ok", fn()))
                except BaseException as exc:  # reported to the parent, which raises it
                    if isinstance(exc, OSError):
                        send.send(("oserror", f"{type(exc).__name__}: {exc}"))
                        return
                    try:
                        send.send(("raise", exc))
                    except Exception:   # an exception that cannot be pickled: its text
                        send.send(("bug", f"{type(exc).__name__}: {exc}"))

        for stream in (sys.stdout, sys.stderr):  # nothing buffered may be written twice
            stream.flush()
        _trim()
        self.proc = ctx.Process(target=child, daemon=True)
        self.proc.start()
        send.close()

    def result(self) -> Any:
        if self.proc is None:
            return self.value
        try:
            status, value = self.receive.recv()
        except EOFError:
            status, value = "oserror", "the process ended without a result"
        self.proc.join()
        if status == "raise":
            raise value
        if status == "bug":
            raise RuntimeError(f"{self.where}: {value}")
        if status != "ok" or self.proc.exitcode != 0:
            why = f"{value}; exit status {self.proc.exitcode}"
            raise self.failed(why) if self.failed is not None else RuntimeError(f"{self.where}: {why}")
        return value

    def cancel(self) -> None:
        if self.proc is not None and self.proc.is_alive():
            self.proc.terminate()
            self.proc.join()


class Claims:
    """Tasks ``0..n-1`` that a process and its forked children take turns to claim, each
    task claimed once: made before the fork, the claims live in memory both share.

    The first process claims from the front (:meth:`claim`), a helper from the back
    (:meth:`claim_last`), so that a helper done with its own work takes what the first
    has not reached yet.
    """

    def __init__(self, n: int) -> None:
        ctx = multiprocessing.get_context("fork")
        self._lock = ctx.Lock()
        self._taken = ctx.RawArray("b", max(n, 1))
        self.n = n

    def claim(self, i: int) -> bool:
        """Claim task ``i``; False when another process has it already."""
        with self._lock:
            if self._taken[i]:
                return False
            self._taken[i] = 1
            return True

    def claim_last(self) -> int | None:
        """Claim the last task not yet claimed; None when every task is."""
        with self._lock:
            for i in range(self.n - 1, -1, -1):
                if not self._taken[i]:
                    self._taken[i] = 1
                    return i
        return None
