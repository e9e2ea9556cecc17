"""Property-based tests: whatever the input, a decision or a clean refusal.

Random and mutated proposals, random bytes and random rule packs go through the CLI. The
outcome is exit 0 or 1 with a report, or exit 2 with one `file[:line:col]: message` line per
problem: never a traceback, never another exit code, never a hang (each example has a deadline).

The proposal tests drive `advisor.cli.run` in-process. Rule packs are fuzzed in a child
process (`rule_pack_fuzz`, run by a test below): a rule that crashed the C engine would kill
that process, and the test would report it, instead of killing pytest.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EXAMPLES = ROOT / "examples"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))

if str(ROOT) not in sys.path:  # when run as the rule fuzzing child process
    sys.path.insert(0, str(ROOT))

from advisor.cli.main import run  # noqa: E402
from advisor.core.facts import FACTS  # noqa: E402
from advisor.core.vocabulary import FORMATS, PURPOSES, RECURRENCES, ROLES  # noqa: E402

FAST = settings(max_examples=100, deadline=5000, suppress_health_check=[HealthCheck.too_slow])


def invoke(*args: str) -> Tuple[int, str, str]:
    """The CLI in-process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(args))
    return code, out.getvalue(), err.getvalue()


def assert_clean(code: int, out: str, err: str, sources: Sequence[str], decided: int = 0) -> None:
    """A decision (0, 1) with its JSON, or a refusal (2) whose every line names one of `sources`."""
    assert code in (0, 1, 2), (code, err)
    assert "Traceback" not in err and "internal error" not in err, err
    if code in (0, 1):
        assert err == ""
    else:
        lines = err.splitlines()
        assert lines, "exit 2 without a reason"
        for line in lines:
            assert any(line.startswith(source + ":") for source in sources), line
    if out:
        report = json.loads(out)
        verdicts = [d["verdict"] for d in (report if isinstance(report, list) else [report])]
        if decided:
            assert len(verdicts) == decided
        if code != 2:
            assert code == (0 if all(v == "hold" for v in verdicts) else 1)


# ------------------------------------------------------------------ proposals

TRICKY_TEXT = st.sampled_from([
    "{{ 7*7 }}", "{% for x in range(10**9) %}x{% endfor %}", "<script>alert(1)</script>", "", " ",
    "\x1b[31mred", "line\nbreak", "\U0001F680", "a\x00b", "é", "yes", "null", "*alias", "&anchor", "!!python/name:os",
])
SCALARS = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30), TRICKY_TEXT,
    st.sampled_from(PURPOSES + ROLES + RECURRENCES),
)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)), max_leaves=12)


