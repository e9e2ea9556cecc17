"""Every file the advisor reads, read one way: bounded, and only if it is a file (or a pipe).

* `read_file` reads a regular file no further than its limit: one byte more than the limit
  tells that it is too large, so `/dev/zero` behind a link or a growing log cannot exhaust
  memory.
* A device (a terminal, `/dev/zero`, a disk), a socket or a folder is refused from its type,
  before it is opened, and again from the opened file's own type, so that nothing swapped in
  between is read either.
* A pipe is read, under the same bound, when a person named it: `advisor check <(generate)`,
  `--config /dev/fd/3`. `read_stream` reads standard input the same way.
* `regular_files` walks a folder taking regular files only: a FIFO named `a.yaml` or a link to
  a device inside a rules or proposals folder is passed over, so that a walk neither blocks
  nor reads without end. A file found by a walk is read with `pipes=False`: if it has become a
  pipe since, it is refused rather than waited on.

The limits are the callers': proposals, settings, rule files, roles and tokens (`MAX_BYTES`),
templates, calendars (16 MiB) and the pack cache each name theirs.
"""
from __future__ import annotations

import os
import stat
from typing import BinaryIO, List, Optional, Sequence, Union

from advisor.errors import InputError, Problem

MAX_BYTES = 1024 * 1024  # a proposal, settings, a rule file, roles: far smaller in practice
FIRST_READ = 16 * 1024  # bytes, when a stream does not say how many it holds
YAML_SUFFIXES = (".yaml", ".yml")  # proposals, rule files, case files

PathLike = Union[str, "os.PathLike[str]"]

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
_NO_WAIT = getattr(os, "O_NONBLOCK", 0)  # a FIFO opened by a walk must not wait for a writer


def read_file(path: PathLike, max_bytes: int = MAX_BYTES, name: Optional[str] = None, *,
              pipes: bool = True) -> bytes:
    """The bytes of a regular file (or, with `pipes`, of a pipe), no more than `max_bytes`.

    Raises InputError naming `name` (else the path) for a file that cannot be read, is not a
    file, or is over the limit.
    """
    name = str(path) if name is None else name
    try:
        _refuse_kind(os.stat(path).st_mode, name, pipes)  # a device is never even opened
        descriptor = os.open(path, _OPEN_FLAGS | (0 if pipes else _NO_WAIT))
        with open(descriptor, "rb") as stream:
            status = os.fstat(descriptor)
            _refuse_kind(status.st_mode, name, pipes)  # what was opened, whatever the path now names
            size = status.st_size if stat.S_ISREG(status.st_mode) else 0  # a pipe does not say
            return read_stream(stream, name, max_bytes, size or FIRST_READ)
    except OSError as error:
        raise InputError([Problem(name, f"cannot read the file: {error.strerror or error}")]) from None


def read_stream(stream: BinaryIO, file: str, max_bytes: int = MAX_BYTES, expected: int = FIRST_READ) -> bytes:
    """At most `max_bytes` from a binary stream (standard input, a pipe), or InputError.

    `expected` bytes (and one more, to see the end) are asked for first: asking for the whole
    limit at once allocates all of it, which cost a small proposal more than parsing it.
    """
    first = min(expected, max_bytes) + 1
    raw = stream.read(first)
    if len(raw) == first:  # buffered reads come back short only at the end
        raw += stream.read(max_bytes + 1 - len(raw))
    if len(raw) > max_bytes:
        raise too_large(file, max_bytes)
    return raw


def too_large(file: str, max_bytes: int) -> InputError:
    mebibytes = f" ({max_bytes / 1024 / 1024:g} MiB)" if max_bytes >= 1024 * 1024 else ""
    return InputError([Problem(file, f"file too large: over the limit of {max_bytes} bytes{mebibytes}")])


def _refuse_kind(mode: int, name: str, pipes: bool) -> None:
    if stat.S_ISREG(mode) or (pipes and stat.S_ISFIFO(mode)):
        return
    if stat.S_ISFIFO(mode):  # found by a walk, or become a pipe since
        raise InputError([Problem(name, "cannot read the file: it is a pipe, and only a file named on the "
                                        "command line may be a pipe")])
    raise InputError([Problem(name, f"cannot read the file: it is {_kind(mode)}, not a file")])


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def regular_files(folder: PathLike, suffixes: Sequence[str], *, recursive: bool = False,
                  hidden_files: bool = False, ignore_case: bool = False) -> List[str]:
    """The regular files in `folder` whose names end with one of `suffixes`, sorted by name;
    with `recursive`, then those of each subfolder in turn (hidden folders left out, links to
    folders not followed, as os.walk does). Links to regular files count as files; anything
    else (FIFOs, devices, sockets, broken links) is passed over.

    Raises OSError when `folder` itself cannot be listed.
    """
    endings = tuple(s.lower() for s in suffixes) if ignore_case else tuple(suffixes)
    found: List[str] = []
    subfolders: List[str] = []
    with os.scandir(folder) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            name = entry.name.lower() if ignore_case else entry.name
            try:
                if recursive and entry.is_dir(follow_symlinks=False):
                    if not entry.name.startswith("."):
                        subfolders.append(entry.path)
                elif (name.endswith(endings) and (hidden_files or not entry.name.startswith("."))
                      and entry.is_file()):  # follows a link: True for a regular file only
                    found.append(entry.path)
            except OSError:  # vanished while listed: as if it had not been there
                continue
    for subfolder in subfolders:
        try:
            found += regular_files(subfolder, suffixes, recursive=True, hidden_files=hidden_files,
                                   ignore_case=ignore_case)
        except OSError:  # a subfolder that cannot be listed holds nothing to read (os.walk's way)
            continue
    return found
