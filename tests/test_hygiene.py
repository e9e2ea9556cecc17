"""A test run writes nothing outside temporary folders (conftest.py points everything there)."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from advisor.packs.cache import cache_dir

TEMP = Path(tempfile.gettempdir()).resolve()


def _inside_temp(path: Path) -> bool:
    return TEMP in path.resolve().parents


def test_the_pack_cache_of_a_test_run_is_a_temporary_folder() -> None:
    folder = cache_dir()
    assert folder is not None and _inside_temp(folder), folder


def test_home_and_hypothesis_point_into_a_temporary_folder() -> None:
    for name in ("HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "HYPOTHESIS_STORAGE_DIRECTORY"):
        assert _inside_temp(Path(os.environ[name])), name
    assert _inside_temp(Path.home())


def test_a_child_process_caches_its_pack_in_the_temporary_folder() -> None:
    probe = "from advisor.packs.cache import cache_dir; print(cache_dir())"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert _inside_temp(Path(done.stdout.strip())), done.stdout
