"""Purpose rule files are checked as rule files are: the same field paths, one id per pack."""
from __future__ import annotations

from pathlib import Path
from typing import List

import pytest

from advisor.errors import RuleError
from advisor.packs.purposes import load_purpose_rules

RULE = """- id: {id}
  description: Pipeline reviews.
  words: [pipeline review, {word}]
  purposes: [strategy]
{extra}"""


def pack(folder: Path, **files: str) -> Path:
    (folder / "purposes").mkdir(parents=True)
    for name, text in files.items():
        (folder / "purposes" / f"{name}.yaml").write_text(text)
    return folder


def refused(*packs: Path) -> List[str]:
    with pytest.raises(RuleError) as error:
        load_purpose_rules(packs)
    return [str(problem) for problem in error.value.problems]


def test_a_bad_item_is_named_by_its_rule_and_position_as_in_rule_files(tmp_path: Path) -> None:
    folder = pack(tmp_path / "company", a=RULE.format(id="pipeline", word="[nested]", extra=""))
    assert refused(folder) == [f"{folder / 'purposes' / 'a.yaml'}:3:28: pipeline.words[1]: expected a word or a "
                               "phrase, found a list"]


def test_one_id_in_two_files_of_a_pack_is_refused_even_with_replaces(tmp_path: Path) -> None:
    folder = pack(tmp_path / "company", a=RULE.format(id="pipeline", word="forecast", extra=""),
                  b=RULE.format(id="pipeline", word="deal review", extra="  replaces: true\n"))
    problems = refused(folder)
    assert len(problems) == 1
    assert problems[0].startswith(f"{folder / 'purposes' / 'b.yaml'}:1: pipeline: duplicate purpose rule id "
                                  f"'pipeline': this pack defines it at {folder / 'purposes' / 'a.yaml'}:1 already")


def test_a_later_pack_replaces_a_rule_only_when_it_says_so(tmp_path: Path) -> None:
    first = pack(tmp_path / "first", a=RULE.format(id="pipeline", word="forecast", extra=""))
    again = pack(tmp_path / "second", a=RULE.format(id="pipeline", word="deal review", extra=""))
    assert "add 'replaces: true' to replace that rule" in refused(first, again)[0]
    replacing = pack(tmp_path / "third", a=RULE.format(id="pipeline", word="deal review", extra="  replaces: true\n"))
    assert load_purpose_rules([first, replacing]).read("Deal review", None)[0] == ("strategy",)
