"""advisor.yaml: what a company changes without touching a rule file.

    extends: default              # the shipped pack and settings (the default); none; or another advisor.yaml
    threshold: 55                 # necessity score needed to hold a meeting
    currency: EUR
    hourly_cost: {sales_rep: 45, sales_manager: 70}
    packs: [acme-rules]           # more rule packs, as --rules; paths are relative to this file
    disable: [daily-meeting]
    overrides:                    # change a rule's effects without copying it
      heavy-meeting-load: {necessity: -20}
      video-for-many-remote: {formats: {video: 15}}
    what_if: {max_length_minutes: 180}   # the bounds of a realistic change (core.bounds.Bounds)

A file states only what differs from what it extends. Unknown keys, roles, formats and rule
ids are refused with their file, line and column, as for proposals and rules. Rule ids are
checked against the loaded packs by `apply_config`.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

from advisor.core.facts import FACTS
from advisor.core.records import EMPTY
from advisor.core.rules import TEMPLATE_NAMES, Rule, RulePack
from advisor.core.vocabulary import ALTERNATIVES, FORMATS, MEDIA, PURPOSES, ROLES
from advisor.errors import ConfigError, InputError, Problem, choice_hint, describe, did_you_mean
from advisor.inputs.files import read_file
from advisor.inputs.schema import explain_error, problems_against  # the sentences proposals use
from advisor.inputs.yamlsafe import Document, format_path, load_yaml
from advisor.packs.sandbox import TemplateProblem, check_template

if TYPE_CHECKING:
    from advisor.core.bounds import Bounds

CONFIG_FILE = "advisor.yaml"
MAX_EXTENDS = 8  # a chain of files extending each other, company -> region -> team
_CURRENCY = r"^[A-Z]{3}$"  # compiled on first use (re's cache): most runs read no advisor.yaml
_DELTA = {"type": "integer", "minimum": -100, "maximum": 100}
_TEXT = {"type": "string", "minLength": 1}

EFFECT_FIELDS = ("necessity", "formats", "media", "alternative", "suggestion")

# `x-key` names what the keys of a mapping are, for "unknown role 'sales_rp'" messages.
CONFIG_SCHEMA: Dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "advisor configuration (advisor.yaml)",
    "type": "object",
    "x-key": "setting",
    "additionalProperties": False,
    "properties": {
        "extends": {**_TEXT, "description": "default, none, or the path of another advisor.yaml"},
        "threshold": {"type": "integer", "minimum": 0, "maximum": 100},
        "currency": {"type": "string", "description": "a three-letter code such as EUR"},
        "hourly_cost": {
            "type": "object",
            "x-key": "role",
            "additionalProperties": False,
            "properties": {role: {"type": "number", "minimum": 0, "maximum": 100_000} for role in ROLES},
        },
        "packs": {"type": "array", "items": _TEXT},
        "disable": {"type": "array", "items": _TEXT, "uniqueItems": True},
        "what_if": {
            "type": "object",
            "x-key": "bound",
            "additionalProperties": False,
            "properties": {
                "min_audience_share": {"type": "number", "minimum": 0, "maximum": 1},
                "max_audience_share": {"type": "number", "minimum": 1, "maximum": 100},
                "kept_roles": {"type": "array", "items": {"title": "role", "type": "string", "enum": list(ROLES)},
                               "uniqueItems": True},
                "max_length_share": {"type": "number", "minimum": 1, "maximum": 100},
                "max_length_minutes": {"type": "integer", "minimum": 5, "maximum": 480},
                "informational_purposes": {"type": "array", "uniqueItems": True,
                                           "items": {"title": "purpose", "type": "string", "enum": list(PURPOSES)}},
                "more_often": {"type": "boolean"},
            },
        },
        "overrides": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "x-key": "effect",
                "additionalProperties": False,
                "properties": {
                    "necessity": _DELTA,
                    "formats": {"type": "object", "x-key": "format", "additionalProperties": False,
                                "properties": dict.fromkeys(FORMATS, _DELTA)},
                    "media": {"type": "object", "x-key": "medium", "additionalProperties": False,
                              "properties": dict.fromkeys(MEDIA, _DELTA)},
                    "alternative": {"title": "alternative", "type": "string", "enum": list(ALTERNATIVES)},
                    "suggestion": _TEXT,
                },
            },
        },
    },
}


class Mark(NamedTuple):
    """Where a setting was written, so that a later check can point at it."""

    file: str
    line: Optional[int] = None
    column: Optional[int] = None
    path: str = ""

    def problem(self, message: str) -> Problem:
        return Problem(self.file, message, self.line, self.column, self.path)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file


class Override(NamedTuple):
    """New effects for one rule; None (or a missing format) keeps the rule's own."""

    rule: str
    mark: Mark
    necessity: Optional[int] = None
    formats: Mapping[str, int] = EMPTY
    alternative: Optional[str] = None
    suggestion: Optional[str] = None
    media: Mapping[str, int] = EMPTY

    def then(self, later: "Override") -> "Override":
        """This override with `later`'s settings on top (a file over the one it extends)."""
        return Override(
            rule=self.rule,
            mark=later.mark,
            necessity=self.necessity if later.necessity is None else later.necessity,
            formats={**self.formats, **later.formats},
            alternative=later.alternative or self.alternative,
            suggestion=later.suggestion or self.suggestion,
            media={**self.media, **later.media},
        )

    def effects(self) -> Dict[str, Any]:
        """The effects it sets, for display."""
        values = {"necessity": self.necessity, "formats": dict(self.formats) or None,
                  "media": dict(self.media) or None, "alternative": self.alternative, "suggestion": self.suggestion}
        return {key: value for key, value in values.items() if value is not None}


