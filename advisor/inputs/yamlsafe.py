"""Safe, bounded YAML loading that remembers where every value was written.

PyYAML's parser (the C one when available) produces events; this module builds plain
Python values from them itself so that it can

* refuse every tag that constructs objects (`!!python/...` and friends), executing nothing;
* bound depth, node count and alias expansion while reading, so an alias bomb is refused
  after a few thousand steps in constant memory;
* refuse duplicate keys, which PyYAML silently overwrites;
* record the line and column of each value, so that errors point at it.

Two readings share these rules. Plain data (no anchor, alias, tag or merge key; no mistake) is
read by a quick loop that records no position (`_read_plain`): faster than PyYAML's own C
loader. Anything else is read by the careful one (`_Builder`), which also runs, on the same
text, the first time a position is asked for: only a problem needs one.

Scalars follow YAML 1.1 as PyYAML reads them, with these changes towards YAML 1.2 (and JSON):

* numbers are written in decimal: `1e3` is a number, and the forms only YAML 1.1 reads as
  numbers (base 60 `1:30`, octal `017`, hexadecimal `0x1f`, binary `0b1`, digits grouped with
  `_`) stay text, so a number field says it expected a number instead of taking 90 for `1:30`,
  and a 900 KB `1:59:59:...` costs nothing to read;
* an integer of more than MAX_DIGITS digits is refused before it is converted (converting one
  takes time quadratic in its length, and no field of ours needs one);
* dates stay text (no field of ours is a date, and a date object would only make a confusing
  error).

Files are read by `advisor.inputs.files` (bounded, files and pipes only); `read_file` and
`read_stream` are also found here.

JSON is YAML, with one exception handled here: JSON writes characters beyond the Basic
Multilingual Plane (emoji) as surrogate pairs, `"\\ud83d\\ude00"`, which YAML refuses.
"""
from __future__ import annotations

import bisect
import json
import re
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Tuple

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from advisor.errors import InputError, Problem, describe
from advisor.inputs.files import MAX_BYTES, read_file, read_stream, too_large

__all__ = ["Document", "MAX_BYTES", "decode", "format_path", "load_yaml", "read_file", "read_stream"]

try:  # the C parser is many times faster; fall back to the pure-Python one.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

Path = Tuple[Any, ...]
Position = Tuple[int, int]  # 1-based line and column

MAX_DEPTH = 32
MAX_NODES = 20_000
MAX_ALIASES = 200

_STR_TAG = "tag:yaml.org,2002:str"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_SCALAR_TAGS = {
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    _FLOAT_TAG,
    _STR_TAG,
}
# Implicit types read as text: dates, and '=' (YAML 1.1's "value" key, which no loader constructs).
_AS_TEXT = {"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:value"}
_INT_TAG = "tag:yaml.org,2002:int"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_EXPONENT_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$")
_DECIMAL_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$")
_DECIMAL_FLOAT = re.compile(r"^[-+]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|\.(?:inf|Inf|INF))$"
                            r"|^\.(?:nan|NaN|NAN)$")
MAX_DIGITS = 20  # an integer's digits: a 64-bit integer has at most 20
# Compiled on first use through re's own cache: few files hold an escaped surrogate.
_SURROGATE_PAIR = r"(?i)(?<!\\)((?:\\\\)*)\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})"
_SURROGATE_ESCAPE = r"(?i)(?<!\\)((?:\\\\)*)\\(?:u(d[89a-f][0-9a-f]{2})|U0000(d[89a-f][0-9a-f]{2}))"

_resolver = Resolver()
_resolve: Callable[[Any, str, Tuple[bool, bool]], str] = _resolver.resolve  # the tag YAML 1.1 gives a plain scalar
_constructor = SafeConstructor()


