"""Where a command's report goes: standard output, or a file replaced atomically."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import click

from advisor.errors import ConfigError, Problem


def emit(text: str, output: Optional[str], colored: bool = False) -> None:
    if output is None:
        click.echo(text, nl=False, color=colored)
        return
    write_atomically(Path(output), text)


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file and a rename: never a half-written file.

    A file that cannot be written is a ConfigError (exit 2); `path` is then left as it was.
    """
    import tempfile

    temporary: Optional[str] = None
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.resolve().parent)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, _file_mode(path))  # mkstemp's 0600 would otherwise replace the file's mode
        os.replace(temporary, path)
        temporary = None
    except OSError as error:
        raise ConfigError([Problem(str(path), f"cannot write the output: {error.strerror or error}")]) from None
    finally:
        if temporary is not None:
            os.unlink(temporary)


def _file_mode(path: Path) -> int:
    """The mode of the file being replaced, else what a new file gets under the umask."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


