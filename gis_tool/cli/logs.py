"""How the command line reports: progress lines after a delay, elapsed times, and on a
terminal a bar of the steps done with the current step's share redrawn in place."""

from __future__ import annotations

import logging
import sys
import threading
import time

from .. import progress


class _LongWorkOnly(logging.Filter):
    """Progress (INFO) only once work has run for a while, like tqdm's ``delay``.

    Quick runs and quick failures stay silent apart from warnings and errors, so a failure
    message starts stderr with "error:"; long runs show where they are.
    """

    def __init__(self, delay: float):
        super().__init__()
        self.t0 = time.perf_counter()
        self.delay = delay

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or time.perf_counter() - self.t0 >= self.delay


class _Elapsed(logging.Formatter):
    def __init__(self, bars: bool = False) -> None:
        super().__init__()
        self.t0 = time.perf_counter()
        self.bars = bars

    def format(self, record: logging.LogRecord) -> str:
        t = time.perf_counter() - self.t0
        prefix = "warning: " if record.levelno >= logging.WARNING else ""
        progress = getattr(record, "progress", None)
        if self.bars and progress:  # on a terminal: a bar of the steps done so far
            done, total = progress
            filled = round(20 * done / max(total, 1))
            bar = "█" * filled + "░" * (20 - filled)
            return f"[{t:6.1f}s] {bar} {done + 1}/{total} {record.getMessage()}"
        return f"[{t:6.1f}s] {prefix}{record.getMessage()}"


class _LiveLine(logging.StreamHandler):
    """On a terminal: each step on a line of its own, redrawn in place (one line up, then
    down again, so the cursor always rests on a fresh line) with the time so far and the
    share of the step's current pass done, as its parts finish (:mod:`gis_tool.progress`),
    at most ten times a second."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.record: logging.LogRecord | None = None   # the step shown on the last line
        self.drawn = 0.0
        self.passes = (1, 0)   # (pass number, parts done in it)
        self.guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self.guard:
            super().emit(record)
            self.record = record if getattr(record, "progress", None) else None
            self.passes = (1, 0)

    def advance(self, done: int, total: int) -> None:
        now = time.perf_counter()
        with self.guard:
            if self.record is None:
                return
            n, last = self.passes
            self.passes = (n + 1 if done < last else n, done)   # a new pass starts over
            if now - self.drawn < 0.1 and done < total:
                return
            self.drawn = now
            extra = f" (pass {self.passes[0]})" if self.passes[0] > 1 else ""
            line = self.format(self.record)
            self.stream.write(f"\x1b[1A\r{line} {100 * done // total:3d}%{extra}\x1b[K\n")
            self.flush()


PROGRESS_DELAY_S = 2.0


def setup_logging(verbose: int, quiet: bool) -> None:
    """Log to stderr at the level asked: progress on a terminal (or with -v); elsewhere
    only once the work has run for ``PROGRESS_DELAY_S`` seconds, so quick failures print
    nothing before "error:"."""
    level = logging.WARNING if quiet else (logging.DEBUG if verbose > 1 else logging.INFO)
    handler = _LiveLine() if sys.stderr.isatty() else logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Elapsed(bars=sys.stderr.isatty()))
    progress.set_listener(handler.advance if isinstance(handler, _LiveLine) and not quiet else None)
    if not quiet and not verbose and not sys.stderr.isatty():
        handler.addFilter(_LongWorkOnly(PROGRESS_DELAY_S))
    root = logging.getLogger("gis_tool")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
