"""CSV that is safe to open in a spreadsheet: every CSV the advisor writes goes through here.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return
before one) as a formula, so a calendar title such as `=HYPERLINK(...)` could act when the file
is opened. Following OWASP's advice on CSV injection, such text cells are written with a
leading apostrophe, which spreadsheets show as text and do not run, and every text cell is
quoted (a carriage return inside one cannot end the row). Numbers are left as numbers: `-3.5`
stays a negative number.
"""
from __future__ import annotations

import csv
import io
from typing import Any, Iterable, Mapping, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """`value`, or for text that a spreadsheet would run as a formula, that text behind an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(rows: Iterable[Mapping[str, Any]], fields: Sequence[str]) -> str:
    """A header of `fields`, then one line per row (missing values empty), every text cell made safe."""
    stream = io.StringIO()
    writer = csv.DictWriter(stream, fieldnames=list(fields), lineterminator="\n", extrasaction="ignore",
                            quoting=csv.QUOTE_NONNUMERIC)
    writer.writeheader()
    writer.writerows({name: safe_cell(value) for name, value in row.items()} for row in rows)
    return stream.getvalue()
