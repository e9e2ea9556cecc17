"""`advisor rules`: list, show, validate, test and document the active rule packs.

The active packs are what `advisor check` would use: the default pack (unless the
configuration says `extends: none`), the configuration's `packs`, then each `--rules`,
with the configuration's `disable` and `overrides` applied. The configuration is
`--config FILE`, else ./advisor.yaml when there is one.
"""
from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

import click

from advisor.api import Advisor
from advisor.cli.main import EXIT_ERROR
from advisor.cli.output import write_atomically
from advisor.core.rules import Rule
from advisor.errors import InputError, did_you_mean
from advisor.inputs.files import read_file
from advisor.inputs.yamlsafe import load_yaml
from advisor.packs.config import find_config
from advisor.packs.explain import condition_text, rule_tree
from advisor.packs.purposes import PurposeRules, load_purpose_rules
from advisor.report.catalogue import render_catalogue, rule_summary, shown_path

EXIT_OK = 0
EXIT_FAILED = 1


def _pack_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option("--rules", "rule_dirs", multiple=True, type=click.Path(),
                           help="Add a rule pack (folder or file), as for 'advisor check'. Repeatable.")(command)
    return click.option("--config", "config_file", type=click.Path(dir_okay=False),
                        help="Settings file; by default ./advisor.yaml when there is one.")(command)


def _advisor(config_file: Optional[str], rule_dirs: Sequence[str]) -> Advisor:
    return Advisor(extra_rules=rule_dirs, config=find_config(config_file))


@click.group()
def rules() -> None:
    """List, show, validate, test and document the active rule packs.

    \b
    Examples:
      advisor rules list
      advisor rules show heavy-meeting-load
      advisor rules test --rules my-rules --coverage
      advisor rules doc -o RULES.md
    """


# ---------------------------------------------------------------------------- list


@rules.command("list")
@click.option("--format", "-f", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--missing-lang", type=click.Choice(["ar"]),
              help="Only the rules whose 'because' or 'suggestion' has no text in this language (shown in English).")
@click.option("--purposes", "purposes_only", is_flag=True,
              help="Only the purpose rules, which read what a meeting is for from its title (advisor audit).")
@_pack_options
def list_rules(fmt: str, config_file: Optional[str], rule_dirs: Sequence[str], missing_lang: Optional[str] = None,
               purposes_only: bool = False) -> int:
    """Every rule of the active packs: id, pack, effects, description and source; with
    --purposes, the purpose rules that `advisor audit` reads meeting titles with."""
    advisor = _advisor(config_file, rule_dirs)
    if purposes_only:
        purpose_rules = load_purpose_rules(advisor.folders)
        entries = [{"id": r.id, "pack": r.pack, "purposes": list(r.purposes), "words": list(r.written),
                 "description": r.description, "file": shown_path(r.file), "line": r.line} for r in purpose_rules.rules]
        if fmt == "json":
            click.echo(json.dumps(entries, indent=2, ensure_ascii=False))
        else:
            click.echo(_purpose_table(purpose_rules), nl=False)
        return EXIT_OK
    listed = advisor.pack.rules
    if missing_lang:
        from advisor.report.i18n import missing_translations

        untranslated = {rule_id for rule_id, _ in missing_translations(advisor.pack, missing_lang)}
        listed = tuple(rule for rule in listed if rule.id in untranslated)
    summaries = [rule_summary(rule, advisor.config) for rule in listed]
    if missing_lang and not summaries and fmt == "table":
        click.echo(f"Every rule has its texts in '{missing_lang}'.")
        return EXIT_OK
    if fmt == "json":
        click.echo(json.dumps(summaries, indent=2, ensure_ascii=False))
        return EXIT_OK
    rows = [[[s["id"]], [s["pack"]], effects_lines(s["effects"], bool(s["overridden_by"])),
             [s["description"], "Source: " + s["source"]]] for s in summaries]
    click.echo(_table(["ID", "PACK", "EFFECTS", "DESCRIPTION AND SOURCE"], rows), nl=False)
    overridden = sorted({s["overridden_by"].rsplit(":", 1)[0] for s in summaries if s["overridden_by"]})
    if overridden:
        click.echo(f"* effects set by {', '.join(overridden)}")
    return EXIT_OK


def _purpose_table(purpose_rules: PurposeRules) -> str:
    rows = [[[r.id], [r.pack], [", ".join(r.purposes)], [r.description, "Words: " + ", ".join(r.written)]]
            for r in purpose_rules.rules]
    return _table(["ID", "PACK", "PURPOSES", "DESCRIPTION AND WORDS"], rows)


EFFECTS_WIDTH = 32  # the table's effects column, so that descriptions keep their room on a 120-column terminal


