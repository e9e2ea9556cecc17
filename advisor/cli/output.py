"""Where a command's report goes: standard output, or a file replaced atomically."""
from __future__ import annotations

import os
import signal
import stat
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import IO, Iterator, Optional, Type

import click

from advisor.errors import ConfigError, Problem

# Signals that would end the run (Ctrl-C, kill, a closed terminal) wait while a temporary file is
# being made or put in place: at any other moment they unwind the run (cli.main.entry), which
# removes the file it was writing.
_ENDING = (signal.SIGINT, signal.SIGTERM) + ((signal.SIGHUP,) if hasattr(signal, "SIGHUP") else ())


def emit(text: str, output: Optional[str], colored: bool = False) -> None:
    if output is None:
        click.echo(text, nl=False, color=colored)
        return
    write_atomically(Path(output), text)


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to what `path` names, never leaving it half-written (see `AtomicFile`)."""
    with AtomicFile(path) as output:
        output.write(text)


class AtomicFile:
    """A file written in pieces and put in place whole, or not at all.

    A symbolic link is written through: its target (resolved through every link) is replaced
    by a temporary file made beside it, so that the rename stays within one filesystem and the
    link stays a link. A target that is not a regular file (a FIFO, `/dev/null`, a terminal)
    is written straight to, never replaced. Nothing written, nothing replaced: the target is
    left as it was, as it is when the `with` block fails or the run is ended. A file that
    cannot be written is a ConfigError (exit 2).
    """

    def __init__(self, path: Path):
        self.path = path
        self.target = Path(os.path.realpath(path))
        self._stream: Optional[IO[str]] = None
        self._temporary: Optional[str] = None
        self._mode: Optional[int] = None

    def __enter__(self) -> "AtomicFile":
        return self

    def __exit__(self, kind: Optional[Type[BaseException]], error: Optional[BaseException],
                 traceback: Optional[TracebackType]) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()

    def write(self, text: str) -> None:
        with self._failing_as_config_error():
            if self._stream is None:
                self._open()
            assert self._stream is not None
            self._stream.write(text)

    def _open(self) -> None:
        try:
            self._mode = os.stat(self.target).st_mode
        except FileNotFoundError:
            self._mode = None  # a new file (or a dangling link's target)
        if self._mode is not None and not stat.S_ISREG(self._mode):
            if stat.S_ISDIR(self._mode):
                raise IsADirectoryError(21, "Is a directory")
            self._stream = open(self.target, "w", encoding="utf-8")  # a pipe or a device: what it is, it stays
            return
        import tempfile

        with _signals_held():  # the file and the record of its name come into being together
            handle, self._temporary = tempfile.mkstemp(prefix=f".{self.target.name}.", dir=self.target.parent)
        self._stream = os.fdopen(handle, "w", encoding="utf-8")

    def commit(self) -> None:
        """Put what was written in place (nothing written: leave the target as it was)."""
        stream = self._stream
        if stream is None:
            return
        with self._failing_as_config_error(), _signals_held():
            if self._temporary is None:
                stream.close()
                return
            try:
                stream.flush()
                os.fsync(stream.fileno())
                stream.close()
                os.chmod(self._temporary, _file_mode(self._mode))  # mkstemp's 0600 would replace the file's mode
                os.replace(self._temporary, self.target)
                self._temporary = None
            except BaseException:  # whatever stopped it, the temporary file goes
                self.discard()
                raise

    def discard(self) -> None:
        """Drop what was written; the target stays as it was."""
        with _signals_held():
            if self._stream is not None:
                self._stream.close()
            if self._temporary is not None:
                try:
                    os.unlink(self._temporary)
                except FileNotFoundError:
                    pass
                self._temporary = None

    @contextmanager
    def _failing_as_config_error(self) -> Iterator[None]:
        try:
            yield
        except OSError as error:
            self.discard()
            raise ConfigError([Problem(str(self.path), f"cannot write the output: {error.strerror or error}")]
                              ) from None


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
