"""Purpose rules: what a meeting is for, read from the words of its title and description.

    - id: pipeline-review
      description: A pipeline review works through the deals that slipped.
      words: ["pipeline review", "deal review", "مراجعة الصفقات"]
      purposes: [sales_shortfall, problem_solving]

A pack folder keeps its purpose rules in `purposes/*.yaml` (the default pack's are in
`rules/purposes/`), and each pack may add rules or replace earlier ones (`replaces: true`), as
with the decision rules. A rule fires when one of its `words` (a word or a phrase of whole
words, in any case) appears in the title or description; the purposes read are those of
every rule that fired. The durable_rules engine decides which rules fire, as for every rule:
the title's and description's words (each run of one to MAX_PHRASE_WORDS words) are the fact
`words`, and a rule's condition is `$iany` of them equal to one of its phrases.

Words are compared as Arabic search compares them: without short vowels or tatweel, with one
alef for its hamza forms and ي for ى, so that «الإستراتيجية» and «الاستراتيجية» are one word.
A run's first word is also offered without the conjunction, preposition and article Arabic
writes onto a word's front: «وللتدريب على المنتج» holds «تدريب على المنتج».

(The engine's own regular expressions, `$mt`/`$imt`, were tried first and refused: they
mistake characters that share a low byte, so `.*1.*` matches the Arabic letter ر (U+0631), and
some patterns as plain as `.*aaav.*` cannot be built at all.)
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

from advisor.core.vocabulary import PURPOSES
from advisor.errors import InputError, Problem, RuleError, choice_hint, describe, did_you_mean
from advisor.inputs.files import YAML_SUFFIXES, regular_files
from advisor.inputs.yamlsafe import Document, load_yaml, read_file
from advisor.packs.loader import RULE_ID, pack_name, relabel

FOLDER = "purposes"  # of a pack: its purpose rules
RULE_FIELDS = ("id", "description", "words", "purposes", "replaces")
REQUIRED_FIELDS = ("id", "description", "words", "purposes")
MAX_PHRASE_WORDS = 6  # a phrase of a rule has at most this many words and marks ("one-on-one": 5)
MAX_TEXT = 2000  # characters of a description that are read: its opening says what the meeting is for
_WORD = re.compile(r"\w+|[^\w\s]")  # a word, or one mark of punctuation


class PurposeRule(NamedTuple):
    """One checked purpose rule: the phrases it looks for and the purposes they say."""

    id: str
    description: str
    words: Tuple[str, ...]  # normalised phrases: lower case, words joined by one space
    purposes: Tuple[str, ...]
    written: Tuple[str, ...] = ()  # the words as the rule's author wrote them, for listings
    pack: str = "default"
    file: str = ""
    line: int = 0
    replaces: bool = False

    @property
    def condition(self) -> Dict[str, Any]:
        """The durable_rules condition: any word run of the text equals one of the phrases."""
        from advisor.packs.conditions import _either, _item_test  # the rules' own way around the engine's bug

        return {"$iany": {"f.words": _item_test(_either([{"$i": phrase} for phrase in self.words]))}}


# What Arabic writes one word with or without: short vowels (U+064B-U+0652) and the dagger alef,
# tatweel, the hamza on or under alef, and alef maqsura for ya.
_ARABIC_SPELLINGS = str.maketrans({**{chr(mark): None for mark in range(0x064B, 0x0653)}, "\u0670": None,
                                   "\u0640": None, "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي"})
_CONJUNCTIONS = ("و", "ف")  # 'and', 'so': written onto the word that follows
_PREPOSITIONS = ("ب", "ل", "ك")  # 'with', 'for', 'like'
_ARTICLE = "ال"


def _words(text: str) -> List[str]:
    """The words and marks of `text` as they are compared: in lower case, one spelling for Arabic."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold().translate(_ARABIC_SPELLINGS))


def phrase_of(text: str) -> str:
    """A phrase as it is compared: its words and marks, joined by one space ('1:1' -> '1 : 1',
    so that 'team 1.1' is no one-on-one)."""
    return " ".join(_words(text))


