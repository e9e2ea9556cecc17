"""Every reference a reader may follow points to something that exists.

References are looked for in README.md, ARCHITECTURE.md, docs/, the package's code, the rule
packs' sources, the templates, CI, the `--help` of every command and the OpenAPI document:
* repository paths (`docs/decision.md`, `advisor/inputs/yamlsafe.py`, `rules/tests/`);
* Markdown links, and the headings their anchors name;
* dotted names of the package (`advisor.report.render`, `advisor.inputs.validation`).
"""
from __future__ import annotations

import importlib
import importlib.util
import json
import re
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest
from conftest import ROOT

from advisor.cli.main import main, run
from advisor.server.openapi import openapi_document

TOP_FOLDERS = ("docs", "advisor", "templates", "rules", "examples", "bench", "tests", ".ci", "spec")
PATH = re.compile(r"(?<![\w/.~-])((?:%s)/[\w./-]*[\w/]|(?:README|ARCHITECTURE)\.md)" % "|".join(map(re.escape, TOP_FOLDERS)))
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
DOTTED = re.compile(r"(?<![\w.-])advisor(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
# Dotted words that are not module paths: file names, a logger's name, and the data packages
# that setup.cfg maps from rules/, templates/ and examples/ into the wheel.
NOT_MODULES = {"advisor.yaml", "advisor.yml", "advisor.po", "advisor.mo", "advisor.pot", "advisor.exe",
               "advisor.serve", "advisor.rules", "advisor.templates", "advisor.examples"}


def _sources() -> Iterator[Tuple[str, str]]:
    """(where, text) of everything a reader may follow a reference from."""
    files = [ROOT / "README.md", ROOT / "ARCHITECTURE.md", ROOT / "setup.cfg", ROOT / "babel.cfg", ROOT / ".ci" / "run"]
    files += sorted((ROOT / "docs").glob("*.md")) + sorted((ROOT / "docs").glob("*.py"))
    files += sorted((ROOT / "advisor").rglob("*.py")) + sorted((ROOT / "rules").rglob("*.yaml"))
    files += sorted((ROOT / "templates").glob("*.j2")) + sorted((ROOT / "bench").glob("*.py"))
    for file in files:
        if file.name != "_meeting_validator.py":  # generated
            yield str(file.relative_to(ROOT)), file.read_text(encoding="utf-8")
    yield "the OpenAPI document", json.dumps(openapi_document())
    for command, text in _help_texts().items():
        yield f"advisor {command} --help", text


def _help_texts() -> Dict[str, str]:
    import click

    texts: Dict[str, str] = {}

    def walk(group: click.Group, prefix: List[str]) -> None:
        context = click.Context(group)
        for name in group.list_commands(context):
            command = group.get_command(context, name)
            assert command is not None
            with click.Context(command, info_name=name) as sub:
                texts[" ".join(prefix + [name])] = command.get_help(sub)
            if isinstance(command, click.Group):
                walk(command, prefix + [name])

    walk(main, [])
    return texts


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", text))


def _anchors(markdown: Path) -> List[str]:
    return [_slug(line.lstrip("#")) for line in markdown.read_text(encoding="utf-8").splitlines()
            if line.startswith("#")]


def test_every_path_named_exists() -> None:
    missing = []
    for where, text in _sources():
        for match in PATH.finditer(text):
            named = ROOT / match.group(1)
            if not (named.exists() or named.with_name(named.name + ".py").exists()):  # a module's path
                missing.append(f"{where}: {match.group(1)}")
    assert not missing, "\n".join(sorted(set(missing)))


def test_every_markdown_link_leads_somewhere() -> None:
    missing = []
    for markdown in [ROOT / "README.md", ROOT / "ARCHITECTURE.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in LINK.findall(markdown.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+:", target):  # https:, mailto:
                continue
            path, _, anchor = target.partition("#")
            file = (markdown.parent / path).resolve() if path else markdown
            if not file.exists():
                missing.append(f"{markdown.name}: {target} (no such file)")
            elif anchor and file.suffix == ".md" and anchor not in _anchors(file):
                missing.append(f"{markdown.name}: {target} (no such heading)")
    assert not missing, "\n".join(missing)


def _prose(where: str, text: str) -> str:
    """What a reader reads as text, where `advisor.x` names a module rather than a variable:
    in Python, strings and comments (not doctest lines); in Markdown, what is outside fenced
    code, and the import lines inside it."""
    if where.endswith(".py"):
        import io
        import tokenize

        tokens = tokenize.generate_tokens(io.StringIO(text).readline)
        parts = [re.sub(r"\{[^{}]*\}", "", t.string) if t.string[:1] in "fF" else t.string  # not f-string code
                 for t in tokens if t.type in (tokenize.STRING, tokenize.COMMENT)]
        return "\n".join(line for part in parts for line in part.splitlines() if ">>>" not in line)
    if where.endswith(".md"):
        kept, fenced = [], False
        for line in text.splitlines():
            if line.startswith("```"):
                fenced = not fenced
            elif not fenced or re.match(r"^\s*(from|import) advisor", line):
                kept.append(line)
        return "\n".join(kept)
    return text


def test_every_module_named_exists() -> None:
    missing = []
    for where, text in _sources():
        for name in set(DOTTED.findall(_prose(where, text))) - NOT_MODULES:
            if not _resolves(name):
                missing.append(f"{where}: {name}")
    assert not missing, "\n".join(sorted(missing))


def _resolves(dotted: str) -> bool:
    """`advisor.x.y` is a module, or a module's attribute (then its own attributes)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        module = ".".join(parts[:cut])
        try:
            if importlib.util.find_spec(module) is None:
                continue
        except ModuleNotFoundError:  # a parent is a module, not a package
            continue
        value: object = importlib.import_module(module)
        for attribute in parts[cut:]:
            if not hasattr(value, attribute):
                return False
            value = getattr(value, attribute)
        return True
    return False


@pytest.mark.parametrize("reference", ["spec/decision.md", "docs/nothing.md", "advisor/gone.py"])
def test_the_path_check_sees_a_missing_file(reference: str) -> None:
    assert PATH.search(f"see {reference} for more") and not (ROOT / reference).exists()


def test_the_module_check_sees_a_missing_module() -> None:
    assert _resolves("advisor.report.render.render_many") and not _resolves("advisor.auditlog")
    assert not _resolves("advisor.calendar.read_calendars")


def test_help_reaches_every_subcommand() -> None:
    assert {"check", "rules", "rules test", "load", "schema", "serve"} <= set(_help_texts())
    assert run(["check", "--help"]) == 0


def test_every_name_the_package_exports_imports() -> None:
    import advisor

    assert all(getattr(advisor, name) is not None for name in advisor.__all__)
    assert advisor.render.__module__ == "advisor.report.render" and advisor.to_dict.__module__ == "advisor.report.json_format"
