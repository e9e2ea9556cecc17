"""The bounds of a realistic change, within which `core.whatif` searches for what would change the answer.

Their own module: settings (advisor.yaml's `what_if`) are read at every start, and the
search, with its levers, is imported only when it runs.
"""
from __future__ import annotations

from typing import NamedTuple, Tuple


class Bounds(NamedTuple):
    """What a realistic change may do. These defaults are advisor.yaml's `what_if` (docs/rules.md)."""

    min_audience_share: float = 0.5  # never fewer people than this share of the audience
    max_audience_share: float = 2.0  # never more than this many times the audience
    kept_roles: Tuple[str, ...] = ("customer", "prospect")  # never fewer of these (nor of anyone from outside)
    max_length_share: float = 2.0  # never longer than this many times the length ...
    max_length_minutes: int = 240  # ... nor than this
    # A meeting whose purposes are all among these only informs: no decision is invented for it.
    informational_purposes: Tuple[str, ...] = ("status_update", "product_update", "policy_update",
                                               "campaign_update", "recognition", "motivation")
    more_often: bool = False  # whether holding it more often may be offered


DEFAULT_BOUNDS = Bounds()