def effects_lines(effects: Dict[str, Any], overridden: bool = False) -> List[str]:
    """['-15', 'video +10, call -5', 'by phone +30', 'instead postpone', 'suggests']; '*' marks effects set by
    settings."""
    parts = []
    if effects.get("necessity"):
        parts.append(f"{effects['necessity']:+d}")
    if effects.get("formats"):
        parts.append(", ".join(f"{name} {points:+d}" for name, points in effects["formats"].items()))
    if effects.get("media"):
        parts.append("by " + ", ".join(f"{name} {points:+d}" for name, points in effects["media"].items()))
    if effects.get("alternative"):
        parts.append(f"instead {effects['alternative']}")
    if effects.get("suggestion"):
        parts.append("suggests")
    parts = [line for part in parts for line in textwrap.wrap(part, EFFECTS_WIDTH)] or ["none"]
    return [f"* {parts[0]}"] + parts[1:] if overridden else parts


def effects_text(effects: Dict[str, Any]) -> str:
    """'-15; video +10, call -5; instead postpone; suggests'."""
    return "; ".join(effects_lines(effects))


def _table(headers: List[str], rows: List[List[List[str]]]) -> str:
    """Cells of one or more lines; the last column's paragraphs wrap to the terminal's width."""
    width = shutil.get_terminal_size((120, 24)).columns
    fixed = [max(len(line) for row in rows for line in row[i]) for i in range(len(headers) - 1)]
    fixed = [max(w, len(h)) for w, h in zip(fixed, headers)]
    room = max(40, width - sum(fixed) - 2 * len(fixed))
    lines = []
    for row in [[[h] for h in headers]] + rows:
        cells = row[:-1] + [[line for text in row[-1] for line in textwrap.wrap(text, room) or [""]]]
        for n in range(max(len(cell) for cell in cells)):
            parts = [(cell[n] if n < len(cell) else "").ljust(fixed[i] if i < len(fixed) else 0)
                     for i, cell in enumerate(cells)]
            lines.append("  ".join(parts).rstrip())
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- show


@rules.command("show")
@click.argument("rule_id", metavar="ID")
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_pack_options
def show(rule_id: str, fmt: str, config_file: Optional[str], rule_dirs: Sequence[str]) -> int:
    """One rule in full: its YAML as written, where it is, the effects in force, what it compiles to."""
    advisor = _advisor(config_file, rule_dirs)
    found = advisor.pack.by_id().get(rule_id)
    if found is None:
        disabled = advisor.config.disable.get(rule_id)
        reason = f"is disabled ({disabled})" if disabled else "is in no active pack"
        click.echo(f"advisor rules show: rule '{rule_id}' {reason} ({advisor.pack.name})"
                   f"{did_you_mean(rule_id, advisor.pack.by_id())}", err=True)
        return EXIT_ERROR
    summary = rule_summary(found, advisor.config)
    written = written_yaml(found)
    when = condition_text(rule_tree(found))
    if fmt == "json":
        click.echo(json.dumps({**summary, "yaml": written, "when": found.when, "when_text": when,
                               "because": found.because, "facts": list(found.facts),
                               "compiled": found.condition}, indent=2, ensure_ascii=False))
        return EXIT_OK
    click.echo(f"{found.id}  (pack {found.pack}, {summary['file']}:{found.line})\n")
    click.echo(textwrap.indent(written, "  "))
    click.echo("\nWhen:    " + when)
    effects = effects_text(summary["effects"])
    override = advisor.config.overrides.get(found.id)
    if override is not None:
        effects += f"   (set by {override.mark}: {', '.join(f'{k} {v}' for k, v in override.effects().items())})"
    click.echo("Effects: " + effects)
    click.echo("Compiles to (durable_rules):")
    click.echo(textwrap.indent(json.dumps(found.condition, indent=2), "  "))
    return EXIT_OK


def written_yaml(rule: Rule) -> str:
    """The rule's text in its file: from its `- id:` line to the line before the next rule."""
    raw = read_file(rule.file)
    lines = raw.decode("utf-8-sig").splitlines()
    document = load_yaml(raw, rule.file)
    starts = sorted(where[0] for key, where in document.positions.items() if len(key) == 1)
    end = next((line - 1 for line in starts if line > rule.line), len(lines))
    block = lines[rule.line - 1:end]
    while block and (not block[-1].strip() or block[-1].lstrip().startswith("#")):
        block.pop()  # blank lines and the next rule's leading comments
    return "\n".join(block)


# ---------------------------------------------------------------------------- validate


