"""Typed reading of TOML tables: every problem recorded with its key path, then reported
together (as osmnx's validators do); shared by the analysis file and request files."""

from __future__ import annotations

import hashlib
import math
import tomllib
from pathlib import Path
from typing import Any

from ..errors import InputError, ProblemList, closest, valid_list


def read_toml(path: Path, what: str, *, max_bytes: int | None = None) -> tuple[dict[str, Any], str]:
    """Read a TOML file given by a user, checking it exists, is a file, is UTF-8 and parses.

    Parameters
    ----------
    path : Path
        The file.
    what : str
        What the file is, for messages ("analysis file", "request file").
    max_bytes : int, optional
        Refuse a larger file before reading it.

    Returns
    -------
    tuple of (dict, str)
        The parsed table and the SHA-256 of the file's bytes.

    Raises
    ------
    InputError
        Naming the file, the cause and the fix.
    """
    if not path.exists():
        raise InputError(f"{path}: {what} not found; check the path")
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give the path of {_a(what)} .toml file")
    if max_bytes is not None and (size := path.stat().st_size) > max_bytes:
        raise InputError(f"{path}: is {size / 1e6:.1f} MB; {_a(what)} is a short TOML file (at most "
                         f"{max_bytes // 1_000_000} MB): shorten its texts")
    blob = path.read_bytes()
    try:
        data = tomllib.loads(blob.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); "
                         f"save the {what} as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: TOML syntax error: {exc}; fix the line it names") from None
    return data, hashlib.sha256(blob).hexdigest()


def _a(what: str) -> str:
    return ("an " if what[:1] in "aeiou" else "a ") + what.split()[0]


def _is_scalar(v: Any) -> bool:
    if isinstance(v, float):
        return math.isfinite(v)
    return isinstance(v, (str, int, bool))


class Reader:
    """Typed access to a TOML table that records every problem with its key path.

    A table with a misspelt key (one that has a close valid key) reports only that: the
    problems that follow from it in the same table ("needs 'min' or 'max'") are dropped,
    so that the message names the root cause.
    """

    def __init__(self, problems: ProblemList, fname: str):
        self.problems = problems
        self.fname = fname
        self.misspelt: set[str] = set()

    def err(self, key: str, msg: str) -> None:
        if key in self.misspelt:
            return
        self.problems.add(f"{self.fname}: {key}", msg)

    def table(self, data: Any, key: str) -> dict:
        if data is None:
            return {}
        if not isinstance(data, dict):
            self.err(key, f"must be a table, not {type(data).__name__}")
            return {}
        return data

    def keys(self, data: dict, key: str, allowed: set[str]) -> None:
        for k in data:
            if k not in allowed:
                where = f"{key}.{k}" if key else k
                hint = closest(k, allowed)
                self.err(where, f"unknown key{hint}; valid keys: {valid_list(allowed)}")
                if hint:
                    self.misspelt.add(key)

    def number(self, data: dict, key: str, path: str, *, positive: bool = False,
               minimum: float | None = None, maximum: float | None = None,
               integer: bool = False) -> float | None:
        """A finite number (``nan`` and ``inf`` are refused), optionally whole and in range."""
        v = data.get(key)
        if v is None:
            return None
        where = f"{path}.{key}" if path else key
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            self.err(where, f"must be a number, not {v!r}")
            return None
        if not math.isfinite(v):
            self.err(where, f"must be a finite number, not {v}")
            return None
        if integer and v != int(v):
            self.err(where, f"must be a whole number, not {v:g}")
            return None
        if positive and v <= 0:
            self.err(where, f"must be greater than 0, not {v:g}")
            return None
        if minimum is not None and v < minimum:
            self.err(where, f"must be at least {minimum:g}, not {v:g}")
            return None
        if maximum is not None and v > maximum:
            self.err(where, f"must be at most {maximum:g}, not {v:g}")
            return None
        return float(v)

    def boolean(self, data: dict, key: str, path: str) -> bool | None:
        """true or false (a text such as "no" is refused, not read as true)."""
        v = data.get(key)
        if v is None or isinstance(v, bool):
            return v
        self.err(f"{path}.{key}", f"must be true or false, not {v!r}")
        return None

    def scalar(self, data: dict, key: str, path: str) -> Any:
        """A single value to compare with (text, number or true/false), or None."""
        v = data.get(key)
        if v is None or _is_scalar(v):
            return v
        self.err(f"{path}.{key}", f"must be a text, a finite number or true/false, not {v!r}")
        return None

    def values(self, data: dict, key: str, path: str) -> tuple | None:
        """A list of single values (``in = ["kommun", "stat"]``), or None."""
        v = data.get(key)
        if v is None:
            return None
        if not isinstance(v, list):
            self.err(f"{path}.{key}", f"must be a list, e.g. {key} = [\"kommun\", \"stat\"]")
            return None
        bad = [x for x in v if not _is_scalar(x)]
        if bad:
            self.err(f"{path}.{key}", f"holds {bad[0]!r}; each item must be a text, a finite number or "
                                      "true/false")
            return None
        return tuple(v)

    def text(self, data: dict, key: str, path: str) -> str | None:
        v = data.get(key)
        if v is None:
            return None
        if not isinstance(v, str) or not v.strip():
            self.err(f"{path}.{key}", f"must be a non-empty text, not {v!r}")
            return None
        return v

    def choice(self, data: dict, key: str, path: str, choices: tuple[str, ...],
               default: str | None = None) -> str | None:
        v = data.get(key, default)
        if v is None:
            return None
        if v not in choices:
            self.err(f"{path}.{key}", f"unknown value {v!r}{closest(str(v), choices)}; "
                                      f"valid values: {valid_list(choices)}")
            return None
        return v