class Document:
    """A loaded YAML document: its value and where each part of it was written.

    Positions are only needed to report a problem, so `load_yaml` leaves them to be found by
    reading the text a second time, the first time they are asked for.
    """

    __slots__ = ("data", "file", "_positions", "_key_positions", "_locate")

    def __init__(self, data: Any, file: str, positions: Optional[Dict[Path, Position]] = None,
                 key_positions: Optional[Dict[Path, Position]] = None,
                 locate: Optional[Callable[[], Tuple[Dict[Path, Position], Dict[Path, Position]]]] = None):
        self.data = data
        self.file = file
        self._positions = positions
        self._key_positions = key_positions if key_positions is not None or positions is None else {}
        self._locate = locate

    @property
    def positions(self) -> Dict[Path, Position]:
        """Path of each value -> its (line, column)."""
        self._find_positions()
        return self._positions  # type: ignore[return-value]

    @property
    def key_positions(self) -> Dict[Path, Position]:
        """Path of each mapping value -> the (line, column) of its key."""
        self._find_positions()
        return self._key_positions  # type: ignore[return-value]

    def _find_positions(self) -> None:
        if self._positions is None:  # the two tables are given, or found, together
            self._positions, self._key_positions = self._locate() if self._locate is not None else ({}, {})
            self._locate = None

    def with_data(self, data: Any) -> "Document":
        """The same document holding other (equivalent) data at the same places."""
        return Document(data, self.file, self._positions, self._key_positions, self._locate)

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


_MERGE = type("MergeKey", (), {"__str__": lambda self: "<<"})()  # the `<<` key, once resolved


class _Columns:
    """Maps positions in the text the parser read back to the text as written.

    Only needed after a JSON surrogate pair was replaced by its character: that shortens
    its line by 11 characters, so later columns on the line move.
    """

    def __init__(self) -> None:
        self.shifts: Dict[int, List[Tuple[int, int]]] = {}  # 0-based line -> (column after, shift)

    def add(self, line: int, column: int, shift: int) -> None:
        self.shifts.setdefault(line, []).append((column, shift))

    def position(self, mark: Any) -> Position:
        shift = sum(by for after, by in self.shifts.get(mark.line, ()) if mark.column >= after)
        return (mark.line + 1, mark.column + shift + 1)


_NO_SHIFT = _Columns()


class _Container:
    """A mapping or sequence being built, with what is needed to finish it."""

    __slots__ = ("value", "path", "pending_key", "key_mark", "merge_mark", "size", "anchor", "start_mark")

    def __init__(self, value: Any, path: Path, anchor: Optional[str], start_mark: Any):
        self.value = value
        self.path = path
        self.pending_key: Any = _NO_KEY
        self.key_mark: Any = None
        self.merge_mark: Any = None  # where the value of `<<` was written
        self.size = 1
        self.anchor = anchor
        self.start_mark = start_mark


_NO_KEY = object()
_MISSING = object()
# Plain scalars repeat (keys, roles, true, small numbers): each short one is resolved once per
# process. Their values are immutable, so sharing them is safe.
_PLAIN_VALUES: Dict[str, Any] = {}
_PLAIN_CACHE_SIZE = 4096
_PLAIN_CACHE_LENGTH = 40


class NumberTooLong(ValueError):
    """An integer written with more digits than any field takes: refused, never converted."""

    def __init__(self, text: str):
        digits = sum(character.isdigit() for character in text)
        super().__init__(f"number too long: {digits:,} digits, at most {MAX_DIGITS} are read")


def _plain_value(text: str) -> Any:
    """The value of a plain scalar (neither quoted nor tagged), or _MERGE for `<<`.

    Raises NumberTooLong, or what PyYAML's constructors raise for text their type refuses.
    """
    value = _PLAIN_VALUES.get(text, _MISSING)
    if value is not _MISSING:
        return value
    tag = _resolve(ScalarNode, text, (True, False))
    if tag == _MERGE_TAG:
        return _MERGE
    if tag in _AS_TEXT:
        value = text
    elif tag in (_STR_TAG, _FLOAT_TAG) and _EXPONENT_FLOAT.match(text):
        value = float(text)  # YAML 1.2 and JSON: 1e3 is a number
    elif tag in (_INT_TAG, _FLOAT_TAG):
        value = _number(text, tag, text)  # a YAML 1.1-only form: the text itself
    else:
        value = SafeConstructor.yaml_constructors[tag](_constructor, ScalarNode(tag, text))
    if len(text) <= _PLAIN_CACHE_LENGTH and len(_PLAIN_VALUES) < _PLAIN_CACHE_SIZE:
        _PLAIN_VALUES[text] = value
    return value


