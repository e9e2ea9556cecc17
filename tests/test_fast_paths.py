"""The shortcuts of a quick start give exactly what the slow paths give.

* YAML: a proposal read without positions has the values PyYAML reads, and the positions found
  later are those of PyYAML's own nodes;
* validation: the generated validator never accepts what jsonschema refuses, and is current;
* snippets: the Python translation of each snippet renders what Jinja renders;
* the pack cache: a cached pack is the pack, and any change to its files is seen.
"""
from __future__ import annotations

import ast
import copy
import json
import math
import os
import pickle
import random
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
import yaml
from conftest import EXAMPLES, ROOT

from advisor.core.facts import derive_facts
from advisor.core.rules import RulePack
from advisor.inputs import validation
from advisor.inputs.proposal import meeting_from_mapping
from advisor.inputs.schema import validate as jsonschema_validate
from advisor.inputs.yamlsafe import Document, load_yaml
from advisor.packs import cache as packcache
from advisor.packs import loader as rules
from advisor.packs import snippets
from advisor.packs.sandbox import render_snippet as jinja_render
from advisor.resources import default_rules_dir
from bench.proposals import proposals

# ------------------------------------------------------------------------------------------ YAML


def _node_positions(node: Any, path: tuple = ()) -> tuple:
    """(values, keys): PyYAML's own record of where each value and key starts, by path."""
    values = {path: (node.start_mark.line + 1, node.start_mark.column + 1)}
    keys = {}
    if isinstance(node, yaml.MappingNode):
        for key, child in node.value:
            keys[path + (key.value,)] = (key.start_mark.line + 1, key.start_mark.column + 1)
            more_values, more_keys = _node_positions(child, path + (key.value,))
            values.update(more_values)
            keys.update(more_keys)
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            more_values, more_keys = _node_positions(child, path + (index,))
            values.update(more_values)
            keys.update(more_keys)
    return values, keys


def _yaml_texts() -> List[str]:
    texts = [path.read_text() for path in sorted(EXAMPLES.glob("*.yaml"))]
    for number, data in enumerate(proposals(150, seed=31)):
        style = (None, True, False)[number % 3]  # PyYAML's mixed, flow and block styles
        texts.append(yaml.safe_dump(data, default_flow_style=style, sort_keys=number % 2 == 0))
        texts.append(json.dumps(data, indent=number % 3 or None))
    return texts


def test_a_proposal_read_quickly_has_pyyamls_values_and_later_its_positions() -> None:
    for text in _yaml_texts() * 2:  # twice: the second time, short plain values come from the cache
        document = load_yaml(text, "p.yaml")
        assert document.data == yaml.load(text, Loader=yaml.CSafeLoader)
        values, keys = _node_positions(yaml.compose(text, Loader=yaml.CSafeLoader))
        assert document.positions == values
        assert document.key_positions == keys


def test_plain_data_is_read_once_and_read_again_only_for_its_positions(monkeypatch) -> None:
    from advisor.inputs import yamlsafe

    careful = []
    real_build = yamlsafe._build
    monkeypatch.setattr(yamlsafe, "_build", lambda *args: careful.append(1) or real_build(*args))
    document = load_yaml((EXAMPLES / "pipeline-review.yaml").read_bytes(), "p.yaml")
    assert document.data["title"] == "Weekly pipeline review" and careful == []
    assert document.where(("audience", 0, "role")) is not None and careful == [1]
    with_anchor = load_yaml("base: &b {role: sales_rep}\naudience: [*b]\n", "a.yaml")
    assert with_anchor.data["audience"] == [{"role": "sales_rep"}] and careful == [1, 1]
    assert with_anchor.where(("audience", 0)) == (2, 12) and careful == [1, 1]  # already known


