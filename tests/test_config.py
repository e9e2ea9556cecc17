"""advisor.yaml: reading with positions, extends chains, overrides and disabled rules, the CLI."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import EXAMPLES, proposal

from advisor.api import Advisor
from advisor.errors import ConfigError
from advisor.packs.config import Config, config_from_mapping, find_config, load_config

PIPELINE = str(EXAMPLES / "pipeline-review.yaml")  # load_hours 9: heavy-meeting-load does not fire
BRAINSTORM = str(EXAMPLES / "overloaded-brainstorm.yaml")  # load_hours 22: heavy-meeting-load fires


def _write(folder: Path, text: str, name: str = "advisor.yaml") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _problems(path: Path) -> list:
    with pytest.raises(ConfigError) as raised:
        Advisor(config=path)
    return [str(p) for p in raised.value.problems]


# ---------------------------------------------------------------------------- reading


def test_a_full_file_is_read(tmp_path: Path) -> None:
    _write(tmp_path / "acme", "- {id: acme-rule, description: d, when: {attendees: 3}, necessity: -5, "
                              "because: b, source: s}\n", "rules.yaml")
    path = _write(tmp_path, """\
extends: default
threshold: 55
currency: EUR
hourly_cost: {sales_rep: 45, sales_manager: 70}
packs: [acme]
disable: [daily-meeting]
overrides:
  heavy-meeting-load: {necessity: -20, formats: {call: 5}, alternative: decide_alone,
                       suggestion: "Ask {{ title }} to wait."}
