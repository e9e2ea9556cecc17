"""Bad proposals: each kind of error is one exact line on stderr, with file, line and column.

Every test goes through the CLI (`advisor.cli.run`), as a user meets the error.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from conftest import EXAMPLES, ROOT

VALID = ("title: Weekly pipeline review\n"
         "purposes: [sales_shortfall]\n"
         "duration_minutes: 30\n"
         "audience:\n"
         "  - role: sales_manager\n"
         "  - role: sales_rep\n"
         "    count: 3\n")


@pytest.fixture
def refused(cli, tmp_path):
    """Check `content` (text or bytes) as meeting.yaml: the stderr lines, with the path made relative."""

    def check(content, name: str = "meeting.yaml"):
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        code, out, err = cli("check", "-f", "json", str(path))
        assert (code, out) == (2, ""), err
        return err.replace(str(tmp_path) + os.sep, "").splitlines()

    return check


# ------------------------------------------------------------------ the proposal's contract


def test_wrong_type_names_field_expectation_and_value(refused):
    text = VALID.replace("count: 3", "count: many")
    assert refused(text) == ["meeting.yaml:7:12: audience[1].count: expected an integer from 1 to 100000, found 'many'"]


def test_unknown_vocabulary_word_suggests_the_nearest(refused):
    text = VALID.replace("[sales_shortfall]", "[sales_shortfall, stauts_update]")
    assert refused(text) == ["meeting.yaml:2:29: purposes[1]: unknown purpose 'stauts_update'; "
                             "did you mean 'status_update'?"]


def test_unknown_word_far_from_any_lists_the_choices(refused):
    text = VALID.replace("role: sales_manager", "role: boss")
    assert refused(text) == ["meeting.yaml:5:11: audience[0].role: unknown role 'boss': expected one of sales_rep, "
                             "sales_manager, executive, technical_expert, developer, manufacturing, marketing, "
                             "finance, financial_planner, customer, prospect, other"]


def test_unknown_field_suggests_the_nearest(refused):
    assert refused(VALID + "recurence: weekly\n") == [
        "meeting.yaml:8:1: recurence: unknown field 'recurence'; did you mean 'recurrence'?"]


def test_unknown_field_far_from_any_lists_the_fields(refused):
    assert refused(VALID + "setting: {projector: true}\n") == [
        "meeting.yaml:8:11: setting.projector: unknown field 'projector'; expected one of reliable_internet, "
        "visual_material, sensitive, about_one_person, individual_failures, location"]


def test_missing_required_field_points_at_the_mapping(refused):
    text = VALID.replace("duration_minutes: 30\n", "")
    assert refused(text) == ["meeting.yaml:1:1: missing required field 'duration_minutes'"]


def test_every_problem_of_a_file_is_reported_in_file_order(refused):
    text = ("title: ''\n"
            "purposes: [coaching, coaching]\n"
            "duration_minutes: 1000\n"
            "audience: [{role: sales_rep, remote: maybe}]\n"
            "recent_load: {meeting_hours: .inf}\n")
    assert refused(text) == [
        "meeting.yaml:1:8: title: expected non-empty text, found ''",
        "meeting.yaml:2:11: purposes: 'coaching' is listed twice",
        "meeting.yaml:3:19: duration_minutes: expected an integer from 5 to 480, found 1000",
        "meeting.yaml:4:38: audience[0].remote: expected true or false, found 'maybe'",
        "meeting.yaml:5:30: recent_load.meeting_hours: expected a finite number, found inf",
    ]


def test_purposes_neither_word_nor_list(refused):
    text = VALID.replace("[sales_shortfall]", "[]")
    assert refused(text) == ["meeting.yaml:2:11: purposes: expected a purpose or a non-empty list of purposes, "
                             "found an empty list"]


def test_top_level_not_a_mapping(refused):
    assert refused("- title: x\n") == ["meeting.yaml:1:1: expected a mapping of fields at the top level, found a list"]
    assert refused("just words\n") == ["meeting.yaml:1:1: expected a mapping of fields at the top level, "
                                       "found 'just words'"]
    assert refused("null\n") == ["meeting.yaml:1:1: expected a mapping of fields at the top level, "
                                 "found nothing (null)"]


# ------------------------------------------------------------------ hostile or broken YAML


def test_constructing_tags_are_refused_and_nothing_runs(refused, tmp_path):
    marker = tmp_path / "ran"
    text = f"title: !!python/object/apply:os.system ['touch {marker}']\n" + VALID.split("\n", 1)[1]
    assert refused(text) == ["meeting.yaml:1:8: title: the YAML tag '!!python/object/apply:os.system' "
                             "is not allowed: only plain data is read"]
    assert not marker.exists()


@pytest.mark.parametrize("tag", ["!!python/name:os.system", "!!binary", "!!set", "!custom"])
def test_every_other_constructing_tag_is_refused(refused, tag):
    (line,) = refused(f"title: {tag} x\n")
    assert line == f"meeting.yaml:1:8: title: the YAML tag '{tag}' is not allowed: only plain data is read"


def test_file_too_large(refused):
    assert refused("# " + "x" * (1024 * 1024) + "\n") == [
        "meeting.yaml: file too large: over the limit of 1048576 bytes (1 MiB)"]


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_device_is_refused_not_read(cli):
    code, _, err = cli("check", "/dev/zero")
    assert (code, err) == (2, "/dev/zero: cannot read the file: it is a device, not a file\n")


def test_an_endless_pipe_is_read_no_further_than_the_limit(cli, tmp_path):
    import subprocess

    endless = subprocess.Popen(["yes", "title: x"], stdout=subprocess.PIPE)  # never ends by itself
    pipe = f"/dev/fd/{endless.stdout.fileno()}"  # as the shell names <(yes 'title: x')
    try:
        code, _, err = cli("check", pipe)
    finally:
        endless.kill()
        endless.wait()
        endless.stdout.close()
    assert (code, err) == (2, f"{pipe}: file too large: over the limit of 1048576 bytes (1 MiB)\n")


def test_nesting_depth(refused):
    assert refused("agenda: " + "[" * 40 + "]" * 40 + "\n") == [
        "meeting.yaml:1:40: nested more than 32 levels deep; a meeting proposal is far flatter"]


def test_node_count(refused):
    # the mapping, its key and the list are 3 values: item 19,997 (from 0) is the 20,001st, at column 10 + 3 x 19,997
    assert refused("agenda: [" + ", ".join(["x"] * 20_001) + "]\n") == [
        "meeting.yaml:1:60001: too many values: more than 20000 (aliases expanded); a meeting proposal is far smaller"]


def test_alias_references(refused):
    text = "a: &a x\nagenda: [" + ", ".join(["*a"] * 201) + "]\n"
    assert refused(text) == ["meeting.yaml:2:810: agenda[200]: too many alias references (*name): more than 200"]


def test_billion_laughs_is_refused_after_a_few_thousand_values(refused):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    # 9^10 "lol"s once expanded; lines 1-4 hold 8,307 values, each *a3 expands to 7,381:
    # the second *a3 of line 5 passes 20,000
    assert refused("\n".join(lines) + "\n") == [
        "meeting.yaml:5:15: too many values: more than 20000 (aliases expanded); a meeting proposal is far smaller"]


def test_empty_file(refused):
    assert refused("") == ["meeting.yaml: the file is empty: expected a YAML mapping"]
    assert refused("# only a comment\n\n") == ["meeting.yaml: the file is empty: expected a YAML mapping"]


def test_not_utf8_names_the_byte_and_where_it_is(refused):
    assert refused(VALID.encode() + "description: Caf\xe9\n".encode("latin-1")) == [
        "meeting.yaml:8:17: not UTF-8 text: byte 0xe9 cannot be decoded; save the file as UTF-8"]


def test_control_character(refused):
    assert refused(VALID + "description: a\x07b\n") == [
        "meeting.yaml:8:15: the character U+0007 is not allowed in YAML text "
        "(write it as an escape inside double quotes)"]


def test_duplicate_key(refused):
    assert refused(VALID + "title: Again\n") == ["meeting.yaml:8:1: title: duplicate key 'title' (first at line 1)"]


def test_key_that_is_not_text(refused):
    assert refused(VALID + "yes: 1\n") == ["meeting.yaml:8:1: a key must be text, found true (write it in quotes)"]


def test_syntax_error(refused):
    assert refused("title: [unclosed\npurposes: x\n") == [
        "meeting.yaml:2:9: YAML syntax error: did not find expected ',' or ']' "
        "(while parsing a flow sequence at line 1, column 8)"]


def test_more_than_one_document(refused):
    assert refused(VALID + "---\n" + VALID) == [
        "meeting.yaml:8:1: more than one YAML document ('---'): a file holds one"]


def test_unknown_alias(refused):
    assert refused(VALID + "agenda: [*items]\n") == [
        "meeting.yaml:8:10: agenda[0]: unknown alias '*items' (an anchor '&items' must come first)"]


def test_merge_keys_work_and_merge_only_mappings(refused, cli, tmp_path):
    path = tmp_path / "merged.yaml"
    path.write_text(VALID.replace("  - role: sales_rep\n", "  - &rep {role: sales_rep}\n  - <<: *rep\n"))
    code, out, err = cli("check", "-f", "json", str(path))
    assert (code in (0, 1), err) == (True, "")
    assert json.loads(out)["facts"]["attendees"] == 5
    assert refused(VALID + "setting:\n  <<: 3\n") == [
        "meeting.yaml:9:7: setting.<<: '<<' merges mappings only (such as '<<: *base')"]


def test_missing_file_and_folder(cli, tmp_path):
    code, _, err = cli("check", str(tmp_path / "nope.yaml"), str(tmp_path))
    assert code == 2
    assert err.splitlines() == [f"{tmp_path / 'nope.yaml'}: cannot read the file: No such file or directory",
                                f"{tmp_path}: no proposal files (*.yaml, *.yml) in this folder or below it"]


def test_control_characters_in_a_file_name_stay_on_one_line(cli, tmp_path):
    path = tmp_path / "two\nlines.yaml"
    path.write_text("title: [")
    code, _, err = cli("check", str(path))
    assert code == 2 and err.count("\n") == 1 and "two\\nlines.yaml:2:1: YAML syntax error" in err


# ------------------------------------------------------------------ JSON is YAML, with positions


def test_json_errors_have_positions(refused):
    text = ('{"title": "Review", "purposes": ["coaching"], "duration_minutes": "30",\n'
            ' "audience": [{"role": "sales_rep", "count": 0}], "title": "again"}\n')
    assert refused(text, "meeting.json") == ["meeting.json:2:51: title: duplicate key 'title' (first at line 1)"]
    text = text.replace(', "title": "again"', "")
    assert refused(text, "meeting.json") == [
        "meeting.json:1:67: duration_minutes: expected an integer from 5 to 480, found '30'",
        "meeting.json:2:46: audience[0].count: expected an integer from 1 to 100000, found 0",
    ]


def test_json_surrogate_pairs_are_read_and_later_columns_stay_right(refused, cli, tmp_path):
    proposal = {"title": "Launch \U0001F680", "purposes": ["product_update"], "duration_minutes": 30,
                "audience": [{"role": "sales_rep", "count": 4}]}
    path = tmp_path / "emoji.json"
    path.write_text(json.dumps(proposal, separators=(",", ":")))  # ASCII, the rocket as \ud83d\ude80
    assert "\\ud83d\\ude80" in path.read_text()
    code, out, err = cli("check", "-f", "json", str(path))
    assert (err, json.loads(out)["meeting"]) == ("", "Launch \U0001F680")
    broken = json.dumps({**proposal, "duration_minutes": "long"}, separators=(",", ":"))
    column = broken.index('"long"') + 1
    assert refused(broken, "emoji.json") == [
        f"emoji.json:1:{column}: duration_minutes: expected an integer from 5 to 480, found 'long'"]


@pytest.mark.parametrize("written", ["1:30", "0x1e", "017", "0b11110", "3_0", "1:30.5", "0o36"])
def test_numbers_only_yaml_1_1_reads_stay_text_and_a_number_field_says_so(refused, written):
    text = VALID.replace("duration_minutes: 30", f"duration_minutes: {written}")
    assert refused(text) == [f"meeting.yaml:3:19: duration_minutes: expected an integer from 5 to 480, "
                             f"found '{written}'"]


def test_a_title_in_base_60_is_text_and_costs_nothing_to_read(cli, tmp_path):
    path = tmp_path / "m.yaml"
    title = "1:59" + ":59" * 200_000  # 600 KB; YAML 1.1 makes it one integer, at a cost quadratic in its length
    path.write_text(VALID.replace("title: Weekly pipeline review", f"title: {title}"))
    code, out, err = cli("check", "-f", "json", "--no-what-if", str(path))
    assert (code, err) == (1, "") and json.loads(out)["meeting"] == title


@pytest.mark.parametrize("written,digits", [("9" * 21, "21"), ("-" + "9" * 5000, "5,000"), ("1" * 4400, "4,400")])
def test_an_integer_too_long_is_refused_before_it_is_converted(refused, written, digits):
    text = VALID.replace("duration_minutes: 30", f"duration_minutes: {written}")
    assert refused(text) == [f"meeting.yaml:3:19: duration_minutes: number too long: {digits} digits, "
                             "at most 20 are read"]
    assert refused(f'{{"title": "x", "count": {written}}}', "m.json") == [
        f"m.json:1:25: count: number too long: {digits} digits, at most 20 are read"]


@pytest.mark.parametrize("tagged", ['!!int "0x1e"', '!!int "1:30"', '!!float "1:30"'])
def test_a_number_tag_takes_decimal_digits_only(refused, tagged):
    text = VALID.replace("duration_minutes: 30", f"duration_minutes: {tagged}")
    kind = tagged[2:tagged.index(" ")]
    assert refused(text) == [f"meeting.yaml:3:19: duration_minutes: cannot read the value "
                             f"{tagged.split(' ')[1].replace(chr(34), chr(39))} as {kind}: "
                             "expected a number in decimal digits"]


def test_a_lone_surrogate_is_refused_as_bad_text(refused):
    assert refused('{"title": "Launch \\ud83d"}\n', "m.json") == [
        "m.json:1:19: not valid text: the escape \\ud83d is half of a character (a lone surrogate); "
        "write the character itself"]
    assert refused('title: "a \\udc00 b"\n') == [
        "meeting.yaml:1:11: not valid text: the escape \\udc00 is half of a character (a lone surrogate); "
        "write the character itself"]


def test_exponent_numbers_as_json_writes_them(cli, tmp_path):
    path = tmp_path / "load.json"
    path.write_text(json.dumps({"title": "x", "purposes": "coaching", "duration_minutes": 3e1,
                                "audience": [{"role": "sales_rep", "hourly_cost": 1e-05}]}))
    code, out, err = cli("check", "-f", "json", str(path))
    assert err == "" and json.loads(out)["facts"]["duration_minutes"] == 30


# ------------------------------------------------------------------ text is data


def test_proposal_text_is_never_evaluated(cli, tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(VALID.replace("Weekly pipeline review", "'{{ 7*7 }} {% if true %}x{% endif %}'"))
    code, out, err = cli("check", str(path))
    assert err == "" and "{{ 7*7 }} {% if true %}x{% endif %}" in out and "49" not in out
    code, out, err = cli("check", "-f", "json", str(path))
    assert json.loads(out)["meeting"] == "{{ 7*7 }} {% if true %}x{% endif %}"


def test_html_escapes_proposal_text(cli, tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(VALID.replace("Weekly pipeline review", "'<script>alert(1)</script> & co'"))
    code, out, err = cli("check", "-f", "html", str(path))
    assert err == "" and "<script>" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in out


HOSTILE_TITLE = 'Q3 review \\e]0;pwned\\a\\e[2J\\x9b31m \\u202eevil\\u2066 \\u200e\\u200f\\u061c\\n- APPROVED by CFO'


@pytest.mark.parametrize("options", [(), ("--color", "always"), ("--lang", "ar"), ("--explain",)])
def test_terminal_text_shows_control_and_bidi_characters_escaped(cli, tmp_path, options):
    path = tmp_path / "m.yaml"
    path.write_text(VALID.replace("Weekly pipeline review", f'"{HOSTILE_TITLE}"'))
    code, out, err = cli("check", *options, str(path))
    assert err == ""
    shown = "Q3 review \\x1b]0;pwned\\x07\\x1b[2J\\x9b31m \\u202eevil\\u2066 \u200e\u200f\u061c\\n- APPROVED by CFO"
    assert shown in out  # the marks Arabic text uses are kept as they are
    colours = re.findall("\x1b\\[[0-9;]*m", out)
    assert "\x1b]" not in out and "\x9b" not in out and "\u202e" not in out and "\u2066" not in out
    assert out.count("\x1b") == len(colours) and (len(colours) > 0) == ("always" in options)
    assert "\n- APPROVED" not in out


def test_an_error_line_shows_control_and_bidi_characters_escaped(cli, tmp_path):
    path = tmp_path / "\u202egnp.yaml"
    path.write_text("title: [\n")
    code, _, err = cli("check", str(path))
    assert code == 2 and err.startswith(f"{tmp_path}/\\u202egnp.yaml:2:1: YAML syntax error") and "\u202e" not in err


def test_markdown_keeps_the_title_on_its_line(cli, tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(VALID.replace("Weekly pipeline review", '"Q3 review\\n- APPROVED by CFO\\n# Done"'))
    code, out, err = cli("check", "-f", "markdown", "--explain", str(path))
    assert err == "" and "## SKIP: Q3 review\\n- APPROVED by CFO\\n\\# Done\n" in out
    assert not any(line.startswith(("- APPROVED", "# Done")) for line in out.splitlines())
    assert "### Rules for Q3 review\\n- APPROVED by CFO\\n\\# Done\n" in out


# ------------------------------------------------------------------ nothing lost


def test_bad_files_are_reported_and_the_others_decided(cli, tmp_path):
    (tmp_path / "a.yaml").write_text("title: [\n")
    (tmp_path / "b.yaml").write_text(VALID.replace("count: 3", "count: -1"))
    code, out, err = cli("check", "-f", "json", str(tmp_path / "a.yaml"), str(EXAMPLES / "coaching-1on1.yaml"),
                         str(tmp_path / "b.yaml"), str(EXAMPLES / "status-broadcast.yaml"))
    assert code == 2
    assert [d["verdict"] for d in json.loads(out)] == ["hold", "skip"]
    assert err.splitlines() == [
        f"{tmp_path / 'a.yaml'}:2:1: YAML syntax error: did not find expected node content "
        "(while parsing a flow node at line 2, column 1)",
        f"{tmp_path / 'b.yaml'}:7:12: audience[1].count: expected an integer from 1 to 100000, found -1",
    ]


def test_output_is_kept_when_the_run_fails(cli, tmp_path):
    target = tmp_path / "report.json"
    target.write_text("previous report\n")
    os.chmod(target, 0o640)
    code, _, _ = cli("check", "-f", "json", "-o", str(target), str(tmp_path / "missing.yaml"))
    assert code == 2 and target.read_text() == "previous report\n"
    code, _, _ = cli("check", "-f", "json", "-o", str(target), str(EXAMPLES / "coaching-1on1.yaml"))
    assert code == 0 and json.loads(target.read_text())["verdict"] == "hold"
    assert target.stat().st_mode & 0o777 == 0o640  # the replaced file keeps its mode


def test_interrupted_write_leaves_the_old_report_and_no_temporary(cli, tmp_path, monkeypatch):
    target = tmp_path / "report.json"
    target.write_text("previous report\n")

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    code, _, err = cli("check", "-f", "json", "-o", str(target), str(EXAMPLES / "coaching-1on1.yaml"))
    assert (code, err.strip()) == (130, "advisor: interrupted")
    assert target.read_text() == "previous report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_unwritable_output_is_one_line_and_exit_2(cli, tmp_path):
    target = tmp_path / "no" / "such" / "report.json"
    code, out, err = cli("check", "-f", "json", "-o", str(target), str(EXAMPLES / "coaching-1on1.yaml"))
    assert (code, out, err) == (2, "", f"{target}: cannot write the output: No such file or directory\n")


def test_standard_input_is_bounded(cli, monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"#" * (1024 * 1024 + 1))))
    assert cli("check", "-") == (2, "", "<stdin>: file too large: over the limit of 1048576 bytes (1 MiB)\n")


# ------------------------------------------------------------------ never a traceback


def test_internal_error_asks_for_a_report_and_debug_shows_the_traceback(tmp_path):
    # A bug simulated in a real process: the rule engine's module is replaced by one that raises.
    (tmp_path / "durable_rules_engine.py").write_text("def create_ruleset(*a):\n    raise RuntimeError('boom')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    command = [sys.executable, "-m", "advisor", "check", str(EXAMPLES / "coaching-1on1.yaml")]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 70 and done.stdout == ""
    assert done.stderr == ("advisor: internal error (RuntimeError: boom); please report it with the input that "
                           "caused it (--debug shows the traceback)\n")
    done = subprocess.run(command[:3] + ["--debug"] + command[3:], capture_output=True, text=True, env=env,
                          cwd=tmp_path)
    assert done.returncode == 70
    assert "Traceback (most recent call last)" in done.stderr and "RuntimeError: boom" in done.stderr


# ------------------------------------------------------------------ the schema


def test_schema_command_prints_a_schema_every_example_meets(cli):
    from jsonschema import Draft202012Validator

    from advisor.inputs.yamlsafe import load_yaml

    code, out, err = cli("schema")
    assert (code, err) == (0, "")
    schema = json.loads(out)
    assert out.startswith('{\n  "$schema"')  # indented by 2
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    examples = sorted(EXAMPLES.glob("*.yaml"))
    assert len(examples) >= 5
    for path in examples:
        data = load_yaml(path.read_bytes(), str(path)).data
        assert list(validator.iter_errors(data)) == [], path.name
    wrong = load_yaml((EXAMPLES / "coaching-1on1.yaml").read_bytes(), "x").data
    wrong["audience"][0]["count"] = "many"
    wrong["purposes"] = ["stauts_update"]
    assert sorted(e.json_path for e in validator.iter_errors(wrong)) == ["$.audience[0].count", "$.purposes[0]"]
