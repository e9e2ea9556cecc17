"""Compiled rule packs, kept in the user's cache directory between runs.

Loading a pack (reading its YAML with positions, checking every rule, compiling conditions,
parsing each snippet with Jinja) takes about 70 ms; checking one proposal takes a few. So
what `advisor.packs.loader.load_packs` returns is stored, with each snippet already translated to Python
(`advisor.packs.snippets`), and the next run starts from it without reading rule YAML or
importing Jinja. A cached pack is used only if everything it depends on is as it was: the
rule files' names and bytes, the folders' paths, the advisor source files (their names, sizes
and times), advisor's and Python's versions. All of that is stored with it and compared byte
for byte; its checksum only names the file. The cache is only a shortcut: when it is missing,
stale, unreadable, unwritable or not private to the user, the pack is loaded as without it.

    ADVISOR_CACHE_DIR=/some/dir   # where to keep it (default: the platform's user cache dir)
    ADVISOR_CACHE_DIR=            # (empty) never cache
"""
from __future__ import annotations

import marshal
import os
import sys
import zlib
from pathlib import Path
from types import CodeType
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from advisor.core.rules import Rule, RulePack
from advisor.errors import InputError
from advisor.inputs.files import YAML_SUFFIXES, read_file, regular_files
from advisor.packs.snippets import compile_renderers, python_expressions, register
from advisor.version import __version__

FORMAT = 3  # of a cache file; bump when its layout changes
MAX_FILES = 64  # compiled packs kept; the oldest go first
MAX_CACHE_BYTES = 64 * 1024 * 1024  # one compiled pack: the default one takes 0.1 MiB
_PACKAGE = Path(__file__).resolve().parent.parent  # advisor/
# The code a compiled pack depends on: these subpackages and the modules at the package's root.
# The import contracts (setup.cfg) keep advisor.packs from importing anything else.
_PACK_CODE = ("core", "inputs", "engine", "packs")


def load_packs_cached(folders: Sequence[Union[str, "os.PathLike[str]"]]) -> RulePack:
    """What `advisor.packs.loader.load_packs(folders)` returns, from the cache when it holds it."""
    directory = cache_dir()
    if directory is not None:
        sources = pack_sources(folders)
        name = _file_name(sources)
        pack = _read(directory / name, sources)
        if pack is not None:
            return pack
    pack = load_packs(folders)
    renderers = compile_renderers(python_expressions(_snippets(pack)))
    register(renderers)
    if directory is not None:
        _write(directory, name, pack, renderers, sources)
    return pack


def cache_dir() -> Optional[Path]:
    """Where compiled packs are kept, or None when caching is off."""
    configured = os.environ.get("ADVISOR_CACHE_DIR")
    if configured is not None:
        return Path(configured) / "packs" if configured else None
    # The platform's user cache directory, as platformdirs finds it (which costs 7 ms to import).
    try:
        if sys.platform == "win32":
            root = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "advisor" / "Cache"
        elif sys.platform == "darwin":
            root = Path.home() / "Library" / "Caches" / "advisor"
        else:
            root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "advisor"
    except RuntimeError:  # no home folder to be found: no cache
        return None
    return root / "packs"


def pack_sources(folders: Sequence[Union[str, "os.PathLike[str]"]]) -> bytes:
    """Everything a compiled pack depends on, as bytes: equal bytes, the same pack."""
    parts = [f"{FORMAT} {__version__} {sys.version} {sys.implementation.cache_tag}".encode()]
    parts += [f"{name} {stat.st_size} {stat.st_mtime_ns}".encode() for name, stat in _modules()]
    for folder in folders:
        path = os.path.realpath(folder)
        parts.append(f"folder {path}".encode())
        for file in _rule_files(path):
            try:
                content = read_file(file, pipes=False)  # no further than the loader would read
            except InputError as error:  # the loader says so if it reads it; here it only marks the change
                content = str(error).encode("utf-8", errors="replace")
            parts.append(f"{os.path.relpath(file, path)} {len(content)}".encode())
            parts.append(content)
    return b"\0".join(parts)