def _number(text: str, tag: str, otherwise: Any) -> Any:
    """A decimal integer or float written as `text`, else `otherwise` (a form only YAML 1.1
    reads as a number); NumberTooLong for an integer too long to convert."""
    if tag == _INT_TAG:
        if not _DECIMAL_INT.match(text):
            return otherwise
        if len(text.lstrip("+-")) > MAX_DIGITS:
            raise NumberTooLong(text)
        return int(text)
    if not _DECIMAL_FLOAT.match(text):
        return otherwise
    return SafeConstructor.yaml_constructors[_FLOAT_TAG](_constructor, ScalarNode(_FLOAT_TAG, text))


class _NotPlain(Exception):
    """The text needs the careful reading: an anchor, alias, tag, merge key, odd or repeated key,
    a limit reached, a syntax error, or a document that is not a mapping or a list."""


def _read_plain(text: str, max_depth: int, max_nodes: int) -> Any:
    """The values of a document of plain data, quickly: no positions, and _NotPlain at the first
    thing that only `_Builder` handles (it then reads the text again, and reports any problem)."""
    loader = _Loader(text)
    get_event = loader.get_event
    containers: List[Any] = []
    keys: List[Any] = []  # each open mapping's key waiting for its value (_NO_KEY: none yet)
    root: Any = _MISSING
    nodes = documents = 0
    try:
        while True:
            event: Any = get_event()
            kind = event.__class__
            if kind is yaml.ScalarEvent:
                if event.anchor is not None or event.tag is not None:
                    raise _NotPlain()
                value = _plain_value(event.value) if event.implicit[0] else event.value
                if value is _MERGE:
                    raise _NotPlain()
                nodes += 1
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                if event.anchor is not None or event.tag not in (None, "!") or len(containers) >= max_depth:
                    raise _NotPlain()
                containers.append({} if kind is yaml.MappingStartEvent else [])
                keys.append(_NO_KEY)
                nodes += 1
                continue
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                value = containers.pop()
                keys.pop()
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise _NotPlain()
                continue
            elif kind is yaml.StreamEndEvent:
                if not isinstance(root, (dict, list)):
                    raise _NotPlain()  # empty, or a lone scalar: said by the careful reading
                return root
            elif kind is yaml.StreamStartEvent or kind is yaml.DocumentEndEvent:
                continue
            else:  # an alias
                raise _NotPlain()
            if nodes > max_nodes:
                raise _NotPlain()
            if not containers:
                root = value
            elif containers[-1].__class__ is list:
                containers[-1].append(value)
            elif keys[-1] is _NO_KEY:
                if value.__class__ is not str or value in containers[-1]:
                    raise _NotPlain()
                keys[-1] = value
            else:
                containers[-1][keys[-1]] = value
                keys[-1] = _NO_KEY
    except (yaml.YAMLError, ConstructorError, ValueError, OverflowError, RecursionError):
        raise _NotPlain() from None  # RecursionError: the pure-Python parser, on absurd nesting
    finally:
        loader.dispose()


