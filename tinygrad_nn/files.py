"""Writing files so that nothing already saved is lost: write beside, then rename into place.

A write that fails halfway (a full disk, an error while converting, the process killed)
leaves the old file as it was: the new content goes to a temporary file in the same
folder, is flushed to disk, and only then replaces the old name in one step
(``os.replace`` is atomic on POSIX and Windows).

The rename would replace a read-only file too, whatever its permission bits say, so the
target is checked first: one this process may not write (``os.access``), or one that
nobody may write (no write bit: made read-only on purpose), raises ``PermissionError``
naming it and stays as it was. ``open(path, "w")`` refuses the same files, except that
root may open a file without write bits; here root is refused too, as ``cp`` and ``rm``
ask before replacing a write-protected file.

Examples:
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "note.txt")
    >>> write_atomic(path, "hello")
    >>> open(path).read(), oct(os.stat(path).st_mode & 0o777)
    ('hello', '0o644')
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

PathLike = str | os.PathLike


def check_writable(path: PathLike) -> None:
    """Raise ``PermissionError`` naming ``path`` if it exists and must not be replaced:
    this process may not write it, or it has no write permission bit at all.

    Examples:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "frozen.txt")
        >>> write_atomic(path, "keep me"); os.chmod(path, 0o444)
        >>> check_writable(path)
        Traceback (most recent call last):
        ...
        PermissionError: [Errno 13] Permission denied (the file is read-only): '...frozen.txt'
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    # root passes os.access for any file, so the bits are read too
    if not os.access(path, os.W_OK) or not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        reason = f"{os.strerror(errno.EACCES)} (the file is read-only)"
        raise PermissionError(errno.EACCES, reason, os.fspath(path))


def write_atomic(path: PathLike, content: str | bytes) -> None:
    """Replace ``path`` with ``content`` (text is written as UTF-8) in one step; a
    read-only ``path`` raises ``PermissionError`` (see :func:`check_writable`)."""
    target = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    check_writable(target)
    # mkstemp makes the file private (0600); the new file gets the old one's permissions,
    # or the usual 0644 for a new name
    mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        os.chmod(temporary, mode)
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