def _without_clitics(word: str) -> List[str]:
    """An Arabic word with what may be written onto its front taken off, one after the other
    ('وللتدريب' -> 'للتدريب', 'التدريب', 'تدريب'); none for any other word. A short word keeps
    its first letters, which are then its own."""
    forms = []
    if word[:1] in _CONJUNCTIONS and len(word) > 3:
        word = word[1:]
        forms.append(word)
    if word.startswith("لل") and len(word) > 4:  # 'for the': the article's alef is not written
        word = _ARTICLE + word[2:]
        forms.append(word)
    elif word[:1] in _PREPOSITIONS and len(word) > 3:
        word = word[1:]
        forms.append(word)
    if word.startswith(_ARTICLE) and len(word) > 4:
        forms.append(word[2:])
    return forms


def word_runs(*texts: Optional[str]) -> List[str]:
    """The fact `words`: every run of one to MAX_PHRASE_WORDS consecutive words of each text,
    normalised as phrases are, each once. Runs do not cross from one text to the next."""
    runs: Dict[str, None] = {}
    for text in texts:
        words = _words((text or "")[:MAX_TEXT])
        for start in range(len(words)):
            firsts = [words[start], *_without_clitics(words[start])]
            for size in range(1, min(MAX_PHRASE_WORDS, len(words) - start) + 1):
                rest = words[start + 1:start + size]
                for first in firsts:
                    runs.setdefault(" ".join([first, *rest]))
    return list(runs)


class PurposeRules:
    """The active purpose rules, and the engine that tells which of them a title fires."""

    def __init__(self, rules: Sequence[PurposeRule]):
        self.rules = tuple(rules)
        self._engine: Any = None

    def __getstate__(self) -> Dict[str, Any]:  # sent to worker processes without the engine's C handles
        return {"rules": self.rules}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.rules = state["rules"]
        self._engine = None

    def fired(self, title: str, description: Optional[str] = None) -> List[PurposeRule]:
        """The rules the engine finds in the title and description, in the rules' order."""
        if not self.rules:
            return []
        if self._engine is None:
            from advisor.engine.durable import Engine

            self._engine = Engine({rule.id: rule.condition for rule in self.rules})
        words = word_runs(title, description)
        if not words:
            return []
        ids = self._engine.fired({"words": words})
        return [rule for rule in self.rules if rule.id in ids]

    def read(self, title: str, description: Optional[str] = None) -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
        """(the purposes read, in the vocabulary's order; the ids of the rules that read them)."""
        fired = self.fired(title, description)
        found = {purpose for rule in fired for purpose in rule.purposes}
        return tuple(p for p in PURPOSES if p in found), tuple(rule.id for rule in fired)


# ---------------------------------------------------------------------------- loading


def load_purpose_rules(packs: Sequence[Union[str, "Path"]]) -> PurposeRules:
    """The purpose rules of the packs' `purposes/` folders, in pack order, or RuleError naming
    every problem. A later pack replaces a rule only by saying `replaces: true`."""
    rules: Dict[str, PurposeRule] = {}
    problems: List[Problem] = []
    for pack in packs:
        folder = Path(pack) / FOLDER
        if not folder.is_dir():
            continue
        name = pack_name(pack)
        try:
            files = regular_files(folder, YAML_SUFFIXES)
        except OSError as error:
            problems.append(Problem(str(folder), f"cannot read the folder: {error.strerror or error}"))
            continue
        seen: Dict[str, PurposeRule] = {}  # a pack uses an id once, whatever its files
        for file in files:
            try:
                document = load_yaml(read_file(file), str(file), expected="a list of purpose rules")
            except InputError as error:
                problems.extend(error.problems)
                continue
            for rule in _read_file(document, name, problems):
                if rule.id in seen:
                    problems.append(_problem(rule, f"duplicate purpose rule id '{rule.id}': this pack defines it "
                                                   f"at {seen[rule.id].file}:{seen[rule.id].line} already"))
                    continue
                seen[rule.id] = rule
                earlier = rules.get(rule.id)
                if earlier is not None and not rule.replaces:
                    problems.append(_problem(rule, f"duplicate purpose rule id '{rule.id}': defined at "
                                                   f"{earlier.file}:{earlier.line}; add 'replaces: true' to "
                                                   "replace that rule"))
                elif earlier is None and rule.replaces:
                    hint = did_you_mean(rule.id, rules) or "; remove 'replaces: true' to add it as a new rule"
                    problems.append(_problem(rule, f"'replaces: true', but no earlier pack has a purpose rule "
                                                   f"'{rule.id}'{hint}", "replaces"))
                else:
                    rules[rule.id] = rule
    if problems:
        raise RuleError(problems)
    return PurposeRules(tuple(rules.values()))