""")
    config = load_config(path)
    assert (config.threshold, config.currency, dict(config.hourly_cost)) == (55, "EUR", {"sales_rep": 45,
                                                                                          "sales_manager": 70})
    assert config.packs == (tmp_path / "acme",) and config.default_pack
    assert list(config.disable) == ["daily-meeting"] and config.disable["daily-meeting"].line == 6
    override = config.overrides["heavy-meeting-load"]
    assert (override.necessity, dict(override.formats), override.alternative) == (-20, {"call": 5}, "decide_alone")
    assert str(override.mark) == f"{path}:8"
    advisor = Advisor(config=path)
    rules = advisor.pack.by_id()
    assert "daily-meeting" not in rules and "acme-rule" in rules
    heavy = rules["heavy-meeting-load"]
    assert (heavy.necessity, dict(heavy.formats), heavy.alternative, heavy.suggestion) == (
        -20, {"call": 5}, "decide_alone", "Ask {{ title }} to wait.")
    assert (advisor.threshold, advisor.currency, advisor.hourly_cost["sales_rep"]) == (55, "EUR", 45)


@pytest.mark.parametrize("text,expected", [
    ("treshold: 60\n", "1:1: treshold: unknown setting 'treshold'; did you mean 'threshold'?"),
    ("threshold: 101\n", "1:12: threshold: expected an integer from 0 to 100, found 101"),
    ("threshold: high\n", "1:12: threshold: expected an integer from 0 to 100, found 'high'"),
    ("currency: euro\n", "1:11: currency: expected a three-letter currency code in capitals (such as EUR or USD), "
                         "found 'euro'"),
    ("hourly_cost: {sales_rp: 40}\n", "1:15: hourly_cost.sales_rp: unknown role 'sales_rp'; did you mean 'sales_rep'?"),
    ("hourly_cost: {sales_rep: -1}\n", "1:26: hourly_cost.sales_rep: expected a number from 0 to 100000, found -1"),
    ("hourly_cost: {sales_rep: .nan}\n", "1:26: hourly_cost.sales_rep: expected a finite number, found nan"),
    ("disable: daily-meeting\n", "1:10: disable: expected a list, found 'daily-meeting'"),
    ("disable: [a, a]\n", "1:10: disable: "),  # the wording of duplicates is the proposals'
    ("overrides:\n  no-agenda: {necesity: -5}\n",
     "2:15: overrides.no-agenda.necesity: unknown effect 'necesity'; did you mean 'necessity'?"),
    ("overrides:\n  no-agenda: {formats: {zoom: 5}}\n",
     "2:25: overrides.no-agenda.formats.zoom: unknown format 'zoom'; expected one of call, video, one_on_one, formal"),
    ("overrides:\n  no-agenda: {necessity: 200}\n",
     "2:26: overrides.no-agenda.necessity: expected an integer from -100 to 100, found 200"),
    ("overrides:\n  no-agenda: {alternative: email}\n",
     "2:28: overrides.no-agenda.alternative: unknown alternative 'email': expected one of written_update"),
    ("overrides:\n  no-agenda: {}\n", "2:14: overrides.no-agenda: expected at least one effect to change"),
    ("overrides:\n  no-agenda: {suggestion: '{{ atendees }}'}\n",
     "overrides.no-agenda.suggestion: template uses unknown name 'atendees'; did you mean 'attendees'?"),
    ("overrides:\n  no-agenda: {media: {zoom: 5}}\n",
     "2:23: overrides.no-agenda.media.zoom: unknown medium 'zoom'; expected one of phone, video, hybrid, in_person"),
    ("what_if: {min_audience: 0.5}\n",
     "1:11: what_if.min_audience: unknown bound 'min_audience'; did you mean 'min_audience_share'?"),
    ("what_if: {min_audience_share: 2}\n", "1:31: what_if.min_audience_share: expected a number from 0 to 1, found 2"),
    ("what_if: {kept_roles: [prospects]}\n",
     "1:24: what_if.kept_roles[0]: unknown role 'prospects'; did you mean 'prospect'?"),
    ("packs: [nowhere]\n", "1:9: packs[0]: no such rule pack 'nowhere'"),
    ("extends: defualt\n", "1:10: extends: unknown base 'defualt'; did you mean 'default'?"),
    ("- threshold: 60\n", "1:1: expected a mapping of settings (threshold, disable, overrides ...), found a list"),
    ("threshold: [60\n", "YAML syntax error"),
    ("threshold: 0x" + "f" * 4000 + "\n", "1:12: threshold: expected an integer from 0 to 100, found '0xffff"),
    ("threshold: 1:00\n", "1:12: threshold: expected an integer from 0 to 100, found '1:00'"),
    ("threshold: " + "5" * 5000 + "\n", "1:12: threshold: number too long: 5,000 digits, at most 20 are read"),
])
def test_mistakes_are_one_line_with_file_line_and_column(tmp_path: Path, text: str, expected: str) -> None:
    path = _write(tmp_path, text)
    problems = _problems(path)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path}:")
    assert expected in problems[0]


def test_every_mistake_is_reported_at_once(tmp_path: Path) -> None:
    path = _write(tmp_path, "threshold: 101\ncurency: EUR\ndisable: [7]\n")
    assert _problems(path) == [
        f"{path}:1:12: threshold: expected an integer from 0 to 100, found 101",
        f"{path}:2:1: curency: unknown setting 'curency'; did you mean 'currency'?",
        f"{path}:3:11: disable[0]: expected non-empty text, found 7",
    ]


def test_unknown_rule_ids_point_at_the_setting(tmp_path: Path) -> None:
    path = _write(tmp_path, "disable: [dayly-meeting]\noverrides:\n  heavy-meeting-lod: {necessity: -20}\n")
    assert _problems(path) == [
        f"{path}:1:11: disable[0]: unknown rule 'dayly-meeting'; did you mean 'daily-meeting'?; the active packs "
        f"(default) have no such rule",
        f"{path}:3:3: overrides.heavy-meeting-lod: unknown rule 'heavy-meeting-lod'; did you mean "
        f"'heavy-meeting-load'?; the active packs (default) have no such rule",
    ]


def test_a_disabled_rule_cannot_be_overridden(tmp_path: Path) -> None:
    path = _write(tmp_path, "disable: [no-agenda]\noverrides:\n  no-agenda: {necessity: -5}\n")
    assert _problems(path) == [f"{path}:3:3: overrides.no-agenda: rule 'no-agenda' is disabled ({path}:1): "
                               f"overriding it has no effect"]


def test_an_empty_or_missing_file_is_an_error(tmp_path: Path) -> None:
    empty = _write(tmp_path, "# nothing\n")
    assert _problems(empty) == [f"{empty}: the file is empty: expected a YAML mapping"]
    assert _problems(tmp_path / "nope.yaml") == [f"{tmp_path / 'nope.yaml'}: cannot read the file: "
                                                 f"No such file or directory"]


# ---------------------------------------------------------------------------- extends


def test_a_file_extends_another_and_states_only_what_differs(tmp_path: Path) -> None:
    _write(tmp_path / "company", "threshold: 60\ncurrency: EUR\nhourly_cost: {sales_rep: 45}\n"
                                 "disable: [daily-meeting]\noverrides:\n  no-agenda: {necessity: -20, "
                                 "formats: {call: 5}}\n")
    team = _write(tmp_path / "team", "extends: ../company/advisor.yaml\nthreshold: 45\nhourly_cost: {sales_manager: 90}\n"
                                     "disable: [long-meeting]\noverrides:\n  no-agenda: {formats: {video: 5}}\n")
    config = load_config(team)
    assert config.files == (str((tmp_path / "company" / "advisor.yaml").resolve()), str(team))
    assert (config.threshold, config.currency) == (45, "EUR")
    assert dict(config.hourly_cost) == {"sales_rep": 45, "sales_manager": 90}
    assert sorted(config.disable) == ["daily-meeting", "long-meeting"]
    override = config.overrides["no-agenda"]
    assert (override.necessity, dict(override.formats)) == (-20, {"call": 5, "video": 5})


def test_extends_none_loads_only_the_packs_named(tmp_path: Path) -> None:
    _write(tmp_path / "own", "- {id: only-rule, description: d, when: {attendees: {gt: 0}}, necessity: 30, "
                             "because: b, source: s}\n", "rules.yaml")
    path = _write(tmp_path, "extends: none\npacks: [own]\n")
    advisor = Advisor(config=path)
    assert [rule.id for rule in advisor.pack.rules] == ["only-rule"]
    assert advisor.check(PIPELINE).score == 70
    lonely = _write(tmp_path, "extends: none\n", "lonely.yaml")
    assert _problems(lonely) == [f"{lonely}: no rule packs: 'extends: none' needs 'packs'"]


def test_an_extends_cycle_or_a_missing_base_is_refused(tmp_path: Path) -> None:
    first = _write(tmp_path, "extends: second.yaml\n", "first.yaml")
    _write(tmp_path, "extends: first.yaml\n", "second.yaml")
    (problem,) = _problems(first)
    assert problem.startswith(f"{tmp_path / 'second.yaml'}:1:10: extends: 'first.yaml' extends itself")
    missing = _write(tmp_path, "extends: base/advisor.yaml\n", "missing.yaml")
    assert _problems(missing) == [f"{missing}:1:10: extends: cannot read the file: No such file or directory "
                                  f"({(tmp_path / 'base' / 'advisor.yaml').resolve()})"]


# ---------------------------------------------------------------------------- effects and version


def test_an_override_changes_the_decision_and_the_version() -> None:
    plain = Advisor().check(BRAINSTORM)
    tuned = Advisor(overrides={"heavy-meeting-load": {"necessity": -40}}).check(BRAINSTORM)
    before = {f.rule: f.necessity for f in plain.fired}["heavy-meeting-load"]
    after = {f.rule: f.necessity for f in tuned.fired}["heavy-meeting-load"]
    assert (before, after) == (-15, -40)
    assert tuned.version != plain.version
    again = Advisor(overrides={"heavy-meeting-load": {"necessity": -40}}).check(BRAINSTORM)
    assert again.version == tuned.version  # the same settings name the same rules


def test_a_disabled_rule_never_fires_and_changes_the_version() -> None:
    loaded = proposal(recent_load={"meeting_hours": 16})
    plain = Advisor().check(loaded)
    assert "heavy-meeting-load" in {f.rule for f in plain.fired} and 15 <= plain.score <= 85
    tuned = Advisor(disable=["heavy-meeting-load"]).check(loaded)
    assert "heavy-meeting-load" not in {f.rule for f in tuned.fired}
    assert tuned.score == plain.score + 15 and tuned.version != plain.version


def test_a_format_override_of_zero_removes_the_format_points() -> None:
    advisor = Advisor(overrides={"remote-attendees": {"formats": {"video": 0, "call": 40}}})
    assert dict(advisor.pack.by_id()["remote-attendees"].formats) == {"call": 40, "formal": -20}


def test_a_media_override_changes_how_people_meet() -> None:
    coaching = {"title": "Call review", "purposes": "coaching", "duration_minutes": 30, "agenda": ["Calls"],
                "audience": [{"role": "sales_manager"}, {"role": "sales_rep", "remote": True}]}
    assert Advisor().check(coaching).medium == "video"
    phone_first = Advisor(overrides={"remote-attendees": {"media": {"phone": 40}}})
    assert dict(phone_first.pack.by_id()["remote-attendees"].media) == {"phone": 40, "video": 20, "in_person": -100}
    assert phone_first.check(coaching).medium == "phone"


def test_what_if_bounds_add_up_along_the_chain(tmp_path: Path) -> None:
    _write(tmp_path, "what_if: {max_length_minutes: 180, more_often: true}\n", "company.yaml")
    team = _write(tmp_path, "extends: company.yaml\nwhat_if: {max_length_minutes: 120}\n", "team.yaml")
    bounds = Advisor(config=team).what_if_bounds
    assert (bounds.max_length_minutes, bounds.more_often, bounds.min_audience_share) == (120, True, 0.5)


def test_arguments_win_over_the_file_which_wins_over_the_defaults(tmp_path: Path) -> None:
    path = _write(tmp_path, "threshold: 70\ncurrency: EUR\nhourly_cost: {sales_rep: 10}\n")
    assert (Advisor().threshold, Advisor().currency) == (50, "USD")
    assert (Advisor(config=path).threshold, Advisor(config=path).currency) == (70, "EUR")
    advisor = Advisor(config=path, threshold=20, currency="GBP", hourly_cost={"sales_rep": 30})
    assert (advisor.threshold, advisor.currency, advisor.hourly_cost["sales_rep"]) == (20, "GBP", 30)
    cheap = Advisor(config=path).check(PIPELINE).cost
    assert cheap.currency == "EUR" and cheap.amount < Advisor().check(PIPELINE).cost.amount


def test_a_config_object_or_mapping_works_like_a_file() -> None:
    config = config_from_mapping({"threshold": 90, "disable": ["no-agenda"]})
    advisor = Advisor(config=config)
    assert advisor.threshold == 90 and "no-agenda" not in advisor.pack.by_id()
    with pytest.raises(ConfigError) as raised:
        config_from_mapping({"extends": "company.yaml"})
    assert str(raised.value) == "<config>: extends: expected default or none, found 'company.yaml'"
    with pytest.raises(ConfigError) as raised:
        Advisor(disable=["no-agnda"])
    assert str(raised.value).startswith("<Advisor arguments>: disable[0]: unknown rule 'no-agnda'")


def test_the_earlier_arguments_still_work() -> None:
    assert Advisor(threshold=60).threshold == 60
    only = Advisor(rules=[EXAMPLES.parent / "rules"], extra_rules=[], threshold=50)
    assert only.pack.version == Advisor().pack.version
    assert isinstance(Advisor().config, Config) and Advisor().config.files == ()


# ---------------------------------------------------------------------------- the CLI


def test_check_reads_advisor_yaml_from_the_current_folder(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = cli("check", "-f", "json", PIPELINE)
    assert (code, json.loads(out)["threshold"]) == (0, 50)
    _write(tmp_path, "threshold: 95\ncurrency: EUR\n")
    assert find_config() is not None
    code, out, _ = cli("check", "-f", "json", PIPELINE)
    decision = json.loads(out)
    assert (code, decision["threshold"], decision["cost"]["currency"]) == (1, 95, "EUR")
    code, out, _ = cli("check", "-f", "json", "--threshold", "10", PIPELINE)
    assert (code, json.loads(out)["threshold"]) == (0, 10)


def test_check_config_option_and_its_errors(cli, tmp_path: Path) -> None:
    path = _write(tmp_path, "overrides:\n  no-agenda: {necesity: -5}\n", "team.yaml")
    code, out, err = cli("check", "--config", str(path), PIPELINE)
    assert (code, out) == (2, "")
    assert err == f"{path}:2:15: overrides.no-agenda.necesity: unknown effect 'necesity'; did you mean 'necessity'?\n"
    code, _, err = cli("check", "--config", str(tmp_path / "none.yaml"), PIPELINE)
    assert code == 2 and err == f"{tmp_path / 'none.yaml'}: cannot read the file: No such file or directory\n"