def test_without_libyaml_the_same_values_and_the_same_refusals(monkeypatch) -> None:
    from advisor.errors import InputError
    from advisor.inputs import yamlsafe

    text = (EXAMPLES / "pipeline-review.yaml").read_text()
    expected = load_yaml(text, "p.yaml").data
    monkeypatch.setattr(yamlsafe, "_Loader", yaml.SafeLoader)  # PyYAML built without its C parser
    assert load_yaml(text, "p.yaml").data == expected
    with pytest.raises(InputError, match="nested more than 32 levels deep"):
        load_yaml("a: " + "[" * 5000 + "]" * 5000, "deep.yaml")


@pytest.mark.parametrize("text, expected", [
    ("a: 1e3\nb: '1e3'\nc: 1e3\n", {"a": 1000.0, "b": "1e3", "c": 1000.0}),
    ("a: 2026-01-05\nb: 2026-01-05\n", {"a": "2026-01-05", "b": "2026-01-05"}),
    ("a: <<\nb: [<<]\nbase: &b {c: 1}\nd:\n  <<: *b\n  e: <<\n", {
        "a": "<<", "b": ["<<"], "base": {"c": 1}, "d": {"c": 1, "e": "<<"}}),
    ("a: yes\nb: 'yes'\nc: yes\nd: ~\ne: null\nf: 0x10\ng: 0x10\n", {
        "a": True, "b": "yes", "c": True, "d": None, "e": None, "f": "0x10", "g": "0x10"}),
])
def test_a_plain_value_means_the_same_every_time_it_is_read(text: str, expected: Dict[str, Any]) -> None:
    for _ in range(3):
        assert load_yaml(text, "p.yaml").data == expected


# ------------------------------------------------------------------------------------ validation


def test_the_generated_validator_is_made_from_the_current_schema() -> None:
    from advisor.inputs import _meeting_validator

    assert _meeting_validator.SCHEMA_DIGEST == validation.schema_digest(), "run: python -m advisor.validation"


def test_the_generated_validator_is_what_the_generator_writes() -> None:
    fastjsonschema = pytest.importorskip("fastjsonschema")
    shipped = validation.GENERATED.read_text()
    if not re.search(rf"""^VERSION = ["']{re.escape(fastjsonschema.VERSION)}["']$""", shipped, re.MULTILINE):
        pytest.skip(f"the shipped validator comes from another fastjsonschema than {fastjsonschema.VERSION}")
    # The same code, as Python reads it: ast.unparse writes some forms differently from one Python to the next.
    assert ast.dump(ast.parse(validation.generated_source())) == ast.dump(ast.parse(shipped))


def _mutations(rng: random.Random, data: Dict[str, Any]) -> Dict[str, Any]:
    """A copy of a valid proposal with one to three things changed, mostly into invalid ones."""
    data = copy.deepcopy(data)
    odd_values = [None, True, False, 0, -1, 5.0, 2.5, 481, 100_001, "", " ", "x", "coaching", [], [1], {}, {"a": 1},
                  float("nan"), float("inf"), "status_update", ["coaching", "coaching"], 10_001]

    def odd() -> Any:
        return copy.deepcopy(rng.choice(odd_values))  # a fresh copy: shared lists would nest into cycles
    for _ in range(rng.randint(1, 3)):
        target: Any = data
        path: List[Any] = []
        while isinstance(target, (dict, list)) and target and rng.random() < 0.6:
            key = rng.choice(list(target)) if isinstance(target, dict) else rng.randrange(len(target))
            if not isinstance(target[key], (dict, list)):
                break
            path.append(key)
            target = target[key]
        if isinstance(target, dict):
            roll = rng.random()
            if roll < 0.2 and target:
                del target[rng.choice(list(target))]
            elif roll < 0.3:
                target[rng.choice(["unknown", "titel", "count", "remote", "role"])] = odd()
            elif target:
                target[rng.choice(list(target))] = odd()
        elif isinstance(target, list):
            if target and rng.random() < 0.5:
                target[rng.randrange(len(target))] = odd()
            else:
                target.append(odd())
    return data