class Config(NamedTuple):
    """Settings for an Advisor. Unset values (None) leave the library's defaults."""

    files: Tuple[str, ...] = ()  # the files read, the extended one first
    default_pack: bool = True
    threshold: Optional[int] = None
    currency: Optional[str] = None
    hourly_cost: Mapping[str, float] = EMPTY
    packs: Tuple[Path, ...] = ()
    disable: Mapping[str, Mark] = EMPTY  # rule id -> where
    overrides: Mapping[str, Override] = EMPTY
    what_if: Mapping[str, Any] = EMPTY  # the bounds of a realistic change that differ from the defaults

    @property
    def file(self) -> Optional[str]:
        return self.files[-1] if self.files else None

    def then(self, later: "Config") -> "Config":
        """`later` stated over this configuration: its values win, lists and mappings add up."""
        overrides = dict(self.overrides)
        for rule_id, override in later.overrides.items():
            overrides[rule_id] = overrides[rule_id].then(override) if rule_id in overrides else override
        return Config(
            files=self.files + later.files,
            default_pack=self.default_pack,
            threshold=self.threshold if later.threshold is None else later.threshold,
            currency=later.currency or self.currency,
            hourly_cost={**self.hourly_cost, **later.hourly_cost},
            packs=self.packs + tuple(p for p in later.packs if p not in self.packs),
            disable={**self.disable, **later.disable},
            overrides=overrides,
            what_if={**self.what_if, **later.what_if},
        )

    @property
    def what_if_bounds(self) -> "Bounds":
        """The bounds of a realistic change: the defaults, with what these settings say."""
        from advisor.core.bounds import DEFAULT_BOUNDS  # for a search only: not at every start

        values: Dict[str, Any] = {key: tuple(value) if isinstance(value, list) else value
                                  for key, value in self.what_if.items()}
        return DEFAULT_BOUNDS._replace(**values)


# ---------------------------------------------------------------------------- reading


def find_config(explicit: Optional[Union[str, "os.PathLike[str]"]] = None) -> Optional[Config]:
    """The configuration the CLI uses: `explicit`, else ./advisor.yaml when present, else None."""
    if explicit is not None:
        return load_config(explicit)
    if Path(CONFIG_FILE).is_file():
        return load_config(CONFIG_FILE)
    return None