class _Builder:
    """Plain values from the parser's events, within the limits, and where each was written:
    the careful reading, of any document (anchors, merges, tags refused, every mistake)."""

    def __init__(self, file: str, max_depth: int, max_nodes: int, max_aliases: int,
                 columns: _Columns = _NO_SHIFT):
        self.file = file
        self.data: Any = None
        self.positions: Dict[Path, Position] = {}
        self.key_positions: Dict[Path, Position] = {}
        self.max_depth = max_depth
        self.max_nodes = max_nodes
        self.max_aliases = max_aliases
        self.columns = columns
        self.stack: List[_Container] = []
        self.anchors: Dict[str, Tuple[Any, int]] = {}
        self.nodes = 0
        self.aliases = 0
        self.done = False
        self.empty = False  # the document is an empty plain scalar: nothing was written
        self.feed = self._dispatch().__getitem__  # event class -> its handler

    def _dispatch(self) -> Dict[type, Callable[[Any], None]]:
        table: Dict[type, Callable[[Any], None]] = dict.fromkeys(
            (yaml.StreamStartEvent, yaml.StreamEndEvent, yaml.DocumentStartEvent, yaml.DocumentEndEvent),
            lambda event: None)
        table.update({yaml.ScalarEvent: self._scalar_event, yaml.MappingStartEvent: self._open_mapping,
                      yaml.SequenceStartEvent: self._open_sequence, yaml.MappingEndEvent: self._close,
                      yaml.SequenceEndEvent: self._close, yaml.AliasEvent: self._alias})
        return table

    def position(self, mark: Any) -> Position:
        return self.columns.position(mark)

    def fail(self, message: str, mark: Any, path: Optional[Path] = None) -> InputError:
        position = self.position(mark) if mark is not None else None
        line, col = position if position else (None, None)
        where = format_path(path if path is not None else self._child_path())
        return InputError([Problem(self.file, message, line, col, where)])

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
                f"too many values: more than {self.max_nodes} (aliases expanded); "
                "a meeting proposal is far smaller",
                mark,
                (),
            )

    def _refuse_tag(self, tag: str, mark: Any) -> InputError:
        return self.fail(f"the YAML tag '{_short(tag)}' is not allowed: only plain data is read", mark)

    def _scalar_event(self, event: Any) -> None:
        self._count(1, event.start_mark)
        value = self._scalar(event)
        if event.anchor is not None:
            self.anchors[event.anchor] = (value, 1)
        if not self.stack and value is None and event.value == "" and event.implicit[0]:
            self.empty = True
        self._place(value, 1, event.start_mark)

    def _scalar(self, event: Any) -> Any:
        tag = event.tag
        if tag is None and event.implicit[0]:  # plain
            try:
                return _plain_value(event.value)  # _MERGE for `<<`: a key only where one is expected
            except NumberTooLong as error:
                raise self.fail(str(error), event.start_mark) from None
            except (ConstructorError, ValueError, OverflowError) as error:
                kind = _resolve(ScalarNode, event.value, (True, False)).rsplit(":", 1)[-1]
                raise self.fail(f"cannot read the value {describe(event.value)} as {kind}: {error}",
                                event.start_mark) from None
        if tag is None or tag == "!":  # quoted, or the non-specific tag: text
            return event.value
        if tag not in _SCALAR_TAGS:
            raise self._refuse_tag(tag, event.start_mark)
        if tag == _FLOAT_TAG and _EXPONENT_FLOAT.match(event.value):
            return float(event.value)
        node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            if tag in (_INT_TAG, _FLOAT_TAG):  # written as a number, in decimal, or refused
                value = _number(event.value, tag, _MISSING)
                if value is _MISSING:
                    raise ValueError("expected a number in decimal digits")
                return value
            return SafeConstructor.yaml_constructors[tag](_constructor, node)
        except NumberTooLong as error:
            raise self.fail(str(error), event.start_mark) from None
        except (ConstructorError, ValueError, OverflowError) as error:
            raise self.fail(f"cannot read the value {describe(event.value)} as {tag.rsplit(':', 1)[-1]}: {error}",
                            event.start_mark) from None

    def _place(self, value: Any, size: int, mark: Any) -> None:
        """Place a finished value (scalar, alias or closed container) into its parent."""
        stack = self.stack
        if not stack:
            self.data = "<<" if value is _MERGE else value
            self.positions[()] = self.position(mark)
            self.done = True
            return
        top = stack[-1]
        top.size += size
        container = top.value
        if container.__class__ is list:
            if value is _MERGE:
                value = "<<"
            self.positions[top.path + (len(container),)] = self.position(mark)
            container.append(value)
            return
        if top.pending_key is _NO_KEY:
            if value.__class__ is not str:
                self._check_key(value, top, mark)
            elif value in container:
                self._duplicate(value, top, mark)
            top.pending_key = value
            top.key_mark = mark
            return
        key = top.pending_key
        if value is _MERGE:
            value = "<<"
        elif key is _MERGE:
            top.merge_mark = mark
        container[key] = value
        top.pending_key = _NO_KEY
        path = top.path + (key,)
        self.positions[path] = self.position(mark)
        self.key_positions[path] = self.position(top.key_mark)

    def _check_key(self, key: Any, top: _Container, mark: Any) -> None:
        if isinstance(key, (dict, list)):
            raise self.fail("a key must be a plain word, not a mapping or a list", mark, top.path)
        if key is not _MERGE and not isinstance(key, str):  # every key of our formats is a name
            raise self.fail(f"a key must be text, found {describe(key)} (write it in quotes)", mark, top.path)
        if key in top.value:
            self._duplicate(key, top, mark)

    def _duplicate(self, key: Any, top: _Container, mark: Any) -> None:
        first = self.key_positions.get(top.path + (key,))
        where = f" (first at line {first[0]})" if first else ""
        raise self.fail(f"duplicate key '{key}'{where}", mark, top.path + ("<<" if key is _MERGE else key,))

    def _open_mapping(self, event: Any) -> None:
        self._open({}, event, _MAP_TAG)

    def _open_sequence(self, event: Any) -> None:
        self._open([], event, _SEQ_TAG)

    def _open(self, value: Any, event: Any, expected_tag: str) -> None:
        if event.tag not in (None, "!", expected_tag):
            raise self._refuse_tag(event.tag, event.start_mark)
        if len(self.stack) >= self.max_depth:
            raise self.fail(f"nested more than {self.max_depth} levels deep; a meeting proposal is far flatter",
                            event.start_mark, ())
        self._count(1, event.start_mark)
        container = _Container(value, self._child_path(), event.anchor, event.start_mark)
        self.stack.append(container)
        self.positions.setdefault(container.path, self.position(event.start_mark))

    def _close(self, event: Any) -> None:
        container = self.stack.pop()
        value = container.value
        if isinstance(value, dict) and _MERGE in value:
            value = self._merge(value, container)
            container.value = value
        if container.anchor is not None:
            self.anchors[container.anchor] = (value, container.size)
        self._place(value, container.size, container.start_mark)

    def _merge(self, mapping: Dict[Any, Any], container: _Container) -> Dict[Any, Any]:
        """`<<: *base` (or a list of them): the keys of the merged mappings, the mapping's own first."""
        path = container.path
        merged = mapping.pop(_MERGE)
        self.positions.pop(path + (_MERGE,), None)
        self.key_positions.pop(path + (_MERGE,), None)
        sources = merged if isinstance(merged, list) else [merged]
        result: Dict[Any, Any] = {}
        for source in sources:
            if not isinstance(source, dict):
                raise self.fail("'<<' merges mappings only (such as '<<: *base')", container.merge_mark,
                                path + ("<<",))
            for key, value in source.items():
                result.setdefault(key, value)
        result.update(mapping)
        return result

    def _alias(self, event: Any) -> None:
        self.aliases += 1
        if self.aliases > self.max_aliases:
            raise self.fail(f"too many alias references (*name): more than {self.max_aliases}", event.start_mark)
        if event.anchor not in self.anchors:
            raise self.fail(f"unknown alias '*{event.anchor}' (an anchor '&{event.anchor}' must come first)",
                            event.start_mark)
        value, size = self.anchors[event.anchor]
        self._count(size, event.start_mark)
        self._place(value, size, event.start_mark)