def test_the_quick_validator_accepts_only_what_jsonschema_accepts() -> None:
    fast = validation._fast
    assert fast is not None
    rng = random.Random(8)
    accepted = refused = 0
    for data in proposals(300, seed=8):
        for candidate in [data] + [_mutations(rng, data) for _ in range(10)]:
            document = Document(candidate, "p.yaml")
            try:
                fast.validate(candidate)
                validation._strict_json(candidate)
                quick_says_valid = True
            except (fast.JsonSchemaValueException, ValueError):
                quick_says_valid = False
            full = jsonschema_validate(document)
            if quick_says_valid:
                accepted += 1
                assert full == [], candidate
            else:
                refused += 1
            assert validation.validate(document) == full  # the same problems, whichever path found them
    assert accepted > 300 and refused > 1000  # both ways were tried, and every valid proposal went the quick way


def test_an_invalid_proposal_still_gets_every_problem_with_its_position(cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: x\npurposes: [coaching, coaching]\nduration_minutes: .nan\naudience: [{role: sales_rp}]\n")
    code, _, err = cli("check", str(bad))
    assert code == 2
    assert err.splitlines() == [line for line in err.splitlines() if line.startswith(f"{bad}:")]
    assert len(err.splitlines()) == 3 and ":2:" in err and ":3:" in err and ":4:" in err


# ------------------------------------------------------------------------------------- snippets

CONSTRUCTS = [
    "plain text, nothing else",
    "{{ attendees }} people",
    "{{ load_hours | num }} h and {{ cost | money }}",
    "{{ attendees | plural('{n} person', '{n} people') }}, {{ cost | plural('one', 'two', 'few') }}",
    "{{ purposes | join(' and ') | replace('_', ' ') }}",
    "{{ purposes | join }} / {{ purposes | length }} / {{ recurrence | upper }} {{ recurrence | capitalize }}",
    "{{ title | lower }} ~ {{ title ~ '!' ~ attendees }}",
    "item{{ 's' if agenda_items != 1 }}; {{ 'one' if attendees == 1 else 'many' }}",
    "{% if attendees > 8 %}big{% elif attendees > 2 %}medium{% else %}small{% endif %} group",
    "{{ attendees * 2 }} {{ attendees - 1 }} {{ cost / 4 }} {{ attendees // 3 }} {{ attendees % 3 }} {{ -attendees }}",
    "{{ attendees > 2 and not sensitive }} {{ decision_required or 'no' }} {{ 2 < attendees <= 9 }}",
    "{{ 'x' in purposes }} {{ 'coaching' not in purposes }} {{ none }} {{ true }} {{ 1.5 }}",
    "  spaced   out\n  over lines  ",
    "{{ replace_me | replace('a', 'b', 1) }}",
]
UNSUPPORTED = [
    "{{ title.upper() }}",
    "{{ purposes[0] }}",
    "{% for p in purposes %}{{ p }}{% endfor %}",
    "{{ title | title }}",
    "{{ purposes | join(d='-') }}",
    "{% set x = 1 %}{{ x }}",
    "{{ attendees ** 2 }}",
    "{{ [1, 2] }}",
]


def _contexts(count: int) -> List[Dict[str, Any]]:
    """Facts of generated proposals; every other one asks for Arabic amounts and plural forms."""
    from advisor.packs.wording import WORDING
    from advisor.report.i18n import wording

    contexts = []
    for number, data in enumerate(proposals(count, seed=12)):
        facts = derive_facts(meeting_from_mapping(data))
        contexts.append({**facts, "title": data["title"], "currency": "EUR", "none": None, "replace_me": "banana",
                         WORDING: wording("ar" if number % 2 else "en")})
    return contexts


def test_every_default_snippet_becomes_python_and_renders_as_jinja_does(advisor) -> None:
    sources = {text for rule in advisor.pack.rules for text in (rule.because, rule.trade_off, rule.suggestion) if text}
    expressions = snippets.python_expressions(sources)
    assert all(expressions.values())
    translated = _compiled(expressions)
    for context in _contexts(400):
        for source in sources:
            _agree(translated[source], source, context)


def _compiled(expressions: Dict[str, Any]) -> Dict[str, Any]:
    namespace: Dict[str, Any] = dict(snippets._HELPERS)
    exec(snippets.compile_renderers(expressions), namespace)
    return namespace["RENDERERS"]


@pytest.mark.parametrize("source", CONSTRUCTS)
def test_each_construct_renders_as_jinja_does(source: str) -> None:
    expression = snippets.python_expression(source)
    assert expression is not None
    render = _compiled({source: expression})[source]
    for context in _contexts(60):
        _agree(render, source, context)


def _agree(render: Any, source: str, context: Dict[str, Any]) -> None:
    """The translation renders what Jinja renders, or fails where Jinja fails (num() of None)."""
    try:
        expected = jinja_render(source, context)
    except Exception as error:
        with pytest.raises(type(error)):
            render(context)
        return
    assert render(context) == expected, source


@pytest.mark.parametrize("source", UNSUPPORTED)
def test_anything_else_is_left_to_jinja(source: str) -> None:
    assert snippets.python_expression(source) is None
    context = {"title": "review", "purposes": ["coaching"], "attendees": 3}
    assert snippets.render_snippet(source, context) == jinja_render(source, context)


@pytest.mark.parametrize("source", [
    "{{ 'x' * attendees }}", "{{ '%150d' % attendees }}", "{{ title ~ title ~ title ~ title }}",
    "{{ title + title + title + title }}", "{{ title | replace('a', 'aaaaaaaaaaaaaaaa') }}", "{{ purposes | join(title) }}",
    "{{ '%s' % title }}{{ title }}{{ title }}{{ title }}",
])
def test_the_compiled_path_keeps_the_budget_jinja_keeps(source: str) -> None:
    from advisor.packs.budget import OverBudget

    expression = snippets.python_expression(source)
    assert expression is not None, "translated, so that the quick path is the one tested"
    render = _compiled({source: expression})[source]
    large = {"attendees": 100_000_000, "title": "a" * 12_000, "purposes": ["coaching"] * 20}
    small = {"attendees": 3, "title": "a", "purposes": ["coaching"]}
    for context in (large, small):
        try:
            expected = jinja_render(source, context)
        except OverBudget as slow:
            with pytest.raises(OverBudget) as fast:
                render(context)
            assert str(fast.value) == str(slow)
        else:
            assert context is small and render(context) == expected


def test_a_failing_snippet_fails_with_jinjas_own_error() -> None:
    source = "{{ load_hours | num }} hours"
    snippets.register(snippets.compile_renderers({source: snippets.python_expression(source)}))
    with pytest.raises(Exception) as fast:
        snippets.render_snippet(source, {"load_hours": None})
    with pytest.raises(Exception) as slow:
        jinja_render(source, {"load_hours": None})
    assert (type(fast.value), str(fast.value)) == (type(slow.value), str(slow.value))


# ----------------------------------------------------------------------------------- pack cache


def _copy_pack(tmp_path: Path) -> Path:
    pack = tmp_path / "pack"
    pack.mkdir()
    for path in default_rules_dir().glob("*.yaml"):
        (pack / path.name).write_bytes(path.read_bytes())
    return pack


def _same(one: rules.RulePack, other: rules.RulePack) -> None:
    assert [r._asdict() for r in one.rules] == [r._asdict() for r in other.rules]
    assert (one.name, one.digest) == (other.name, other.digest)


def test_a_cached_pack_is_the_pack_and_is_read_without_loading_rules(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path / "cache"))
    pack = _copy_pack(tmp_path)
    first = packcache.load_packs_cached([pack])
    assert len(list((tmp_path / "cache" / "packs").glob("*.marshal"))) == 1

    def no_loading(folders: Any) -> Any:
        raise AssertionError("the pack was loaded again")

    monkeypatch.setattr(packcache, "load_packs", no_loading)
    second = packcache.load_packs_cached([pack])
    _same(second, first)
    _same(second, rules.load_packs([pack]))


