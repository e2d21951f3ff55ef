"""Output folders replaced as a whole: a kill at any moment leaves the old answer or the new.

A product (run, inquiry, compare, sensitivity) writes its whole file set into a new
folder beside the output folder. Files the user put in the output folder themselves are
hard-linked into the new folder (so they are never deleted), and the two folders are then
swapped in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``). Where that call is
missing, the old folder is renamed aside and the new one into place (two renames); a run
that finds the folder missing and the aside copy present puts it back first.

A lock file keeps two runs from writing into one folder at once, a non-empty folder is
refused without ``overwrite``, and an input is never overwritten.
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import OutputError

log = logging.getLogger(__name__)
LOCK = ".gis-tool.lock"
_NEW, _OLD = ".new-", ".old-"   # staging names beside the folder: .<name>.new-XXXX, .<name>.old-XXXX
_AT_FDCWD, _RENAME_EXCHANGE = -100, 2


def check_out_dir(out: Path, *, overwrite: bool, inputs: set[Path], names: tuple[str, ...]) -> None:
    """Refuse an output folder that is a file, non-empty (without overwrite), or holds inputs.

    Raises
    ------
    OutputError
        With the reason and the fix.
    """
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder; give a folder for --out")
    for name in names:
        if (out / name).resolve() in inputs:
            raise OutputError(f"{out / name}: is an input of this analysis and would be "
                              "overwritten; choose another --out folder")
    if out.is_dir() and not overwrite:
        content = [p.name for p in out.iterdir() if p.name != LOCK and not p.name.startswith(".tmp-")]
        if content:
            raise OutputError(f"{out}: the folder exists and is not empty ({len(content)} "
                              "entries); add --overwrite to replace its outputs, or choose "
                              "another folder")


def _unwritable(folder: Path, exc: OSError) -> OutputError:
    why = exc.strerror or type(exc).__name__
    return OutputError(f"{folder}: cannot write here ({why}); choose a folder you can write to "
                       "with --out, or fix its permissions")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM
    return True


def _take_lock(lock: Path) -> None:
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                pid = int(lock.read_text().strip() or 0)
            except (OSError, ValueError):
                pid = 0
            if pid and _pid_alive(pid) and pid != os.getpid():
                raise OutputError(f"{lock.parent}: another gis-tool run (process {pid}) is writing "
                                  "here; wait for it or choose another folder") from None
            lock.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w") as fh:
            fh.write(str(os.getpid()))
        return
    raise OutputError(f"{lock.parent}: could not take the lock {lock}; remove it if no run is active")


@contextmanager
def out_lock(out: Path) -> Iterator[None]:
    """Hold ``out/.gis-tool.lock`` while writing; a lock left by a dead process is taken over."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        _take_lock(out / LOCK)
    except OutputError:
        raise
    except OSError as exc:
        raise _unwritable(out, exc) from None
    try:
        yield
    finally:
        (out / LOCK).unlink(missing_ok=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one atomic step; False where the system cannot."""
    fn = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if fn is None:
        return False
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(a))


def _restore_aside(out: Path) -> None:
    """A run killed between the two renames of the fallback left no folder and an aside copy."""
    aside = sorted(out.parent.glob(f".{out.name}{_OLD}*"))
    if not out.exists() and aside:
        os.rename(aside[-1], out)
        log.warning("%s: restored the previous outputs of a run that was stopped while publishing", out)


def _clean_stale(out: Path) -> None:
    for stale in [*out.glob(".tmp-*"), *out.parent.glob(f".{out.name}{_NEW}*"),
                  *out.parent.glob(f".{out.name}{_OLD}*")]:
        shutil.rmtree(stale, ignore_errors=True)


def _carry_over(out: Path, new: Path, names: tuple[str, ...]) -> None:
    """Link the user's own files and folders from ``out`` into ``new`` (copy where links fail)."""
    for p in out.iterdir():
        if p.name in names or p.name == LOCK or p.name.startswith(".tmp-") or (new / p.name).exists():
            continue
        target = new / p.name
        if p.is_dir() and not p.is_symlink():
            shutil.copytree(p, target, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(p, target)


def _link_or_copy(src: str | Path, dst: str | Path) -> None:
    if os.path.islink(src):
        os.symlink(os.readlink(src), dst)
        return
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _publish(out: Path, new: Path, names: tuple[str, ...]) -> None:
    """Put ``new`` in place of ``out``; afterwards ``new`` holds the old folder (or nothing)."""
    if not out.exists():
        os.rename(new, out)
        return
    _carry_over(out, new, names)
    try:
        swapped = _exchange(new, out)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EBUSY, errno.EPERM, errno.EACCES):
            raise
        swapped = None  # a mount point or a protected folder: move file by file
    if swapped is None:
        for p in sorted(new.iterdir()):
            if p.name in names:
                dest = out / p.name
                if dest.is_dir() and not dest.is_symlink():
                    shutil.rmtree(dest)
                shutil.move(p, dest)
        return
    if not swapped:  # two renames; a run stopped between them is repaired by _restore_aside
        aside = out.parent / f".{out.name}{_OLD}{os.getpid()}"
        os.rename(out, aside)
        os.rename(new, out)
        os.rename(aside, new)
    # Anything the user saved in the old folder while this run published is kept.
    for p in new.iterdir():
        if p.name not in names and p.name != LOCK and not (out / p.name).exists():
            os.rename(p, out / p.name)


@contextmanager
def staged(out: Path, *, overwrite: bool, inputs: set[Path], names: tuple[str, ...]) -> Iterator[Path]:
    """A new folder to write a product's whole file set into; it replaces ``out`` as a whole
    only when the block finishes without error.

    Parameters
    ----------
    out
        The output folder; created when missing. Files in it that are not among ``names``
        (the user's own) are kept.
    overwrite
        Replace the outputs of an earlier run in a non-empty folder.
    inputs
        Files the product read: none of them may be replaced.
    names
        Every file name the product may write.

    Raises
    ------
    OutputError
        A folder that is a file, non-empty without ``overwrite``, holds an input, is locked
        by another run, or cannot be written.
    """
    out = Path(os.path.abspath(out))
    if out.is_symlink():
        out = out.resolve()
    _restore_aside(out)
    check_out_dir(out, overwrite=overwrite, inputs=inputs, names=names)
    with out_lock(out):
        _clean_stale(out)
        try:
            new = Path(tempfile.mkdtemp(prefix=f".{out.name}{_NEW}", dir=out.parent))
            os.chmod(new, stat.S_IMODE(out.stat().st_mode))
        except OSError as exc:
            raise _unwritable(out.parent, exc) from None
        try:
            yield new
            (new / LOCK).write_text(str(os.getpid()))  # the lock stays held after the swap
            _publish(out, new, names)
        finally:
            shutil.rmtree(new, ignore_errors=True)
