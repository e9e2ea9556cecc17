"""Safe, bounded YAML loading that remembers where every value was written.

PyYAML's parser (the C one when available) produces events; this module builds plain
Python values from them itself so that it can

* refuse every tag that constructs objects (`!!python/...` and friends), executing nothing;
* bound depth, node count and alias expansion while reading, so an alias bomb is refused
  after a few thousand steps in constant memory;
* refuse duplicate keys, which PyYAML silently overwrites;
* record the line and column of each value, so that errors point at it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from .errors import InputError, Problem

try:  # the C parser is many times faster; fall back to the pure-Python one.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

Path = Tuple[Any, ...]
Position = Tuple[int, int]  # 1-based line and column

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 32
MAX_NODES = 20_000
MAX_ALIASES = 200

_SCALAR_TAGS = {
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:timestamp",
}
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_KEY = "<<"

_resolver = Resolver()
_constructor = SafeConstructor()


@dataclass
class Document:
    """A loaded YAML document: its value and where each part of it was written."""

    data: Any
    file: str
    positions: Dict[Path, Position] = field(default_factory=dict)
    key_positions: Dict[Path, Position] = field(default_factory=dict)

    def where(self, path: Path, key: bool = False) -> Optional[Position]:
        """The position of the value at `path` (or of its key), else of its nearest parent."""
        table = self.key_positions if key else self.positions
        if key and path not in table:
            table = self.positions
        while path:
            if path in table:
                return table[path]
            path = path[:-1]
        return self.positions.get(())

    def problem(self, path: Path, message: str, key: bool = False) -> Problem:
        line_col = self.where(path, key)
        line, col = line_col if line_col else (None, None)
        return Problem(self.file, message, line, col, format_path(path))


def format_path(path: Path) -> str:
    """('audience', 1, 'count') -> 'audience[1].count'."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _short(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


def _position(mark: Any) -> Position:
    return (mark.line + 1, mark.column + 1)


class _Container:
    """A mapping or sequence being built, with what is needed to finish it."""

    __slots__ = ("value", "path", "pending_key", "key_mark", "size", "anchor")

    def __init__(self, value: Any, path: Path, anchor: Optional[str]):
        self.value = value
        self.path = path
        self.pending_key: Any = _NO_KEY
        self.key_mark: Optional[Position] = None
        self.size = 1
        self.anchor = anchor


_NO_KEY = object()