def _problem(rule: PurposeRule, message: str, field: str = "") -> Problem:
    return Problem(rule.file, message, rule.line or None, None, f"{rule.id}.{field}" if field else rule.id)


def _read_file(document: Document, pack: str, problems: List[Problem]) -> List[PurposeRule]:
    data = document.data
    if not isinstance(data, list):
        problems.append(document.problem((), f"expected a list of purpose rules (each '- id: ...'), "
                                             f"found {describe(data)}"))
        return []
    rules = []
    for index, item in enumerate(data):
        rule = _read_rule(document, index, item, pack, problems)
        if rule is not None:
            rules.append(rule)
    return rules


def _read_rule(document: Document, index: int, item: Any, pack: str,
               problems: List[Problem]) -> Optional[PurposeRule]:
    before = len(problems)
    label = str(item["id"]) if isinstance(item, dict) and isinstance(item.get("id"), str) else f"rule[{index}]"

    def report(path: Tuple[Any, ...], message: str, key: bool = False) -> None:
        problem = document.problem((index,) + path, message, key=key)
        problems.append(problem._replace(path=relabel(problem.path, label)))

    if not isinstance(item, dict):
        report((), f"expected a purpose rule (a mapping with id, description, words, purposes), found "
                    f"{describe(item)}")
        return None
    for key in item:
        if key not in RULE_FIELDS:
            report((key,), f"unknown purpose rule field '{key}'{choice_hint(key, RULE_FIELDS)}", key=True)
    for key in REQUIRED_FIELDS:
        if key not in item:
            report((), f"missing required field '{key}'")
    for key in ("id", "description"):
        if key in item and not (isinstance(item[key], str) and item[key].strip()):
            report((key,), f"expected non-empty text, found {describe(item[key])}")
    if isinstance(item.get("id"), str) and not RULE_ID.match(item["id"]):
        report(("id",), f"expected lower-case letters, digits, '-' or '_' (at most 64), found {describe(item['id'])}")
    if not isinstance(item.get("replaces", False), bool):
        report(("replaces",), f"expected true or false, found {describe(item['replaces'])}")
    phrases = _phrases(item.get("words"), report) if "words" in item else []
    written = tuple(dict.fromkeys(text.strip() for text in item.get("words") or [] if isinstance(text, str)))
    purposes = _purposes(item.get("purposes"), report) if "purposes" in item else []
    if len(problems) > before:
        return None
    line = (document.where((index,)) or (0, 0))[0]
    return PurposeRule(item["id"], item["description"].strip(), tuple(phrases), tuple(purposes), written, pack,
                       document.file, line, item.get("replaces", False))


def _phrases(value: Any, report: Any) -> List[str]:
    if not isinstance(value, list) or not value:
        report(("words",), f"expected a non-empty list of words or phrases, found {describe(value)}")
        return []
    phrases: List[str] = []
    for position, text in enumerate(value):
        phrase = phrase_of(text) if isinstance(text, str) else ""
        if not phrase:
            report(("words", position), f"expected a word or a phrase, found {describe(text)}")
        elif len(phrase.split()) > MAX_PHRASE_WORDS:
            report(("words", position), f"expected at most {MAX_PHRASE_WORDS} words, found {describe(text)}")
        elif phrase not in phrases:
            phrases.append(phrase)
    return phrases


def _purposes(value: Any, report: Any) -> List[str]:
    if not isinstance(value, list) or not value:
        report(("purposes",), f"expected a non-empty list of purposes, found {describe(value)}")
        return []
    found: List[str] = []
    for position, word in enumerate(value):
        if word not in PURPOSES:
            report(("purposes", position), f"unknown purpose {describe(word)}{choice_hint(word, PURPOSES)}")
        elif word not in found:
            found.append(word)
    return found