def _modules() -> List[Tuple[str, os.stat_result]]:
    """The source files of the code that reads and compiles rules, with their size and time:
    path relative to the package, and stat, in a stable order."""
    found = []
    for folder in ("", *_PACK_CODE):
        with os.scandir(_PACKAGE / folder) as entries:
            found += [(os.path.join(folder, entry.name), entry.stat())
                      for entry in entries if entry.name.endswith(".py")]
    return sorted(found)


def load_packs(folders: Sequence[Union[str, "os.PathLike[str]"]]) -> RulePack:
    """`advisor.packs.loader.load_packs`, imported only when the cache cannot serve: the loader,
    the condition language and Jinja's checks cost a start-up that the cache spares."""
    from advisor.packs.loader import load_packs as load

    return load(folders)


def _file_name(sources: bytes) -> str:
    # A checksum, not a cryptographic digest: the sources stored in the file decide, and
    # hashlib would load OpenSSL, a tenth of a one-proposal run.
    return f"{zlib.crc32(sources):08x}-{zlib.adler32(sources):08x}.marshal"


def _rule_files(path: str) -> List[str]:
    """Every YAML file a pack may read (regular files only, as the loader takes): more than
    `load_pack` reads today is only safer."""
    if not os.path.isdir(path):
        return [path]
    try:
        return regular_files(path, YAML_SUFFIXES, recursive=True, hidden_files=True)
    except OSError:  # the loader reports a folder it cannot list
        return []


def _snippets(pack: RulePack) -> List[str]:
    return [text for rule in pack.rules for text in (rule.because, rule.trade_off, rule.suggestion) if text]


def _private(directory: Path) -> bool:
    """Only the user may write there: cached snippets become code."""
    if not hasattr(os, "getuid"):
        return True
    stat = directory.stat()
    return stat.st_uid == os.getuid() and not stat.st_mode & 0o022


def _read(path: Path, sources: bytes) -> Optional[RulePack]:
    try:
        if not _private(path.parent):
            return None
        record = marshal.loads(read_file(path, MAX_CACHE_BYTES, pipes=False))
        if not (isinstance(record, dict) and record.get("format") == FORMAT and record.get("sources") == sources
                and isinstance(record.get("digest"), str)):
            return None
        rules = tuple(Rule(**values) for values in record["rules"])
        pack = RulePack(rules=rules, **record["pack"])
        vars(pack)["digest"] = record["digest"]  # as computed when the pack was stored (a cached_property)
        register(record["renderers"])
        return pack
    except (InputError, OSError, ValueError, EOFError, TypeError, KeyError, SyntaxError):
        return None  # absent, too large, damaged, or written by other code: load the pack instead


def _write(directory: Path, name: str, pack: RulePack, renderers: CodeType, sources: bytes) -> None:
    record: Dict[str, Any] = {
        "format": FORMAT,
        "sources": sources,
        "digest": pack.digest,
        "pack": {"name": pack.name},
        "rules": [rule._asdict() for rule in pack.rules],
        "renderers": renderers,
    }
    try:
        data = marshal.dumps(record)
    except ValueError:  # a value marshal cannot store: this pack is simply not cached
        return
    import tempfile

    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not _private(directory):
            return
        handle, temporary = tempfile.mkstemp(prefix=f".{name}.", dir=directory)
    except OSError:
        return  # a read-only or full disk: run without the cache
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, directory / name)
        _prune(directory)
    except OSError:
        Path(temporary).unlink(missing_ok=True)


def _prune(directory: Path) -> None:
    files = sorted(directory.glob("*.marshal"), key=lambda p: p.stat().st_mtime)
    for old in files[:-MAX_FILES]:
        old.unlink()