class _Builder:
    def __init__(self, file: str, max_depth: int, max_nodes: int, max_aliases: int):
        self.doc = Document(None, file)
        self.max_depth = max_depth
        self.max_nodes = max_nodes
        self.max_aliases = max_aliases
        self.stack: List[_Container] = []
        self.anchors: Dict[str, Tuple[Any, int]] = {}
        self.nodes = 0
        self.aliases = 0
        self.open_marks: List[Any] = []
        self.done = False

    def fail(self, message: str, mark: Any, path: Optional[Path] = None) -> InputError:
        line, col = _position(mark) if mark is not None else (None, None)
        where = format_path(path if path is not None else self._child_path())
        return InputError([Problem(self.doc.file, message, line, col, where)])

    def _child_path(self) -> Path:
        if not self.stack:
            return ()
        top = self.stack[-1]
        if isinstance(top.value, list):
            return top.path + (len(top.value),)
        if top.pending_key is _NO_KEY:
            return top.path
        return top.path + (top.pending_key,)

    def _count(self, nodes: int, mark: Any) -> None:
        self.nodes += nodes
        if self.nodes > self.max_nodes:
            raise self.fail(
                f"too many values: more than {self.max_nodes} (aliases included); "
                "a meeting proposal is far smaller",
                mark,
                (),
            )

    def _scalar(self, event: Any) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            tag = _resolver.resolve(ScalarNode, event.value, event.implicit) if tag is None else (
                "tag:yaml.org,2002:str"
            )
        if tag not in _SCALAR_TAGS:
            raise self.fail(f"the YAML tag '{_short(event.tag)}' is not allowed: only plain data is read", event.start_mark)
        node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            return SafeConstructor.yaml_constructors[tag](_constructor, node)
        except (ConstructorError, ValueError) as error:
            raise self.fail(f"cannot read the value {event.value!r} as {tag.rsplit(':', 1)[-1]}: {error}",
                            event.start_mark)

    def _add(self, value: Any, size: int, mark: Any, start_mark: Any) -> None:
        """Place a finished value (scalar, alias or closed container) into its parent."""
        if not self.stack:
            self.doc.data = value
            self.doc.positions[()] = _position(start_mark)
            self.done = True
            return
        top = self.stack[-1]
        top.size += size
        if isinstance(top.value, list):
            path = top.path + (len(top.value),)
            top.value.append(value)
            self.doc.positions[path] = _position(start_mark)
            return
        if top.pending_key is _NO_KEY:
            if isinstance(value, (dict, list)):
                raise self.fail("a key must be a plain word, not a mapping or a list", start_mark, top.path)
            if value in top.value:
                first = self.doc.key_positions.get(top.path + (value,))
                where = f" (first at line {first[0]})" if first else ""
                raise self.fail(f"duplicate key '{value}'{where}", start_mark, top.path + (value,))
            top.pending_key = value
            top.key_mark = _position(start_mark)
            return
        key = top.pending_key
        path = top.path + (key,)
        top.value[key] = value
        self.doc.positions[path] = _position(start_mark)
        self.doc.key_positions[path] = top.key_mark  # type: ignore[assignment]
        top.pending_key = _NO_KEY

    def _open(self, value: Any, event: Any, expected_tag: str) -> None:
        if event.tag not in (None, "!", expected_tag):
            raise self.fail(f"the YAML tag '{_short(event.tag)}' is not allowed: only plain data is read", event.start_mark)
        if len(self.stack) >= self.max_depth:
            raise self.fail(f"nested more than {self.max_depth} levels deep", event.start_mark, ())
        self._count(1, event.start_mark)
        container = _Container(value, self._child_path(), event.anchor)
        self.stack.append(container)
        self.doc.positions.setdefault(container.path, _position(event.start_mark))
        self.open_marks.append(event.start_mark)

    def _close(self, event: Any) -> None:
        container = self.stack.pop()
        start_mark = self.open_marks.pop()
        value = container.value
        if isinstance(value, dict) and _MERGE_KEY in value:
            value = self._merge(value, start_mark, container.path)
            container.value = value
        if container.anchor is not None:
            self.anchors[container.anchor] = (value, container.size)
        self._add(value, container.size, event.end_mark, start_mark)

    def _merge(self, mapping: Dict[Any, Any], mark: Any, path: Path) -> Dict[Any, Any]:
        merged = mapping.pop(_MERGE_KEY)
        sources = merged if isinstance(merged, list) else [merged]
        result: Dict[Any, Any] = {}
        for source in sources:
            if not isinstance(source, dict):
                raise self.fail("'<<' merges mappings only", mark, path + (_MERGE_KEY,))
            for key, value in source.items():
                result.setdefault(key, value)
        result.update(mapping)
        return result

    def feed(self, event: Any) -> None:
        if isinstance(event, yaml.ScalarEvent):
            self._count(1, event.start_mark)
            value = self._scalar(event)
            if event.anchor is not None:
                self.anchors[event.anchor] = (value, 1)
            self._add(value, 1, event.end_mark, event.start_mark)
        elif isinstance(event, yaml.MappingStartEvent):
            self._open({}, event, _MAP_TAG)
        elif isinstance(event, yaml.SequenceStartEvent):
            self._open([], event, _SEQ_TAG)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            self._close(event)
        elif isinstance(event, yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > self.max_aliases:
                raise self.fail(f"more than {self.max_aliases} alias references (*name)", event.start_mark)
            if event.anchor not in self.anchors:
                raise self.fail(f"unknown alias '*{event.anchor}'", event.start_mark)
            value, size = self.anchors[event.anchor]
            self._count(size, event.start_mark)
            self._add(value, size, event.end_mark, event.start_mark)


def decode(raw: bytes, file: str) -> str:
    """UTF-8 text (a BOM allowed), or an error naming the first bad byte's line and column."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        before = raw[: error.start]
        line = before.count(b"\n") + 1
        column = error.start - (before.rfind(b"\n") + 1) + 1
        raise InputError([Problem(
            file, f"not UTF-8 text: byte 0x{raw[error.start]:02x} cannot be decoded", line, column
        )]) from None


def load_yaml(
    source: "bytes | str",
    file: str,
    *,
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
    max_nodes: int = MAX_NODES,
    max_aliases: int = MAX_ALIASES,
) -> Document:
    """Read exactly one YAML document safely, or raise InputError with a one-line problem."""
    size = len(source.encode("utf-8") if isinstance(source, str) else source)
    if size > max_bytes:
        raise InputError([Problem(file, f"file too large: {size} bytes, the limit is {max_bytes}")])
    text = decode(source, file) if isinstance(source, bytes) else source
    if not text.strip() or all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()):
        raise InputError([Problem(file, "the file is empty: expected a YAML mapping")])
    builder = _Builder(file, max_depth, max_nodes, max_aliases)
    documents = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise builder.fail("more than one YAML document ('---'): a file holds one", event.start_mark, ())
            else:
                builder.feed(event)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, col = _position(mark) if mark is not None else (None, None)
        problem = error.problem or error.context or "unreadable YAML"
        if error.problem and error.context and error.context_mark is not None:
            context_line, context_col = _position(error.context_mark)
            problem += f" ({error.context} at line {context_line}, column {context_col})"
        raise InputError([Problem(file, f"YAML syntax error: {problem}", line, col)]) from None
    except yaml.YAMLError as error:
        raise InputError([Problem(file, f"YAML error: {error}")]) from None
    if not builder.done or builder.doc.data is None:
        raise InputError([Problem(file, "the file is empty: expected a YAML mapping")])
    return builder.doc