def test_a_pack_does_not_change_and_equals_its_cached_and_pickled_copies(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path / "cache"))
    pack = _copy_pack(tmp_path)
    first = packcache.load_packs_cached([pack])
    cached = packcache.load_packs_cached([pack])
    pickled = pickle.loads(pickle.dumps(first))
    assert cached is not first and cached == first and pickled == first
    assert pickled.digest == first.digest
    assert first != RulePack(first.rules[1:], first.name) and first != RulePack(first.rules, "other")
    with pytest.raises(AttributeError, match="does not change"):
        first.rules = ()
    assert len(first.rules) == len(cached.rules)


def test_a_changed_rule_file_is_loaded_again(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path / "cache"))
    pack = _copy_pack(tmp_path)
    before = packcache.load_packs_cached([pack])
    audience = pack / "audience.yaml"
    audience.write_text(audience.read_text().replace("necessity: -15", "necessity: -14", 1))
    after = packcache.load_packs_cached([pack])
    assert after.digest != before.digest
    _same(after, rules.load_packs([pack]))


def _cached_once(tmp_path: Path, monkeypatch) -> Tuple[Path, Path]:
    """A copy of the default pack, loaded once into an empty cache: the pack and its cache file."""
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path / "cache"))
    pack = _copy_pack(tmp_path)
    packcache.load_packs_cached([pack])
    stored, = (tmp_path / "cache" / "packs").glob("*.marshal")
    return pack, stored


