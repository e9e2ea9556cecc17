"""Loading rule packs: folders of YAML rule files, read, checked and typed before any proposal.

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

import os
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from advisor.core.facts import FACTS
from advisor.core.rules import TEMPLATE_NAMES, Rule, RulePack
from advisor.core.vocabulary import ALTERNATIVES, FORMATS, MEDIA
from advisor.engine.durable import ALPHA_BUDGET, alpha_cost
from advisor.errors import InputError, Problem, RuleError, choice_hint, describe, did_you_mean
from advisor.inputs.files import YAML_SUFFIXES, read_file, regular_files
from advisor.inputs.yamlsafe import Document, load_yaml
from advisor.packs.budget import OverBudget
from advisor.packs.conditions import compile_condition, facts_used, parse
from advisor.packs.sandbox import TemplateProblem, check_template, render_snippet

RULE_FIELDS = ("id", "description", "when", "necessity", "formats", "media", "alternative", "suggestion",
               "because", "trade_off", "source", "replaces")
REQUIRED_FIELDS = ("id", "description", "when", "because", "source")
RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")  # of rules and of purpose rules
# `because`, `trade_off` and `suggestion` are text, or text per language: {en: ..., ar: ...} ('en' required).
TRANSLATABLE_FIELDS = ("because", "trade_off", "suggestion")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
def pack_name(folder: Union[str, "os.PathLike[str]"]) -> str:
    """The shipped pack is 'default'; another is named after its folder (or file)."""
    from advisor.resources import default_rules_dir

    path = Path(folder).resolve()
    if path == default_rules_dir().resolve():
        return "default"
    return path.stem if path.is_file() else path.name


def load_packs(folders: Sequence[Union[str, "os.PathLike[str]"]]) -> RulePack:
    """Load packs in order, or RuleError listing every problem of every pack.

    A rule id names one rule. A later pack may take the place of an earlier pack's rule only
    by saying so (`replaces: true`): a clash by accident, say a company rule that happens to
    reuse a default id, is refused with both places named, and so is a `replaces` that
    replaces nothing (a typo in the id would otherwise add a rule instead of replacing one).
    """
    rules: Dict[str, Rule] = {}
    names = []
    problems: List[Problem] = []
    for folder in folders:
        names.append(pack_name(folder))
        pack_rules, pack_problems = _load_pack(Path(folder), names[-1])
        problems.extend(pack_problems)
        for rule in pack_rules:  # the pack's sound rules, so that every clash is reported too
            earlier = rules.get(rule.id)
            if earlier is not None and not rule.replaces:
                problems.append(_problem(rule, f"duplicate rule id '{rule.id}': pack '{earlier.pack}' defines it at "
                                               f"{_place(earlier)}; add 'replaces: true' to replace that rule"))
            elif earlier is None and rule.replaces:
                hint = did_you_mean(rule.id, rules) or "; remove 'replaces: true' to add it as a new rule"
                problems.append(_problem(rule, f"'replaces: true', but no earlier pack has a rule '{rule.id}'{hint}",
                                         "replaces"))
            else:
                rules[rule.id] = rule  # dict keeps the first position: replaced rules stay in place
    if problems:
        raise RuleError(problems)
    return RulePack(tuple(rules.values()), "+".join(names))


def _place(rule: Rule) -> str:
    return f"{rule.file}:{rule.line}:{rule.column}" if rule.column else f"{rule.file}:{rule.line}"


def _problem(rule: Rule, message: str, field: str = "") -> Problem:
    return Problem(rule.file, message, rule.line or None, rule.column or None,
                   f"{rule.id}.{field}" if field else rule.id)


def load_pack(folder: Union[str, Path], pack: Optional[str] = None) -> List[Rule]:
    """Every rule of the `*.yaml` files of `folder` (or of one file), or RuleError with all problems."""
    rules, problems = _load_pack(Path(folder), pack or pack_name(folder))
    if problems:
        raise RuleError(problems)
    return rules


def _load_pack(folder: Path, pack: str) -> Tuple[List[Rule], List[Problem]]:
    """The sound rules of a pack, and the problems of the others (in file order, then by position)."""
    named_file = folder.exists() and not folder.is_dir()  # a file or a pipe: read_file refuses the rest
    if named_file:
        files = [folder]
    elif folder.is_dir():
        try:
            files = [Path(p) for p in regular_files(folder, YAML_SUFFIXES)]
        except OSError as error:
            return [], [Problem(str(folder), f"cannot read the folder: {error.strerror or error}")]
        if not files:
            return [], [Problem(str(folder), "no rule files (*.yaml) in this folder")]
    else:
        return [], [Problem(str(folder), "no such rule pack: expected a folder of rule files or a rule file")]
    problems: List[Problem] = []
    rules: List[Rule] = []
    seen: Dict[str, Rule] = {}
    for path in files:
        first = len(problems)
        try:
            document = load_yaml(read_file(path, pipes=named_file), str(path), expected="a list of rules")
        except InputError as error:  # the YAML reader's problems apply to rule files alike
            problems.extend(error.problems)
            continue
        for rule in _read_file(document, pack, problems):
            if rule.id in seen:
                problems.append(_problem(rule, f"duplicate rule id '{rule.id}': this pack defines it at "
                                               f"{_place(seen[rule.id])} already; a pack uses an id once"))
                continue
            seen[rule.id] = rule
            rules.append(rule)
        problems[first:] = sorted(problems[first:], key=lambda p: (p.line or 0, p.column or 0))
    return rules, problems


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
        field_path = relabel(problem.path, label)
        problems.append(Problem(problem.file, message, problem.line, problem.column, field_path))

    if not isinstance(item, dict):
        report((), f"expected a rule (a mapping with id, description, when, because, source), found {describe(item)}")
        return None
    item, translations = _split_languages(item, report)
    for key in item:
        if key not in RULE_FIELDS:
            report((key,), f"unknown rule field '{key}'{choice_hint(key, RULE_FIELDS)}", key=True)
    for key in REQUIRED_FIELDS:
        if key not in item:
            report((), f"missing required field '{key}'")
    if not isinstance(item.get("replaces", False), bool):
        report(("replaces",), f"expected true or false, found {describe(item['replaces'])}")
    for key in ("id", "description", "because", "trade_off", "source", "suggestion", "alternative"):
        if key in item and not (isinstance(item[key], str) and item[key].strip()):
            report((key,), f"expected non-empty text, found {describe(item[key])}")
    if isinstance(rule_id, str) and not RULE_ID.match(rule_id):
        report(("id",), f"expected lower-case letters, digits, '-' or '_' (at most 64), found {describe(rule_id)}")
    necessity = item.get("necessity", 0)
    if not _is_delta(necessity):
        report(("necessity",), f"expected an integer from -100 to 100, found {describe(necessity)}")
    formats = _points(item, "formats", "format", FORMATS, report)
    media = _points(item, "media", "medium", MEDIA, report)
    alternative = item.get("alternative")
    if isinstance(alternative, str) and alternative not in ALTERNATIVES:
        report(("alternative",), f"unknown alternative '{alternative}'{choice_hint(alternative, ALTERNATIVES)}")
    tree = parse(item["when"], ("when",), report) if "when" in item else None
    names = list(FACTS) + list(TEMPLATE_NAMES)
    for key in TRANSLATABLE_FIELDS:
        if isinstance(item.get(key), str):
            try:
                check_template(item[key], names)
            except TemplateProblem as error:
                report((key,), str(error))
    for language, texts in translations.items():
        for key, text in texts.items():
            try:
                check_template(text, names)
            except TemplateProblem as error:
                report((key, language), str(error))
    if len(problems) > before or tree is None:
        return None
    condition = compile_condition(tree)
    ways = alpha_cost(condition)
    if ways > ALPHA_BUDGET:
        report(("when",), f"condition too complex for the engine: {ways} ways to match once 'any' and 'in' are "
                          f"expanded, at most {ALPHA_BUDGET}; split it into several rules")
        return None
    read = facts_used(tree)
    templates: List[Tuple[Tuple[str, ...], str]] = [((key,), item[key]) for key in TRANSLATABLE_FIELDS
                                                    if isinstance(item.get(key), str)]
    templates += [((key, language), text) for language, texts in translations.items() for key, text in texts.items()]
    for where, source in templates:
        failure = _try_template(source, read)
        if failure:
            report(where, failure)
    if len(problems) > before:
        return None
    line = document.where(base) or (0, 0)
    return Rule(
        id=str(rule_id),
        description=item["description"].strip(),
        when=item["when"],
        condition=condition,
        because=item["because"].strip(),
        source=item["source"].strip(),
        necessity=necessity,
        formats={name: formats[name] for name in FORMATS if name in formats},
        media={name: media[name] for name in MEDIA if name in media},
        alternative=alternative,
        suggestion=item.get("suggestion"),
        trade_off=item["trade_off"].strip() if "trade_off" in item else None,
        translations=translations,
        pack=pack,
        file=document.file,
        line=line[0],
        column=line[1],
        replaces=item.get("replaces", False),
        facts=tuple(read),
    )


def _points(item: Dict[str, Any], key: str, what: str, names: Sequence[str], report: Any) -> Dict[str, Any]:
    """A mapping of format (or medium) to points, each name and number checked."""
    points = item.get(key, {})
    if not isinstance(points, dict):
        report((key,), f"expected a mapping of {what} to points, found {describe(points)}")
        return {}
    for name, delta in points.items():
        if name not in names:
            report((key, name), f"unknown {what} '{name}'{choice_hint(name, names)}", key=True)
        elif not _is_delta(delta):
            report((key, name), f"expected an integer from -100 to 100, found {describe(delta)}")
    return points


def _split_languages(item: Dict[str, Any], report: Any) -> Tuple[Dict[str, Any], Dict[str, Dict[str, str]]]:
    """The rule with its English texts (`because`, `trade_off`, `suggestion`) in place, other languages aside."""
    plain = dict(item)
    translations: Dict[str, Dict[str, str]] = {}
    for key in TRANSLATABLE_FIELDS:
        texts = item.get(key)
        if not isinstance(texts, dict):
            continue
        for language, text in texts.items():
            if not (isinstance(language, str) and _LANGUAGE.match(language)):
                report((key, language), f"expected a language code such as 'en' or 'ar', found {describe(language)}",
                       key=True)
            elif not (isinstance(text, str) and text.strip()):
                report((key, language), f"expected non-empty text, found {describe(text)}")
            elif language != "en":
                translations.setdefault(language, {})[key] = text.strip()
        if "en" not in texts:
            report((key,), "expected the English text under 'en', found none")
        english = texts.get("en")
        plain[key] = english if isinstance(english, str) and english.strip() else "-"  # reported above
    return plain, translations


_SAMPLE = {"int": 3, "number": 2.5, "bool": True}
# The largest values a proposal can give, or larger: a snippet within the budget on these is
# within it on any proposal that makes its rule fire (counts, money and text only grow it).
_WORST = {"int": 10**9, "number": 1e12, "bool": True}
_WORST_TITLE = "W" * 20_000  # twice the budget's MAX_VALUE: printing it once is no growth, twice is


def _try_template(source: str, read: Sequence[str]) -> Optional[str]:
    """Why a template fails on a plausible proposal, or breaks the budget on the largest one, or
    None: found when the pack loads, not in an approval.

    An optional fact that the condition does not read may be unknown (None) when the rule fires.
    """
    context: Dict[str, Any] = {"title": "Weekly review", "currency": "USD"}
    worst: Dict[str, Any] = {"title": _WORST_TITLE, "currency": "USD"}
    for name, spec in FACTS.items():
        if spec.optional and name not in read:
            context[name] = None
        elif spec.kind in _SAMPLE:
            context[name] = _SAMPLE[spec.kind]
        else:
            context[name] = spec.words[0] if spec.kind == "word" else list(spec.words[:2])
        if spec.kind in _WORST:
            worst[name] = _WORST[spec.kind]
        else:
            worst[name] = max(spec.words, key=len) if spec.kind == "word" else list(spec.words)
    try:
        render_snippet(source, context)
    except OverBudget as error:
        return f"template would do too much work: {error}"
    except Exception as error:  # any failure of the author's template is the author's to fix
        unknown = [name for name, value in context.items() if value is None and re.search(rf"\b{name}\b", source)]
        hint = (f" ({unknown[0]} may be unknown here: require it with '{unknown[0]}: {{known: true}}')"
                if unknown else "")
        return f"template fails on a sample proposal: {type(error).__name__}: {error}{hint}"
    try:
        render_snippet(source, worst)
    except OverBudget as error:
        return f"template would do too much work on a large proposal: {error}"
    except Exception:  # a failure only on extreme values (a division by a huge count...): not the budget's concern
        pass
    return None


def _is_delta(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -100 <= value <= 100


def relabel(path: str, label: str) -> str:
    """'[3].when.all[0]' -> 'large-group.when.all[0]': name the rule by its id."""
    match = re.match(r"^\[\d+\]\.?", path)
    rest = path[match.end():] if match else path
    return f"{label}.{rest}" if rest else label
