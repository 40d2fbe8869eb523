"""Owner-only folders and files, whatever the umask, and reports that never clobber.

- Every folder the host creates (the store's, the reports folder, a new ``--output``
  parent) is made 0700: each missing component is created with mode 0700, chmod-ed
  explicitly (a umask can only remove bits, but a filesystem may ignore the mode) and
  checked. Folders that already exist are left as they are: they are the operator's.
- The store file is 0600 (set on the open descriptor, so a symlinked store file is
  protected where it really lives).
- A report is written to a new file only: ``O_CREAT | O_EXCL | O_NOFOLLOW`` with mode 0600,
  so an existing file is never overwritten and a symlink at the path (even a dangling one)
  is never followed. A write that fails part-way removes the partial file.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from host_stub.errors import HostError

DIR_MODE = 0o700
FILE_MODE = 0o600


class UnsafePathError(HostError):
    """A path the host must write is not safe to use."""


def make_private_dir(path: Path) -> None:
    """Create ``path`` and any missing parents, each 0700 (see the module docstring)."""
    missing: list[Path] = []
    current = path
    while not current.exists():
        if current.is_symlink():
            raise UnsafePathError(f"{current} is a dangling symlink; refusing to create through it")
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, DIR_MODE)
        except FileExistsError:
            if not folder.is_dir():
                raise
            continue  # another process created it first: it is not ours to change
        os.chmod(folder, DIR_MODE)
        mode = stat.S_IMODE(os.lstat(folder).st_mode)
        if mode != DIR_MODE:
            raise UnsafePathError(f"could not make {folder} private (mode {mode:o})")
    if not path.is_dir():
        raise UnsafePathError(f"{path} is not a folder")


def open_private_store_file(path: Path) -> None:
    """Create ``path`` if needed and make it 0600."""
    make_private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)


def refuse_existing(path: Path, what: str) -> None:
    """Raise if ``path`` exists or is a symlink (checked before long work starts)."""
    if os.path.lexists(path):
        kind = "a symlink" if path.is_symlink() else "an existing file"
        raise UnsafePathError(
            f"{what} {path} is {kind}: the host never overwrites a report nor follows a "
            "symlink; choose a new path or remove it"
        )


def write_new_private_file(path: Path, text: str) -> None:
    """Write ``text`` to the new file ``path`` (0600); never overwrite, never follow."""
    make_private_dir(path.parent)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, FILE_MODE)
    except FileExistsError:
        refuse_existing(path, "report")
        raise
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            refuse_existing(path, "report")
        raise
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), FILE_MODE)
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
