"""Rule packs: folders of YAML rule files, read, checked and typed before any proposal.

    - id: information-only
      description: Sharing information with nothing to decide is better done in writing.
      when: {all: [{purposes: {subset_of: [status_update]}}, {decision_required: false}]}
      necessity: -30
      formats: {video: 5}
      alternative: written_update
      suggestion: Send the figures by email.
      because: "{{ purposes | join(' and ') }} with nothing to decide can be read in five minutes."
      source: HBR, "Do you really need to hold that meeting?" (2015)
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from .conditions import compile_condition, facts_used, parse
from .engine import ALPHA_BUDGET, alpha_cost
from .errors import InputError, Problem, RuleError, describe, did_you_mean
from .facts import FACTS
from .text import TemplateProblem, check_template
from .vocabulary import ALTERNATIVES, FORMATS
from .yamlsafe import Document, load_yaml

RULE_FIELDS = ("id", "description", "when", "necessity", "formats", "alternative", "suggestion",
               "because", "source")
REQUIRED_FIELDS = ("id", "description", "when", "because", "source")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# Names a `because` or `suggestion` template may use besides the facts.
TEMPLATE_NAMES = ("title",)


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    when: Any  # as written, for display
    condition: Dict[str, Any]  # compiled durable_rules condition
    because: str
    source: str
    necessity: int = 0
    formats: Mapping[str, int] = field(default_factory=dict)
    alternative: Optional[str] = None
    suggestion: Optional[str] = None
    pack: str = "default"
    file: str = ""
    line: int = 0
    facts: Tuple[str, ...] = ()


@dataclass(frozen=True)
class RulePack:
    """The active rules, in a stable order, with a digest naming exactly this content."""

    rules: Tuple[Rule, ...]
    name: str = "default"

    @property
    def version(self) -> str:
        return self.digest[:12]

    @property
    def digest(self) -> str:
        payload = [(r.id, r.condition, r.necessity, dict(r.formats), r.alternative, r.suggestion, r.because)
                   for r in self.rules]
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    def by_id(self) -> Dict[str, Rule]:
        return {rule.id: rule for rule in self.rules}


def pack_name(folder: Union[str, Path]) -> str:
    """The shipped pack is 'default'; another is named after its folder (or file)."""
    from .resources import default_rules_dir

    path = Path(folder).resolve()
    if path == default_rules_dir().resolve():
        return "default"
    return path.stem if path.is_file() else path.name


def load_packs(folders: Sequence[Union[str, Path]]) -> RulePack:
    """Load packs in order; a rule whose id an earlier pack used replaces that rule."""
    rules: Dict[str, Rule] = {}
    names = []
    for folder in folders:
        names.append(pack_name(folder))
        for rule in load_pack(folder, names[-1]):
            rules[rule.id] = rule  # dict keeps the first position: replaced rules stay in place
    return RulePack(tuple(rules.values()), "+".join(names))


def load_pack(folder: Union[str, Path], pack: Optional[str] = None) -> List[Rule]:
    """Every rule of the `*.yaml` files of `folder` (or of one file), or RuleError with all problems."""
    folder = Path(folder)
    pack = pack or pack_name(folder)
    if folder.is_file():
        files = [folder]
    elif folder.is_dir():
        files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and not p.name.startswith("."))
    else:
        raise RuleError([Problem(str(folder), "no such rule pack: expected a folder of rule files or a rule file")])
    problems: List[Problem] = []
    rules: List[Rule] = []
    seen: Dict[str, str] = {}
    for path in files:
        try:
            document = load_yaml(path.read_bytes(), str(path))
        except OSError as error:
            problems.append(Problem(str(path), f"cannot read the file: {error.strerror or error}"))
            continue
        except InputError as error:  # the YAML reader's problems apply to rule files alike
            problems.extend(error.problems)
            continue
        for rule in _read_file(document, pack, problems):
            if rule.id in seen:
                problems.append(Problem(rule.file, f"duplicate rule id '{rule.id}' (first in {seen[rule.id]})",
                                        rule.line, None, rule.id))
                continue
            seen[rule.id] = f"{rule.file}:{rule.line}"
            rules.append(rule)
    if problems:
        raise RuleError(problems)
    return rules


def _read_file(document: Document, pack: str, problems: List[Problem]) -> List[Rule]:
    data = document.data
    if not isinstance(data, list):
        problems.append(document.problem((), f"expected a list of rules (each '- id: ...'), found {describe(data)}"))
        return []
    rules = []
    for index, item in enumerate(data):
        rule = _read_rule(document, index, item, pack, problems)
        if rule is not None:
            rules.append(rule)
    return rules


def _read_rule(document: Document, index: int, item: Any, pack: str, problems: List[Problem]) -> Optional[Rule]:
    base: Tuple[Any, ...] = (index,)
    rule_id = item.get("id") if isinstance(item, dict) else None
    label = rule_id if isinstance(rule_id, str) else f"rule[{index}]"
    before = len(problems)

    def report(path: Tuple[Any, ...], message: str, key: bool = False) -> None:
        problem = document.problem(base + path, message, key=key)
        field_path = _relabel(problem.path, label)
        problems.append(Problem(problem.file, message, problem.line, problem.column, field_path))

    if not isinstance(item, dict):
        report((), f"expected a rule (a mapping with id, description, when, because, source), found {describe(item)}")
        return None
    for key in item:
        if key not in RULE_FIELDS:
            report((key,), f"unknown rule field '{key}'{did_you_mean(key, RULE_FIELDS)}", key=True)
    for key in REQUIRED_FIELDS:
        if key not in item:
            report((), f"missing required field '{key}'")
    for key in ("id", "description", "because", "source", "suggestion", "alternative"):
        if key in item and not (isinstance(item[key], str) and item[key].strip()):
            report((key,), f"expected non-empty text, found {describe(item[key])}")
    if isinstance(rule_id, str) and not _ID.match(rule_id):
        report(("id",), f"expected lower-case letters, digits, '-' or '_' (at most 64), found {describe(rule_id)}")
    necessity = item.get("necessity", 0)
    if not _is_delta(necessity):
        report(("necessity",), f"expected an integer from -100 to 100, found {describe(necessity)}")
    formats = item.get("formats", {})
    if not isinstance(formats, dict):
        report(("formats",), f"expected a mapping of format to points, found {describe(formats)}")
        formats = {}
    for name, delta in formats.items():
        if name not in FORMATS:
            report(("formats", name), f"unknown format '{name}'{did_you_mean(name, FORMATS)}", key=True)
        elif not _is_delta(delta):
            report(("formats", name), f"expected an integer from -100 to 100, found {describe(delta)}")
    alternative = item.get("alternative")
    if isinstance(alternative, str) and alternative not in ALTERNATIVES:
        report(("alternative",), f"unknown alternative '{alternative}'{did_you_mean(alternative, ALTERNATIVES)}")
    tree = parse(item["when"], ("when",), report) if "when" in item else None
    names = list(FACTS) + list(TEMPLATE_NAMES)
    for key in ("because", "suggestion"):
        if isinstance(item.get(key), str):
            try:
                check_template(item[key], names)
            except TemplateProblem as error:
                report((key,), str(error))
    if len(problems) > before or tree is None:
        return None
    condition = compile_condition(tree)
    tests = alpha_cost(condition) + 2  # with the tag test and the sentinel beside it
    if tests > ALPHA_BUDGET:
        report(("when",), f"condition too complex for the engine: {tests} tests once 'any' and 'in' are "
                          f"expanded, at most {ALPHA_BUDGET}; split it into several rules")
        return None
    line = document.where(base) or (0, 0)
    return Rule(
        id=rule_id,
        description=item["description"].strip(),
        when=item["when"],
        condition=condition,
        because=item["because"].strip(),
        source=item["source"].strip(),
        necessity=necessity,
        formats={name: formats[name] for name in FORMATS if name in formats},
        alternative=alternative,
        suggestion=item.get("suggestion"),
        pack=pack,
        file=document.file,
        line=line[0],
        facts=tuple(facts_used(tree)),
    )


def _is_delta(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -100 <= value <= 100


def _relabel(path: str, label: str) -> str:
    """'[3].when.all[0]' -> 'large-group.when.all[0]': name the rule by its id."""
    match = re.match(r"^\[\d+\]\.?", path)
    rest = path[match.end():] if match else path
    return f"{label}.{rest}" if rest else label
