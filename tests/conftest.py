from __future__ import annotations

import json
from pathlib import Path
from typing import List, Tuple

import pytest

from advisor.api import Advisor
from advisor.cli import run

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="session")
def advisor() -> Advisor:
    return Advisor()


@pytest.fixture
def cli(capsys):
    """Run the CLI in-process: (exit code, stdout, stderr)."""

    def invoke(*args: str) -> Tuple[int, str, str]:
        code = run(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


def expected_examples() -> List[Tuple[str, str, str]]:
    rows = (EXAMPLES / "expected.tsv").read_text().splitlines()
    return [tuple(row.split("\t")) for row in rows if row.strip()]  # type: ignore[misc]


def proposal(**fields):
    """A small valid proposal, with `fields` replacing its defaults."""
    base = {
        "title": "Test meeting",
        "purposes": ["problem_solving"],
        "duration_minutes": 30,
        "agenda": ["One", "Two"],
        "audience": [{"role": "sales_manager"}, {"role": "sales_rep", "count": 3}],
    }
    base.update(fields)
    return base


def write_yaml(path: Path, data) -> Path:
    path.write_text(json.dumps(data))  # JSON is YAML
    return path
