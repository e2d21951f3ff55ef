"""Error types: bad input (exit 2) versus internal failures (exit 1)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One problem found in an input.

    Parameters
    ----------
    where
        The file, layer, key or feature the problem is in, e.g.
        ``"analysis.toml: criteria.motorway.value.fn"``.
    message
        What is wrong and how to fix it.
    fatal
        False for a warning that does not stop the run.
    """

    where: str
    message: str
    fatal: bool = True

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class GisToolError(Exception):
    """Root of every error gis-tool raises on purpose."""


class InputError(GisToolError, ValueError):
    """Bad input: usage, analysis file or data. The CLI exits with status 2.

    Carries every problem found, so that a user fixes them all in one go.
    """

    def __init__(self, problems: Problem | str | Iterable[Problem | str], where: str = ""):
        if isinstance(problems, (Problem, str)):
            problems = [problems]
        self.problems: list[Problem] = [
            p if isinstance(p, Problem) else Problem(where, p) for p in problems
        ]
        super().__init__(self._text())

    def _text(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [f"{len(self.problems)} problems:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class OutputError(GisToolError):
    """The output folder cannot be written as asked (exists, locked, is an input)."""


@dataclass
class ProblemList:
    """Collects problems during validation, then raises them together."""

    items: list[Problem] = field(default_factory=list)

    def add(self, where: str, message: str, *, fatal: bool = True) -> None:
        self.items.append(Problem(where, message, fatal))

    @property
    def fatal(self) -> list[Problem]:
        return [p for p in self.items if p.fatal]

    def raise_if_fatal(self) -> None:
        if self.fatal:
            raise InputError(self.fatal)


def closest(name: str, choices: Iterable[str]) -> str:
    """A hint naming the closest of ``choices`` to ``name`` (empty if none is close).

    >>> closest("wieght", ["weight", "layer"])
    " (did you mean 'weight'?)"
    """
    choices = list(choices)
    match = difflib.get_close_matches(name, choices, n=1, cutoff=0.5)
    if not match:
        match = [c for c in choices if c.lower() == name.lower()]
    return f" (did you mean '{match[0]}'?)" if match else ""


def valid_list(choices: Iterable[str]) -> str:
    """``'a', 'b', 'c'`` for use in messages."""
    return ", ".join(f"'{c}'" for c in sorted(choices))