@rules.command("validate")
@click.argument("paths", nargs=-1, type=click.Path())
@_pack_options
def validate(paths: Sequence[str], config_file: Optional[str], rule_dirs: Sequence[str]) -> int:
    """Load and check rule packs (and their tests/ case files) without checking a proposal.

    PATHS are rule packs added to the active ones, as --rules would add them. Exit 0 when
    everything loads, 2 with one line per problem otherwise.
    """
    advisor = _advisor(config_file, list(rule_dirs) + list(paths))
    purpose_rules = load_purpose_rules(advisor.folders)
    test_folders = _test_folders(advisor)
    from advisor.packs.casetests import load_cases
    from advisor.packs.purposecases import load_purpose_cases

    cases = sum(len(load_cases(folder)) + len(load_purpose_cases(folder)) for folder in test_folders)
    config = f", settings from {', '.join(advisor.config.files)}" if advisor.config.files else ""
    tests = f", {cases} test cases" if test_folders else ""
    purposes = f", {len(purpose_rules.rules)} purpose rules" if purpose_rules.rules else ""
    click.echo(f"valid: {len(advisor.pack.rules)} rules in {advisor.pack.name}{purposes}{tests}{config}")
    return EXIT_OK


def _test_folders(advisor: Advisor) -> List[Path]:
    """The tests/ folders of the active packs that are folders."""
    return [folder / "tests" for folder in advisor.folders if (folder / "tests").is_dir()]


# ---------------------------------------------------------------------------- test


@rules.command("test")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--coverage", is_flag=True, help="Name the rules that no case makes fire; any makes the run fail.")
@click.option("--verbose", "-v", is_flag=True, help="List the cases that pass too.")
@_pack_options
def test(paths: Sequence[str], coverage: bool, verbose: bool, config_file: Optional[str],
         rule_dirs: Sequence[str]) -> int:
    """Run rule-pack tests: case files of proposals and the decisions they must get.

    PATHS are case files or folders of them; without PATHS, the tests/ folder of each active
    pack. Each failure is printed with its differences, then 'N passed, N failed'.

    \b
    Exit codes: 0 every case passes (and, with --coverage, every rule fires in some case),
    1 a case fails (or a rule fires in none), 2 a case file, rule pack or setting is wrong.
    """
    from advisor.packs.casetests import coverage as rule_coverage
    from advisor.packs.casetests import load_cases, run_cases
    from advisor.packs.purposecases import load_purpose_cases, purpose_coverage, run_purpose_cases

    advisor = _advisor(config_file, rule_dirs)
    purpose_rules = load_purpose_rules(advisor.folders)
    folders = [Path(p) for p in paths] or _test_folders(advisor)
    if not folders:
        raise InputError([_no_tests(advisor)])
    cases = [case for folder in folders for case in load_cases(folder)]
    purpose_cases = [case for folder in folders for case in load_purpose_cases(folder)]
    results = run_cases(advisor, cases)
    purpose_results = run_purpose_cases(purpose_rules, purpose_cases)
    outcomes = [(r.case.file, r.case.line, r.case.name, r.passed, r.failures) for r in results]
    outcomes += [(r.case.file, r.case.line, r.case.name, r.passed, r.failures) for r in purpose_results]
    for file, line, name, passed, failures in outcomes:
        where = f"{shown_path(file)}:{line}: {name}"
        if not passed:
            click.echo(f"FAIL {where}")
            for failure in failures:
                click.echo(f"  {failure}")
        elif verbose:
            click.echo(f"ok   {where}")
    failed = sum(1 for outcome in outcomes if not outcome[3])
    uncovered: List[str] = []
    if coverage:
        uncovered, _ = rule_coverage(advisor, results)
        fired = len(advisor.pack.rules) - len(uncovered)
        summary = f"coverage: {fired} of {len(advisor.pack.rules)} rules fire in some case"
        click.echo(summary + (f"; never fired: {', '.join(uncovered)}" if uncovered else ""))
        if purpose_results:  # measured when purpose cases ran
            unread = purpose_coverage(purpose_rules, purpose_results)
            summary = (f"coverage: {len(purpose_rules.rules) - len(unread)} of {len(purpose_rules.rules)} purpose "
                       "rules fire in some case")
            click.echo(summary + (f"; never fired: {', '.join(unread)}" if unread else ""))
            uncovered += unread
    click.echo(f"{len(outcomes) - failed} passed, {failed} failed")
    return EXIT_FAILED if failed or uncovered else EXIT_OK


def _no_tests(advisor: Advisor) -> Any:
    from advisor.errors import Problem

    packs = ", ".join(str(folder) for folder in advisor.folders)
    return Problem("advisor rules test", f"no tests: give case files, or add a tests/ folder to a pack ({packs})")


# ---------------------------------------------------------------------------- doc


@rules.command("doc")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write the catalogue to this file (atomically) instead of standard output.")
@click.option("--template", type=click.Path(exists=True, dir_okay=False),
              help="A Jinja template of your own instead of the shipped catalogue.md.j2.")
@_pack_options
def doc(output: Optional[str], template: Optional[str], config_file: Optional[str], rule_dirs: Sequence[str]) -> int:
    """The catalogue of the active rules, in Markdown, from a Jinja template."""
    advisor = _advisor(config_file, rule_dirs)
    text = render_catalogue(advisor.pack, advisor.config, threshold=advisor.threshold, base=advisor.base,
                            currency=advisor.currency, template=Path(template) if template else None)
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomically(Path(output), text)
    return EXIT_OK