def load_config(path: Union[str, "os.PathLike[str]"]) -> Config:
    """Read an advisor.yaml and the files it extends, or ConfigError listing every problem."""
    return _load(Path(path), (), None)


def _load(path: Path, chain: Tuple[Path, ...], origin: Optional[Mark]) -> Config:
    name = str(path)
    try:
        raw = read_file(path)
    except InputError as error:
        message = error.problems[0].message
        raise ConfigError([origin.problem(f"{message} ({name})") if origin else Problem(name, message)]) from None
    try:
        document = load_yaml(raw, name)
    except InputError as error:
        raise ConfigError(error.problems) from None
    extends = document.data.get("extends") if isinstance(document.data, dict) else None
    own = config_from_document(document, path.parent)
    if not isinstance(extends, str) or extends in ("default", "none"):
        return Config(default_pack=extends != "none").then(own)
    mark = _mark(document, ("extends",))
    target = (path.parent / extends).resolve()
    if target in chain + (path.resolve(),):
        raise ConfigError([mark.problem(f"'{extends}' extends itself, through {' -> '.join(map(str, chain))}")])
    if len(chain) >= MAX_EXTENDS:
        raise ConfigError([mark.problem(f"more than {MAX_EXTENDS} files extend one another")])
    return _load(target, chain + (path.resolve(),), mark).then(own)


def config_from_mapping(data: Mapping[str, Any], file: str = "<config>",
                        base: Union[str, "os.PathLike[str]", None] = None) -> Config:
    """Settings given as a mapping (as advisor.yaml would hold them); paths relative to `base`.

    `extends` may only be default or none here: there is no file to be relative to.
    """
    document = Document(dict(data), file)
    config = config_from_document(document, Path(base) if base is not None else Path.cwd())
    extends = data.get("extends", "default")
    if extends not in ("default", "none"):
        raise ConfigError([document.problem(("extends",), f"expected default or none, found {describe(extends)}")])
    return Config(default_pack=extends != "none").then(config)


def config_from_document(document: Document, folder: Path) -> Config:
    """The settings of one file, not what it extends; ConfigError listing every problem."""
    problems = _schema_problems(document)
    data = document.data
    if problems or not isinstance(data, dict):
        raise ConfigError(problems)
    currency = data.get("currency")
    if currency is not None and not re.match(_CURRENCY, currency):
        problems.append(document.problem(("currency",), f"expected a three-letter currency code in capitals "
                                                        f"(such as EUR or USD), found {describe(currency)}"))
    packs = []
    for index, pack in enumerate(data.get("packs", ())):
        path = Path(os.path.normpath(folder / pack))
        if not path.exists():
            problems.append(document.problem(("packs", index), f"no such rule pack '{pack}' (looked for {path})"))
        packs.append(path)
    extends = data.get("extends")
    if isinstance(extends, str) and extends not in ("default", "none") and not Path(extends).suffix:
        hint = did_you_mean(extends, ("default", "none"))
        if hint:
            problems.append(document.problem(("extends",), f"unknown base '{extends}'{hint}"))
    overrides = {}
    for rule_id, effects in data.get("overrides", {}).items():
        where = ("overrides", rule_id)
        if not effects:
            problems.append(document.problem(where, f"expected at least one effect to change ("
                                                    f"{', '.join(EFFECT_FIELDS)}), found nothing"))
            continue
        suggestion = effects.get("suggestion")
        if suggestion is not None:
            try:
                check_template(suggestion, list(FACTS) + list(TEMPLATE_NAMES))
            except TemplateProblem as error:
                problems.append(document.problem(where + ("suggestion",), str(error)))
        overrides[rule_id] = Override(rule_id, _mark(document, where, key=True), effects.get("necessity"),
                                      dict(effects.get("formats", {})), effects.get("alternative"), suggestion,
                                      dict(effects.get("media", {})))
    if problems:
        raise ConfigError(problems)
    return Config(
        files=(document.file,),
        threshold=data.get("threshold"),
        currency=currency,
        hourly_cost=dict(data.get("hourly_cost", {})),
        packs=tuple(packs),
        disable={rule_id: _mark(document, ("disable", i)) for i, rule_id in enumerate(data.get("disable", ()))},
        overrides=overrides,
        what_if=dict(data.get("what_if", {})),
    )


