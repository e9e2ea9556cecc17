"""Random, valid meeting proposals (docs/proposal.md), reproducible from a seed.

Values are spread across the thresholds the default rules test (2, 9 and 19 attendees,
15 and 20 hours of meetings a week, an hour's length, 7 days since the last meeting ...),
so that every rule fires on some proposals and not on others. Used by the benchmarks and
by the tests that compare engine paths.

    python bench/proposals.py DIR [COUNT] [SEED]    # writes COUNT files into DIR
"""
from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from advisor.core.vocabulary import PURPOSES, RECURRENCES, ROLES  # noqa: E402

_DURATIONS = (5, 10, 15, 25, 30, 45, 60, 61, 90, 120, 180, 240, 480)
_COUNTS = (1, 1, 1, 2, 3, 5, 7, 8, 12, 17, 20, 40, 150)
_HOURS = (0, 3.5, 8, 12, 14.75, 15, 16.5, 18, 20, 24.25, 31)


def proposal(rng: random.Random, number: int = 0) -> Dict[str, Any]:
    """One proposal as plain data, as a YAML file would hold it."""
    data: Dict[str, Any] = {
        "title": f"Proposal {number}: {rng.choice(['pipeline', 'awards', 'demo', 'training', 'numbers', 'plan'])}",
        "purposes": rng.sample(PURPOSES, rng.choice((1, 1, 1, 2, 2, 3))),
        "duration_minutes": rng.choice(_DURATIONS),
        "audience": [_group(rng) for _ in range(rng.choice((1, 1, 2, 2, 3, 4)))],
    }
    if rng.random() < 0.3:
        data["purposes"] = data["purposes"][0]  # one purpose may be written without a list
    if rng.random() < 0.6:
        data["decision_required"] = rng.random() < 0.5
    if rng.random() < 0.6:
        data["recurrence"] = rng.choice(RECURRENCES)
    if rng.random() < 0.7:
        data["agenda"] = [f"Item {i + 1}" for i in range(rng.choice((0, 1, 2, 3, 5)))]
    if rng.random() < 0.3:
        data["organizer"] = {"name": "Dana Reyes", "role": rng.choice(ROLES)}
    if rng.random() < 0.7:
        data["recent_load"] = _load(rng)
    if rng.random() < 0.7:
        data["setting"] = {key: rng.random() < 0.5 for key in ("reliable_internet", "visual_material", "sensitive",
                                                               "about_one_person", "individual_failures")
                           if rng.random() < 0.6}
    if rng.random() < 0.2:
        data["description"] = "Generated for a benchmark."
    return data


def _group(rng: random.Random) -> Dict[str, Any]:
    group: Dict[str, Any] = {"role": rng.choice(ROLES)}
    count = rng.choice(_COUNTS)
    if count != 1 or rng.random() < 0.2:
        group["count"] = count
    if rng.random() < 0.35:
        group["remote"] = rng.random() < 0.8
    if rng.random() < 0.1:
        group["external"] = rng.random() < 0.5
    if rng.random() < 0.15:
        group["hourly_cost"] = rng.choice((0, 35, 62.5, 120))
    if rng.random() < 0.2:
        group["meeting_hours_last_7_days"] = rng.choice(_HOURS)
    if rng.random() < 0.1:
        group["meetings_last_7_days"] = rng.choice((2, 8, 17, 25))
    return group


def _load(rng: random.Random) -> Dict[str, Any]:
    load: Dict[str, Any] = {}
    if rng.random() < 0.2:
        load["window_days"] = rng.choice((5, 7, 14, 30))
    if rng.random() < 0.8:
        load["meeting_hours"] = rng.choice(_HOURS)
    if rng.random() < 0.6:
        load["meetings"] = rng.choice((2, 8, 16, 17, 25))
    if rng.random() < 0.3:
        load["same_topic_days_ago"] = rng.choice((1, 3, 6.5, 7, 14, 60))
    return load


def proposals(count: int, seed: int = 2026) -> Iterator[Dict[str, Any]]:
    rng = random.Random(seed)
    for number in range(count):
        yield proposal(rng, number)


def write_proposals(directory: Path, count: int, seed: int = 2026) -> List[Path]:
    """`count` proposal files (YAML, as people write them) in `directory`, spread over subfolders."""
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    paths = []
    for number, data in enumerate(proposals(count, seed)):
        path = directory / f"team-{number % 10}" / f"proposal-{number:05d}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.dump(data, Dumper=dumper, sort_keys=False, default_flow_style=None))
        paths.append(path)
    return paths


if __name__ == "__main__":
    target = Path(sys.argv[1])
    written = write_proposals(target, int(sys.argv[2]) if len(sys.argv) > 2 else 1000,
                              int(sys.argv[3]) if len(sys.argv) > 3 else 2026)
    print(f"{len(written)} proposals in {target}")
