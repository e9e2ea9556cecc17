"""Request bodies read as proposals: JSON or YAML, one proposal or a batch, with the CLI's problems.

A problem names `<request>` as its file, with the line and column in the body.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

from advisor.core.meeting import Meeting
from advisor.errors import InputError, Problem, describe
from advisor.inputs.proposal import meeting_from_document, meeting_from_mapping, parse_meeting
from advisor.inputs.yamlsafe import (
    MAX_DIGITS,
    MAX_NODES,
    Document,
    NumberTooLong,
    Path,
    Position,
    decode,
    load_yaml,
    lone_surrogate,
)

REQUEST = "<request>"  # the file name in problems about a request body, as '<stdin>' is for the CLI
DEFAULT_MAX_BODY = 1024 * 1024
MAX_BATCH = 1000
JSON_TYPES = ("application/json",)
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")


def parse_proposal(body: bytes, kind: str) -> Meeting:
    """A request body to a Meeting, or InputError with the CLI's problems (positions included).

    JSON is read by the JSON reader, twice as fast as the YAML one that keeps positions; the
    YAML reader reads it again only to place the problems of a bad proposal.
    """
    if kind == "json":
        value = _json(body)
        if isinstance(value, dict):
            try:
                return meeting_from_mapping(value, REQUEST)
            except InputError as error:
                raise _placed(body, error) from None
    return parse_meeting(body, REQUEST)


def parse_batch(body: bytes, kind: str) -> List[Union[Meeting, InputError]]:
    """Each proposal of a list, or the InputError of that item alone."""
    value = _json(body) if kind == "json" else _UNREAD
    document: Optional[Document] = None
    if not isinstance(value, list):
        document = _load_batch(body)
        value = document.data
    if not isinstance(value, list):
        raise InputError([Problem(REQUEST, f"expected a list of proposals, found {describe(value)}", 1, 1)])
    if len(value) > MAX_BATCH:
        raise InputError([Problem(REQUEST, f"expected at most {MAX_BATCH} proposals, found {len(value)}", 1, 1)])
    results: List[Union[Meeting, InputError]] = []
    by_item: Optional[Tuple[_ItemPositions, _ItemPositions]] = None
    for index, item in enumerate(value):
        try:
            if not isinstance(item, dict):
                message = f"expected a proposal (a mapping of fields), found {describe(item)}"
                raise InputError([Problem(REQUEST, message)])
            results.append(meeting_from_mapping(item, REQUEST))
        except InputError as error:
            if document is None:  # read as JSON; positions are worth a second reading only now
                document = _load_batch(body)
            if by_item is None:  # split once: scanning every position per bad item is quadratic
                by_item = _by_item(document.positions), _by_item(document.key_positions)
            results.append(_item_error(document, by_item, index, error))
    return results


def _load_batch(body: bytes) -> Document:
    return load_yaml(body, REQUEST, max_bytes=len(body), max_nodes=MAX_NODES * 10)


_UNREAD = object()  # empty, or a duplicate key: the YAML reader refuses it, and says where


def _json(body: bytes) -> Any:
    """The body as JSON; InputError for bad JSON, as the CLI words a bad file.

    What the YAML reader refuses and JSON's would take (a duplicate key, an integer too long to
    convert, a lone surrogate) is left to the YAML reader, which says where it is.
    """
    text = decode(body, REQUEST)
    if not text.strip() or ("\\u" in text and lone_surrogate(text)):
        return _UNREAD  # the YAML reader words an empty body as the CLI words an empty file
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_int=_integer)
    except (_DuplicateKey, NumberTooLong):
        return _UNREAD
    except json.JSONDecodeError as error:
        raise InputError([Problem(REQUEST, f"JSON syntax error: {error.msg}", error.lineno, error.colno)]) from None
    except RecursionError:
        raise InputError([Problem(REQUEST, "nested too deep: a meeting proposal is far flatter")]) from None


class _DuplicateKey(ValueError):
    pass


def _integer(digits: str) -> int:
    """An integer of JSON, refused before it is converted when longer than any field takes."""
    if len(digits.lstrip("-")) > MAX_DIGITS:
        raise NumberTooLong(digits)
    return int(digits)


def _unique_keys(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
    mapping = dict(pairs)
    if len(mapping) != len(pairs):
        raise _DuplicateKey()
    return mapping


def _placed(body: bytes, error: InputError) -> InputError:
    """The same problems with their line and column, when the YAML reader can place them."""
    try:
        parse_meeting(body, REQUEST)
    except InputError as placed:
        return placed
    return error


_ItemPositions = Dict[Any, Dict[Path, Position]]  # item index -> path within the item -> place


def _by_item(positions: Mapping[Path, Position]) -> _ItemPositions:
    """A batch's positions split by item, each path made relative to its item."""
    groups: _ItemPositions = {}
    for path, where in positions.items():
        if path:
            groups.setdefault(path[0], {})[path[1:]] = where
    return groups


def _item_error(document: Document, by_item: Tuple[_ItemPositions, _ItemPositions], index: int,
                error: InputError) -> InputError:
    """The problems of item `index`, as the CLI words them, with its place in the body."""
    positions, key_positions = by_item
    # the item's own tables, not copies: each index comes here once, so setdefault below harms no other
    item = Document(document.data[index], document.file, positions.get(index, {}), key_positions.get(index, {}))
    item.positions.setdefault((), document.where((index,)) or (1, 1))
    try:
        meeting_from_document(item)
    except InputError as placed:
        error = placed
    return InputError([Problem(p.file, p.message, p.line, p.column, _item_path(index, p.path))
                       for p in error.problems])


def _item_path(index: int, path: str) -> str:
    return f"[{index}]" + (("" if path.startswith("[") else ".") + path if path else "")