def _mark(document: Document, path: Tuple[Any, ...], key: bool = False) -> Mark:
    line, column = document.where(path, key) or (None, None)
    return Mark(document.file, line, column, format_path(path))


_VALIDATOR = None


def _schema_problems(document: Document) -> List[Problem]:
    from jsonschema import Draft202012Validator  # slow to import: only when a configuration is read

    global _VALIDATOR
    if _VALIDATOR is None:
        _VALIDATOR = Draft202012Validator(CONFIG_SCHEMA)
    if not isinstance(document.data, dict):
        return [document.problem((), f"expected a mapping of settings (threshold, disable, overrides ...), "
                                     f"found {describe(document.data)}")]
    return problems_against(_VALIDATOR, document, _explain)


def _explain(error: Any, document: Document) -> Iterator[Problem]:
    if error.validator == "additionalProperties" and "x-key" in error.schema:
        path = tuple(error.absolute_path)
        known = list(error.schema.get("properties", {}))
        for key in error.instance:
            if key not in known:
                hint = choice_hint(key, known)
                yield document.problem(path + (key,), f"unknown {error.schema['x-key']} {describe(key)}{hint}",
                                       key=True)
        return
    yield from explain_error(error, document)


# ---------------------------------------------------------------------------- applying


def apply_config(pack: RulePack, config: Config) -> RulePack:
    """`pack` less the disabled rules and with the overridden effects; its digest changes with them.

    Raises ConfigError naming every disabled or overridden rule id that no loaded pack has.
    """
    rules = pack.by_id()
    problems = []
    named = list(config.disable.items()) + [(rule_id, o.mark) for rule_id, o in config.overrides.items()]
    for rule_id, mark in named:
        if rule_id not in rules:
            problems.append(mark.problem(f"unknown rule '{rule_id}'{did_you_mean(rule_id, rules)}; the active "
                                         f"packs ({pack.name or 'none'}) have no such rule"))
    for rule_id in config.disable:
        if rule_id in config.overrides:
            problems.append(config.overrides[rule_id].mark.problem(
                f"rule '{rule_id}' is disabled ({config.disable[rule_id]}): overriding it has no effect"))
    if problems:
        raise ConfigError(sorted(problems, key=lambda p: (p.file, p.line or 0, p.column or 0)))
    if not config.disable and not config.overrides:
        return pack  # the same pack, and its digest already known
    kept = []
    for rule in pack.rules:
        if rule.id in config.disable:
            continue
        override = config.overrides.get(rule.id)
        kept.append(rule if override is None else _overridden(rule, override))
    return RulePack(tuple(kept), pack.name)


def _overridden(rule: Rule, override: Override) -> Rule:
    formats = {**rule.formats, **override.formats}
    media = {**rule.media, **override.media}
    translations = rule.translations
    if override.suggestion:  # the rule's translations are of the suggestion it replaces
        translations = {language: {k: v for k, v in texts.items() if k != "suggestion"}
                        for language, texts in rule.translations.items()}
    return rule._replace(
        necessity=rule.necessity if override.necessity is None else override.necessity,
        formats={name: formats[name] for name in FORMATS if formats.get(name)},
        media={name: media[name] for name in MEDIA if media.get(name)},
        alternative=override.alternative or rule.alternative,
        suggestion=override.suggestion or rule.suggestion,
        translations=translations,
    )


def settings_from_arguments(disable: Sequence[str] = (),
                            overrides: Optional[Mapping[str, Mapping[str, Any]]] = None) -> Config:
    """Advisor(disable=..., overrides=...) checked like advisor.yaml."""
    data: Dict[str, Any] = {}
    if disable:
        data["disable"] = list(disable)
    if overrides:
        data["overrides"] = {rule_id: dict(effects) for rule_id, effects in overrides.items()}
    return config_from_mapping(data, "<Advisor arguments>")