def decode(raw: bytes, file: str) -> str:
    """UTF-8 text (a BOM allowed), or an error naming the first bad byte's line and column."""
    if raw.startswith(b"\xef\xbb\xbf"):  # a BOM; not the utf-8-sig codec, whose lookup costs start-up 0.4 ms
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        before = raw[: error.start]
        line = before.count(b"\n") + 1
        line_start = before.rfind(b"\n") + 1
        column = len(before[line_start:].decode("utf-8", errors="replace")) + 1
        raise InputError([Problem(
            file, f"not UTF-8 text: byte 0x{raw[error.start]:02x} cannot be decoded; save the file as UTF-8",
            line, column,
        )]) from None


def _position_of(text: str, index: int) -> Position:
    line_start = text.rfind("\n", 0, index) + 1
    return (text.count("\n", 0, index) + 1, index - line_start + 1)


def _unpair_surrogates(text: str) -> Tuple[str, _Columns]:
    """A JSON text with each surrogate pair escape replaced by its character, and the column shifts."""
    columns = _Columns()
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    pieces: List[str] = []
    done = 0
    shrunk_on_line: Dict[int, int] = {}
    for match in re.finditer(_SURROGATE_PAIR, text):
        high, low = int(match.group(2), 16), int(match.group(3), 16)
        pieces.append(text[done:match.start()] + match.group(1) + chr(0x10000 + ((high - 0xD800) << 10) + low - 0xDC00))
        done = match.end()
        escape = match.start() + len(match.group(1))
        line = bisect.bisect_right(line_starts, escape) - 1
        before = shrunk_on_line.get(line, 0)
        shift = match.end() - escape - 1  # twelve characters became one
        columns.add(line, escape - line_starts[line] - before + 1, shift)
        shrunk_on_line[line] = before + shift
    pieces.append(text[done:])
    return "".join(pieces), columns