def maybe(valid: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly (nine times in ten) a value of the right kind, else anything."""
    return st.integers(0, 9).flatmap(lambda dice: valid if dice else VALUES)


GROUP = st.fixed_dictionaries({"role": maybe(st.sampled_from(ROLES))}, optional={
    "count": maybe(st.integers(min_value=1, max_value=100_000)),
    "remote": maybe(st.booleans()),
    "external": maybe(st.booleans()),
    "name": maybe(st.text(max_size=20)),
    "hourly_cost": maybe(st.floats(min_value=0, max_value=100_000)),
    "meeting_hours_last_7_days": maybe(st.floats(min_value=0, max_value=200)),
})
PROPOSALS = st.fixed_dictionaries(
    {
        "title": maybe(st.one_of(st.text(min_size=1, max_size=40).filter(str.strip), TRICKY_TEXT)),
        "purposes": maybe(st.one_of(st.sampled_from(PURPOSES),
                                    st.lists(st.sampled_from(PURPOSES), min_size=1, max_size=4, unique=True))),
        "duration_minutes": maybe(st.integers(min_value=5, max_value=480)),
        "audience": maybe(st.lists(GROUP, min_size=1, max_size=4)),
    },
    optional={
        "decision_required": maybe(st.booleans()),
        "recurrence": maybe(st.sampled_from(RECURRENCES)),
        "agenda": maybe(st.lists(st.text(max_size=20), max_size=4)),
        "recent_load": maybe(st.fixed_dictionaries({}, optional={
            "window_days": st.integers(min_value=1, max_value=366),
            "meeting_hours": st.floats(min_value=0, max_value=200),
            "meetings": st.integers(min_value=0, max_value=100),
            "same_topic_days_ago": st.integers(min_value=0, max_value=36_500)})),
        "setting": maybe(st.fixed_dictionaries({}, optional={
            "reliable_internet": st.booleans(), "visual_material": st.booleans(), "sensitive": st.booleans()})),
        "version": maybe(st.just(1)),
    },
)
# now and then a field that does not exist
PROPOSALS = st.tuples(PROPOSALS, st.integers(0, 9), st.text(max_size=10), VALUES).map(
    lambda drawn: {**drawn[0], drawn[2]: drawn[3]} if drawn[1] == 0 else drawn[0])


def serialize(data: Any, how: str) -> bytes:
    if how == "json":
        return json.dumps(data).encode()  # NaN and Infinity are not JSON: YAML reads them as text
    if how == "json-utf8":
        return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8", errors="surrogatepass")
    return yaml.safe_dump(data, allow_unicode=True).encode("utf-8", errors="surrogatepass")


@FAST
@given(data=PROPOSALS, how=st.sampled_from(["yaml", "json", "json-utf8"]))
def test_random_proposals_are_decided_or_refused_cleanly(data, how):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "meeting.yaml")
        Path(path).write_bytes(serialize(data, how))
        code, out, err = invoke("check", "-f", "json", path)
        assert_clean(code, out, err, [path])
        event(f"exit {code}")  # --hypothesis-show-statistics shows how often each outcome is reached


TOKENS = [b"&a ", b"*a", b"*b ", b"!!python/object/apply:os.system ['true'] ", b"!!binary ", b"!x ", b"{", b"}",
          b"[", b"]", b"- ", b": ", b"? ", b"\x00", b"\xff", b"\xc3", b"'", b'"', b"\n", b"\t", b"  ", b"<<: *a\n",
          b"---\n", b"...\n", b"%YAML 1.1\n", b"{{ 7*7 }}", b"\xef\xbb\xbf", b"1e400", b".nan", b"-.inf", b"#",
          b"\\ud83d", b"99999999999999999999999", b"~", b"yes", b"|\n", b">-\n", b"\r\n", b"\xe2\x80\xa8"]
MUTATION = st.tuples(st.floats(min_value=0, max_value=1), st.sampled_from(["insert", "replace", "delete"]),
                     st.one_of(st.sampled_from(TOKENS), st.binary(min_size=1, max_size=4)))


def mutate(raw: bytes, mutations: List[Tuple[float, str, bytes]]) -> bytes:
    for where, how, payload in mutations:
        at = int(where * len(raw))
        if how == "insert":
            raw = raw[:at] + payload + raw[at:]
        elif how == "replace":
            raw = raw[:at] + payload + raw[at + len(payload):]
        else:
            raw = raw[:at] + raw[at + len(payload):]
    return raw


@FAST
@given(example=st.sampled_from(EXAMPLE_FILES), mutations=st.lists(MUTATION, min_size=1, max_size=6))
def test_mutated_examples_are_decided_or_refused_cleanly(example, mutations):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, example.name)
        Path(path).write_bytes(mutate(example.read_bytes(), mutations))
        code, out, err = invoke("check", "-f", "json", path)
        assert_clean(code, out, err, [path])
        event(f"exit {code}")


@settings(max_examples=80, deadline=5000)
@given(raw=st.binary(max_size=600))
def test_random_bytes_are_refused_cleanly(raw):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "junk.yaml")
        Path(path).write_bytes(raw)
        code, out, err = invoke("check", "-f", "json", path)
        assert_clean(code, out, err, [path])


def test_hostile_files_through_a_real_process(tmp_path):
    laughs = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    laughs += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    hostile = {
        "laughs.yaml": "\n".join(laughs).encode(),
        "tag.yaml": f"title: !!python/object/apply:os.system ['touch {tmp_path / 'ran'}']\n".encode(),
        "deep.yaml": b"a: " + b"[" * 100_000,
        "junk.yaml": bytes(range(256)) * 4,
        "big.yaml": b"# " + b"x" * (2 * 1024 * 1024),
    }
    for name, raw in hostile.items():
        (tmp_path / name).write_bytes(raw)
    files = [str(tmp_path / name) for name in hostile] + [str(EXAMPLES / "coaching-1on1.yaml")]
    done = subprocess.run([sys.executable, "-m", "advisor", "check", "-f", "json", *files], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert [d["verdict"] for d in json.loads(done.stdout)] == ["hold"]  # the one good file, in an array
    lines = done.stderr.splitlines()
    assert [line.split(":", 1)[0] for line in lines] == files[:-1]  # one line per bad file, in order
    assert not (tmp_path / "ran").exists()
    assert_clean(done.returncode, done.stdout, done.stderr, files, decided=1)


# ------------------------------------------------------------------ rule packs (in a child process)

# Sound rules, which reach the engine (where a crash would show), and anything else, which must be refused.
ORDERED = ("lt", "lte", "gt", "gte")
NUMBERS = st.one_of(st.integers(min_value=-5, max_value=500),
                    st.floats(min_value=-5, max_value=500).map(lambda x: round(x, 6)),
                    st.sampled_from([0.00001, 2.5e-7, 1e9, 0.5]))


@st.composite
def sound_test(draw: Any) -> Dict[str, Any]:
    fact = draw(st.sampled_from(sorted(FACTS)))
    spec = FACTS[fact]
    if spec.is_list:
        words = st.sampled_from(spec.words)
        operator = draw(st.sampled_from(["contains", "contains_any", "contains_all", "subset_of"]))
        operand = draw(words if operator == "contains" else st.lists(words, min_size=1, max_size=3))
        return {fact: {operator: operand}}
    value = {"int": NUMBERS, "number": NUMBERS, "bool": st.booleans(), "word": st.sampled_from(spec.words)}[spec.kind]
    operators = ["eq", "ne", "in", "not_in", "known"] + (list(ORDERED) + ["between"] if spec.kind in ("int", "number")
                                                         else [])
    operator = draw(st.sampled_from(operators))
    if operator == "known":
        return {fact: {"known": draw(st.booleans())}}
    if operator in ("in", "not_in"):
        return {fact: {operator: draw(st.lists(value, min_size=1, max_size=3))}}
    if operator == "between":
        return {fact: {"between": sorted(draw(st.lists(NUMBERS, min_size=2, max_size=2)))}}
    operand = draw(value)
    return {fact: operand} if operator == "eq" and draw(st.booleans()) else {fact: {operator: operand}}


def _any_test(fact_and_operator: Tuple[str, str], operand: Any) -> Dict[str, Any]:
    fact, operator = fact_and_operator
    return {fact: {operator: operand}}


ANY_TEST = st.builds(_any_test, st.tuples(st.sampled_from(sorted(FACTS) + ["atendees", "all", "x"]),
                                          st.sampled_from(["eq", "gt", "between", "in", "contains", "gtt", "known"])),
                     VALUES)


def conditions(leaf: st.SearchStrategy) -> st.SearchStrategy:
    return st.recursive(leaf, lambda inner: st.one_of(
        st.fixed_dictionaries({"all": st.lists(inner, min_size=1, max_size=3)}),
        st.fixed_dictionaries({"any": st.lists(inner, min_size=1, max_size=2)}),
        st.fixed_dictionaries({"not": inner}),
    ), max_leaves=4)


SOUND_TEMPLATES = st.lists(st.sampled_from([
    "Because.", "{{ attendees }} people", "{{ purposes | join(' and ') }}", "{{ cost | money }} USD",
    "{{ title }}", "{% if recurring %}recurring{% endif %}", "{{ roles | length }} roles", "{{ attendee_hours | num }}",
]), min_size=1, max_size=3).map(" ".join)
BAD_TEMPLATES = st.sampled_from([
    "{{ load_hours | num }} h", "{{ atendees }}", "{{ attendees ", "{{ title.__class__ }}", "{{ nope | num }}",
    "{{ 6 // (purpose_count - 1) }}", "{{ title | num }}",
])
SOUND_RULE = st.fixed_dictionaries(
    {"when": conditions(sound_test()), "because": SOUND_TEMPLATES},
    optional={
        "necessity": st.integers(min_value=-100, max_value=100),
        "formats": st.dictionaries(st.sampled_from(FORMATS), st.integers(-100, 100), max_size=3),
        "alternative": st.sampled_from(["written_update", "one_on_one", "postpone"]),
        "suggestion": SOUND_TEMPLATES,
    },
).map(lambda rule: {"description": "A rule.", "source": "Fuzz", **rule})
ANY_RULE = st.fixed_dictionaries(
    {"id": st.sampled_from(["company-a", "coaching-one-on-one", "no-agenda", "Bad Id", ""]),
     "when": st.one_of(conditions(st.one_of(sound_test(), ANY_TEST)), VALUES),
     "because": st.one_of(SOUND_TEMPLATES, BAD_TEMPLATES, VALUES)},
    optional={
        "description": VALUES,
        "necessity": st.one_of(st.integers(min_value=-120, max_value=120), VALUES),
        "formats": st.one_of(st.dictionaries(st.sampled_from(FORMATS + ("vidoe",)), st.integers(-120, 120),
                                             max_size=3), VALUES),
        "alternative": st.sampled_from(["written_update", "emial"]),
        "suggestion": st.one_of(SOUND_TEMPLATES, BAD_TEMPLATES),
        "replaces": st.one_of(st.booleans(), VALUES),
        "sorce": VALUES,
    },
).map(lambda rule: {"description": "A rule.", "source": "Fuzz", **rule})
# Sound packs: new ids, and default ids that say they replace the default rule.
DEFAULT_IDS = ["coaching-one-on-one", "no-agenda", "shortfall-needs-discussion"]


def _with_ids(rules: List[Dict[str, Any]], replaced: List[bool]) -> List[Dict[str, Any]]:
    named = []
    for index, (rule, replace) in enumerate(zip(rules, replaced)):
        if replace and index < len(DEFAULT_IDS):
            named.append({"id": DEFAULT_IDS[index], "replaces": True, **rule})
        else:
            named.append({"id": f"company-{index}", **rule})
    return named


SOUND_PACKS = st.lists(SOUND_RULE, min_size=1, max_size=5).flatmap(
    lambda rules: st.lists(st.booleans(), min_size=len(rules), max_size=len(rules)).map(
        lambda replaced: _with_ids(rules, replaced)))
PACKS = st.one_of(SOUND_PACKS.map(lambda pack: ("sound", pack)), SOUND_PACKS.map(lambda pack: ("sound", pack)),
                  st.lists(ANY_RULE, min_size=1, max_size=4).map(lambda pack: ("any", pack)),
                  VALUES.map(lambda pack: ("any", pack)))


def rule_pack_fuzz(max_examples: int = 60) -> None:
    """Random rule packs beside the default one, each checked against a few examples."""
    examples = [str(EXAMPLES / name) for name in ("coaching-1on1.yaml", "pipeline-review.yaml",
                                                  "status-broadcast.yaml")]
    base = tempfile.mkdtemp(prefix="advisor-rule-fuzz-")
    counter = iter(range(10**9))
    outcomes: Dict[int, int] = {}

    @settings(max_examples=max_examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(kind_and_pack=PACKS, as_json=st.booleans())
    def check(kind_and_pack: Tuple[str, Any], as_json: bool) -> None:
        kind, pack = kind_and_pack
        folder = os.path.join(base, f"pack{next(counter)}")
        os.mkdir(folder)
        path = os.path.join(folder, "rules.yaml")
        text = json.dumps(pack) if as_json else yaml.safe_dump(pack, allow_unicode=True)
        Path(path).write_text(text, encoding="utf-8", errors="surrogatepass")
        code, out, err = invoke("check", "-f", "json", "--rules", folder, *examples)
        # a refused pack names its file; a template failing on one example names its rule's file
        assert_clean(code, out, err, [path, folder])
        assert code == 2 or len(json.loads(out)) == len(examples)
        if kind == "sound":  # accepted, unless the engine could not hold a condition
            assert code != 2 or all("condition too complex for the engine" in line for line in err.splitlines()), err
        outcomes[code] = outcomes.get(code, 0) + 1

    try:
        check()
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print("outcomes", json.dumps(outcomes))


def test_rule_packs_never_crash_the_engine():
    script = "import test_fuzz; test_fuzz.rule_pack_fuzz()"
    done = subprocess.run([sys.executable, "-c", script], cwd=HERE, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    outcomes = json.loads(done.stdout.rsplit("outcomes ", 1)[1])
    # both sound packs (decided by the engine) and broken ones (refused) were tried
    assert outcomes.get("2", 0) > 0 and outcomes.get("0", 0) + outcomes.get("1", 0) > 0, outcomes