def test_a_damaged_or_shared_cache_is_not_used(tmp_path: Path, monkeypatch) -> None:
    cache = tmp_path / "cache"
    pack, stored = _cached_once(tmp_path, monkeypatch)
    stored.write_bytes(b"\x00 not a pack")
    _same(packcache.load_packs_cached([pack]), rules.load_packs([pack]))
    if hasattr(os, "getuid"):
        os.chmod(cache / "packs", 0o777)
        calls = []
        monkeypatch.setattr(packcache, "load_packs", lambda folders: calls.append(1) or rules.load_packs(folders))
        packcache.load_packs_cached([pack])
        packcache.load_packs_cached([pack])
        assert calls == [1, 1]  # others may write there: neither read nor written


def test_a_cache_file_is_used_only_for_the_sources_it_was_made_from(tmp_path: Path, monkeypatch) -> None:
    import marshal

    pack, stored = _cached_once(tmp_path, monkeypatch)
    record = marshal.loads(stored.read_bytes())
    record["sources"] = record["sources"].replace(b"necessity: -15", b"necessity: -14", 1)  # as if names clashed
    record["rules"][0]["necessity"] += 50
    stored.write_bytes(marshal.dumps(record))
    _same(packcache.load_packs_cached([pack]), rules.load_packs([pack]))


def test_an_empty_cache_setting_turns_the_cache_off(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ADVISOR_CACHE_DIR", "")
    assert packcache.cache_dir() is None
    _same(packcache.load_packs_cached([_copy_pack(tmp_path)]), rules.load_packs([tmp_path / "pack"]))


def test_a_warm_json_check_imports_neither_jinja_nor_jsonschema(tmp_path: Path) -> None:
    probe = ("import sys; from advisor.cli.main import run; code = run(sys.argv[1:]); "
             "print(sorted({m.split('.')[0] for m in sys.modules} & {'jinja2', 'jsonschema', 'fastjsonschema'}), "
             "file=sys.stderr); sys.exit(code)")
    env = {**os.environ, "ADVISOR_CACHE_DIR": str(tmp_path / "cache")}
    command = [sys.executable, "-c", probe, "check", "--format", "json", str(EXAMPLES / "pipeline-review.yaml")]
    cold = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
    warm = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
    assert cold.stderr == "['jinja2']\n"  # the first run loads the pack, checking its snippets with Jinja
    assert warm.stderr == "[]\n"
    assert json.loads(warm.stdout) == json.loads(cold.stdout)
    assert not math.isnan(json.loads(warm.stdout)["score"])