class _Mark(NamedTuple):
    line: int  # 0-based, as PyYAML's marks
    column: int


def lone_surrogate(text: str) -> "Optional[re.Match[str]]":
    """The first escape (`\\ud800`) of half of a surrogate pair without its other half right after
    it: JSON's reader takes one, and text holding it cannot be written out as UTF-8."""
    high: Optional[re.Match[str]] = None  # waiting for its low half
    for match in re.finditer(_SURROGATE_ESCAPE, text):
        code = int(match.group(2) or match.group(3), 16)
        if high is not None:
            if code >= 0xDC00 and not match.group(1) and match.start() == high.end():
                high = None
                continue
            return high
        if code >= 0xDC00:
            return match
        high = match
    return high


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def load_yaml(
    source: "bytes | str",
    file: str,
    *,
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
    max_nodes: int = MAX_NODES,
    max_aliases: int = MAX_ALIASES,
    expected: str = "a YAML mapping",
) -> Document:
    """Read exactly one YAML (or JSON) document safely, or raise InputError with a one-line problem.

    `expected` names what the file should hold, for the message about an empty file.
    """
    size = len(source.encode("utf-8", errors="surrogatepass") if isinstance(source, str) else source)
    if size > max_bytes:
        raise too_large(file, max_bytes)
    text = decode(source, file) if isinstance(source, bytes) else source
    empty = InputError([Problem(file, f"the file is empty: expected {expected}")])
    if not text or text.isspace():
        raise empty
    columns = _NO_SHIFT
    if "\\u" in text and re.search(_SURROGATE_PAIR, text) and _is_json(text):  # `in` first: 50 times quicker
        text, columns = _unpair_surrogates(text)
    lone = ("\\u" in text or "\\U" in text) and lone_surrogate(text)
    if lone:
        line, col = _position_of(text, lone.start() + len(lone.group(1)))
        line, col = columns.position(_Mark(line - 1, col - 1))  # where it was written, before pairs were joined
        escape = lone.group()[len(lone.group(1)):]
        raise InputError([Problem(file, f"not valid text: the escape {escape} is half of a character (a lone "
                                        "surrogate); write the character itself", line, col)])
    bad = yaml.reader.Reader.NON_PRINTABLE.search(text)
    if bad:
        line, col = _position_of(text, bad.start())
        raise InputError([Problem(file, f"the character U+{ord(bad.group()):04X} is not allowed in YAML text "
                                        "(write it as an escape inside double quotes)", line, col)])
    limits = (max_depth, max_nodes, max_aliases)
    try:
        data = _read_plain(text, max_depth, max_nodes)
    except _NotPlain:
        builder = _build(text, file, limits, columns)
        if not builder.done or builder.empty:
            raise empty from None
        return Document(builder.data, file, builder.positions, builder.key_positions)

    def locate() -> Tuple[Dict[Path, Position], Dict[Path, Position]]:
        again = _build(text, file, limits, columns)  # the same text, so the same values
        return again.positions, again.key_positions

    return Document(data, file, locate=locate)


def _build(text: str, file: str, limits: Tuple[int, int, int], columns: _Columns) -> _Builder:
    """Parse the text and build its one document's values with their positions, or raise InputError."""
    builder = _Builder(file, *limits, columns=columns)
    loader = _Loader(text)
    documents = 0
    try:
        get_event, feed = loader.get_event, builder.feed
        while True:
            event: Any = get_event()
            kind = event.__class__
            if kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise builder.fail("more than one YAML document ('---'): a file holds one", event.start_mark, ())
            elif kind is yaml.StreamEndEvent:
                return builder
            feed(kind)(event)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, col = columns.position(mark) if mark is not None else (None, None)
        problem = error.problem or error.context or "unreadable YAML"
        if error.problem and error.context and error.context_mark is not None:
            context_line, context_col = columns.position(error.context_mark)
            problem += f" ({error.context} at line {context_line}, column {context_col})"
        raise InputError([Problem(file, f"YAML syntax error: {problem}", line, col)]) from None
    except yaml.YAMLError as error:
        raise InputError([Problem(file, f"YAML error: {' '.join(str(error).split())}")]) from None
    except RecursionError:  # the pure-Python parser on absurd nesting, before our depth check sees it
        raise InputError([Problem(file, f"nested more than {limits[0]} levels deep")]) from None
    finally:
        loader.dispose()
