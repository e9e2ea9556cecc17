"""Where a command's report goes: standard output, or a file replaced atomically."""
from __future__ import annotations

import os
import signal
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

import click

from advisor.errors import ConfigError, Problem

# Signals that would end the run (Ctrl-C, kill) wait while a temporary file exists: the run
# then ends with the output written whole, or never begun, and no temporary file left.
_ENDING = (signal.SIGINT, signal.SIGTERM) + ((signal.SIGHUP,) if hasattr(signal, "SIGHUP") else ())


def emit(text: str, output: Optional[str], colored: bool = False) -> None:
    if output is None:
        click.echo(text, nl=False, color=colored)
        return
    write_atomically(Path(output), text)


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to what `path` names, never leaving it half-written.

    A symbolic link is written through: its target (resolved through every link) is replaced
    by a temporary file made beside it, so that the rename stays within one filesystem and the
    link stays a link. A target that is not a regular file (a FIFO, `/dev/null`, a terminal)
    is written straight to, never replaced. A file that cannot be written is a ConfigError
    (exit 2); the target is then left as it was.
    """
    target = Path(os.path.realpath(path))
    try:
        try:
            mode: Optional[int] = os.stat(target).st_mode
        except FileNotFoundError:
            mode = None  # a new file (or a dangling link's target)
        if mode is not None and not stat.S_ISREG(mode):
            if stat.S_ISDIR(mode):
                raise IsADirectoryError(21, "Is a directory")
            with open(target, "w", encoding="utf-8") as stream:  # a pipe or a device: what it is, it stays
                stream.write(text)
            return
        _replace(target, text, mode)
    except OSError as error:
        raise ConfigError([Problem(str(path), f"cannot write the output: {error.strerror or error}")]) from None


def _replace(target: Path, text: str, mode: Optional[int]) -> None:
    import tempfile

    with _signals_held():
        temporary: Optional[str] = None
        try:
            handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(temporary, _file_mode(mode))  # mkstemp's 0600 would otherwise replace the file's mode
            os.replace(temporary, target)
            temporary = None
        finally:
            if temporary is not None:
                os.unlink(temporary)


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold the signals that end a run until the block is done (where the platform allows)."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _ENDING)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _file_mode(mode: Optional[int]) -> int:
    """The mode of the file being replaced, else what a new file gets under the umask."""
    if mode is not None:
        return mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
