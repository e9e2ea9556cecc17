"""Every CSV the advisor writes is safe to open in a spreadsheet (OWASP: CSV injection)."""
from __future__ import annotations

import csv
import io

import pytest

from advisor.report.spreadsheet import safe_cell, to_csv


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\",\"y\")", "+1+2", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_text_a_spreadsheet_would_run_is_written_as_text(text: str) -> None:
    assert safe_cell(text) == "'" + text
    rows = list(csv.DictReader(io.StringIO(to_csv([{"title": text, "hours": 2.5}], ["title", "hours"]), newline="")))
    assert rows == [{"title": "'" + text, "hours": "2.5"}]  # one row: a carriage return cannot end it


def test_numbers_and_plain_text_stay_as_they_are() -> None:
    assert [safe_cell(v) for v in (-3.5, 0, 12, "Weekly review", "dana@example.com", "")] == \
        [-3.5, 0, 12, "Weekly review", "dana@example.com", ""]
    assert to_csv([{"a": -3.5, "b": "x,y", "c": 2}], ["a", "b", "c"]) == '"a","b","c"\n-3.5,"x,y",2\n'
