from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import venv
from functools import lru_cache
from pathlib import Path
from typing import List, Tuple

import pytest

# Nothing a test run does writes outside temporary folders: the pack cache, Hypothesis's example
# database, and whatever the processes it starts (Chromium, pip, gunicorn) keep under HOME go to
# one folder made for this run, removed at its end. Set before any test module is imported.
SCRATCH = Path(tempfile.mkdtemp(prefix="advisor-tests-"))
os.environ.update({
    "ADVISOR_CACHE_DIR": str(SCRATCH / "cache"),
    "HYPOTHESIS_STORAGE_DIRECTORY": str(SCRATCH / "hypothesis"),
    "HOME": str(SCRATCH / "home"),
    "XDG_CACHE_HOME": str(SCRATCH / "home" / ".cache"),
    "XDG_CONFIG_HOME": str(SCRATCH / "home" / ".config"),
    "XDG_DATA_HOME": str(SCRATCH / "home" / ".local" / "share"),
})
(SCRATCH / "home").mkdir()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(SCRATCH, ignore_errors=True)

from advisor.api import Advisor  # noqa: E402 - after the environment above: nothing sees the real HOME
from advisor.cli.main import run  # noqa: E402
from advisor.core.decision import Decision  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="session")
def advisor() -> Advisor:
    return Advisor()


@pytest.fixture
def cli(capsys):
    """Run the CLI in-process: (exit code, stdout, stderr)."""

    def invoke(*args: str) -> Tuple[int, str, str]:
        code = run(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


@lru_cache(maxsize=None)
def default_advisor() -> Advisor:
    """One Advisor of the default pack for the tests that need it outside fixtures."""
    return Advisor()


@lru_cache(maxsize=None)
def decided(name: str) -> Decision:
    """The decision on an example, with what would change the answer; made once per run."""
    return default_advisor().check(EXAMPLES / name, what_if=True)


def expected_examples() -> List[Tuple[str, str, str]]:
    rows = (EXAMPLES / "expected.tsv").read_text().splitlines()
    return [tuple(row.split("\t")) for row in rows if row.strip()]  # type: ignore[misc]


def proposal(**fields):
    """A small valid proposal, with `fields` replacing its defaults."""
    base = {
        "title": "Test meeting",
        "purposes": ["problem_solving"],
        "duration_minutes": 30,
        "agenda": ["One", "Two"],
        "audience": [{"role": "sales_manager"}, {"role": "sales_rep", "count": 3}],
    }
    base.update(fields)
    return base


def write_yaml(path: Path, data) -> Path:
    path.write_text(json.dumps(data))  # JSON is YAML
    return path


@pytest.fixture(scope="session")
def installed(tmp_path_factory) -> Path:
    """The wheel of this tree, built and installed once in a fresh venv."""
    work = tmp_path_factory.mktemp("wheel")
    # Built from a copy: setuptools writes build/ and *.egg-info beside the sources it builds.
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(work / "dist"), str(source)], check=True, cwd=work)
    wheel, = (work / "dist").glob("*.whl")
    env = work / "venv"
    venv.EnvBuilder(with_pip=True).create(env)
    python = env / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], check=True)
    # The dependencies come from this environment (no network, no compiling durable-rules again);
    # written after the install, so that pip cannot mistake this environment's advisor for the wheel's.
    (Path(site) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return env
