"""The rules for readers: one rule as `advisor rules list --format json` shows it, and the
Markdown catalogue of the active rules (`advisor rules doc`)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, List, Optional

from advisor.core.numbers import num
from advisor.core.rules import Rule, RulePack
from advisor.core.vocabulary import ALTERNATIVES
from advisor.packs.budget import rendering, report_limits
from advisor.packs.config import Config
from advisor.packs.explain import condition_text, rule_tree
from advisor.report.templates import loader, read_template, render_file_template, sandbox
from advisor.resources import templates_dir


def rule_summary(rule: Rule, config: Config) -> Dict[str, Any]:
    """A rule as `rules list --format json` shows it, with the effects in force under `config`."""
    override = config.overrides.get(rule.id)
    return {
        "id": rule.id,
        "pack": rule.pack,
        "description": rule.description,
        "effects": {"necessity": rule.necessity, "formats": dict(rule.formats), "media": dict(rule.media),
                    "alternative": rule.alternative, "suggestion": rule.suggestion},
        "source": rule.source,
        "file": shown_path(rule.file),
        "line": rule.line,
        "overridden_by": str(override.mark) if override else None,
    }


def shown_path(file: str) -> str:
    """A rule file's path relative to the current folder when it is inside it."""
    try:
        return str(Path(file).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return file


def render_catalogue(pack: RulePack, config: Config, *, threshold: int, base: int, currency: str,
                     template: Optional[Path] = None) -> str:
    """The rules of `pack` under `config`, rendered by templates/catalogue.md.j2 (or `template`)."""
    from jinja2 import StrictUndefined

    source = None if template is None else read_template(template)  # a bad file fails before any work
    folders = ([template.parent] if template else []) + [templates_dir()]
    environment = sandbox(loader=loader(folders), undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                          keep_trailing_newline=True)
    environment.filters.update(num=num, signed=lambda n: f"{n:+d}")
    groups: Dict[str, List[Dict[str, Any]]] = {}
    for rule in pack.rules:
        entry = {**rule_summary(rule, config), "when": condition_text(rule_tree(rule)), "because": rule.because,
                 "alternative_text": ALTERNATIVES.get(rule.alternative or ""),
                 "defined_in": f"{Path(rule.file).name}:{rule.line}"}
        groups.setdefault(f"{rule.pack}: {Path(rule.file).stem}", []).append(entry)
    context = {
        "groups": groups,
        "rules": [entry for entries in groups.values() for entry in entries],
        "pack": pack.name,
        "version": pack.version,
        "threshold": threshold,
        "base": base,
        "currency": currency,
        "settings": [os.path.basename(f) for f in config.files],
        "disabled": sorted(config.disable),
    }
    limits = report_limits(len(pack.rules))
    if template is None:
        with rendering(limits):
            return environment.get_template("catalogue.md.j2").render(context)
    return render_file_template(environment, template, context, limits, source)
