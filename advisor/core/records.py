"""What the immutable records (typing.NamedTuple) share: the empty default of mapping fields.

A shared `{}` default could be changed through one record and seen in all the others, and
`types.MappingProxyType({})` cannot be pickled (an Advisor is sent to worker processes).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Iterator, NoReturn


class _Empty(Mapping):  # type: ignore[type-arg]
    def __getitem__(self, key: Any) -> NoReturn:
        raise KeyError(key)

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "{}"

    def __reduce__(self) -> str:
        return "EMPTY"  # unpickled as this module's one instance


EMPTY: Mapping[Any, Any] = _Empty()
