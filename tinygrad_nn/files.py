"""Writing files so that nothing already saved is lost: write beside, then rename into place.

A write that fails halfway (a full disk, an error while converting, the process killed)
leaves the old file as it was: the new content goes to a temporary file in the same
folder, is flushed to disk, and only then replaces the old name in one step
(``os.replace`` is atomic on POSIX and Windows).

Examples:
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "note.txt")
    >>> write_atomic(path, "hello")
    >>> open(path).read(), oct(os.stat(path).st_mode & 0o777)
    ('hello', '0o644')
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

PathLike = str | os.PathLike


def write_atomic(path: PathLike, content: str | bytes) -> None:
    """Replace ``path`` with ``content`` (text is written as UTF-8) in one step."""
    target = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
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
