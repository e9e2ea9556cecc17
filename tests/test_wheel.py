"""The wheel carries rules/ and templates/: install it in a fresh venv and run it elsewhere."""
from __future__ import annotations

import json
import subprocess

from conftest import EXAMPLES, ROOT


def test_installed_cli_runs_from_another_directory(installed, tmp_path):
    done = subprocess.run([str(installed / "bin" / "advisor"), "check", "--format", "json",
                           str(EXAMPLES / "pipeline-review.yaml")], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    decision = json.loads(done.stdout)
    assert (decision["verdict"], decision["format"], decision["rules"]["pack"]) == ("hold", "video", "default")


def test_wheel_ships_rules_and_templates(installed, tmp_path):
    probe = ("import advisor, advisor.resources as r; "
             "print(advisor.__file__); print(sorted(p.name for p in r.default_rules_dir().glob('*.yaml'))); "
             "print(sorted(p.name for p in r.templates_dir().glob('*.j2')))")
    done = subprocess.run([str(installed / "bin" / "python"), "-c", probe], cwd=tmp_path,
                          capture_output=True, text=True, check=True)
    location, rules, templates = done.stdout.splitlines()
    assert location.startswith(str(installed))
    assert rules == str(sorted(p.name for p in (ROOT / "rules").glob("*.yaml")))
    assert templates == str(sorted(p.name for p in (ROOT / "templates").glob("*.j2")))
    markdown = subprocess.run([str(installed / "bin" / "advisor"), "check", "-f", "markdown",
                               str(EXAMPLES / "status-broadcast.yaml")], cwd=tmp_path, capture_output=True, text=True)
    assert markdown.returncode == 1 and markdown.stdout.startswith("## SKIP: Weekly numbers")
