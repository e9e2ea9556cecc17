"""One Advisor serves many threads: the same decisions as one by one, and nothing left behind."""
from __future__ import annotations

import pickle
import threading
from typing import Any, Dict, Iterator, List

import pytest
from conftest import EXAMPLES

from advisor.api import Advisor
from advisor.core.records import EMPTY
from advisor.report.json_format import to_dict
from bench.proposals import proposals

THREADS = 8


def test_eight_threads_at_once_get_exactly_the_sequential_decisions(advisor: Advisor) -> None:
    batch = list(proposals(800, seed=21))
    expected = [to_dict(advisor.check(p)) for p in batch]
    results: Dict[int, List[Dict[str, Any]]] = {}
    errors: List[BaseException] = []
    start = threading.Barrier(THREADS)

    def worker(number: int) -> None:
        try:
            start.wait()
            # each thread walks the whole batch from its own offset, so threads overlap on every proposal
            order = list(range(number * 100, len(batch))) + list(range(number * 100))
            decided = {index: to_dict(advisor.check(batch[index])) for index in order}
            results[number] = [decided[index] for index in range(len(batch))]
        except BaseException as error:  # reported below: an exception in a thread would otherwise vanish
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(results) == THREADS
    for number in range(THREADS):
        assert results[number] == expected
    # the decisions differ from one another: equal lists would otherwise prove little
    assert len({(d["verdict"], d["score"], d["format"]) for d in expected}) > 20


def test_threads_leave_the_engine_session_as_they_found_it(advisor: Advisor) -> None:
    import json

    import durable_rules_engine

    sessions = advisor.engine.sessions()
    batch = list(proposals(200, seed=22))
    threads = [threading.Thread(target=lambda: [advisor.check(p) for p in batch]) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert advisor.engine.sessions() == sessions
    for handle, sid in sessions:
        assert json.loads(durable_rules_engine.get_facts(handle, sid)) == []


def test_check_many_streams_decisions_as_proposals_arrive(advisor: Advisor) -> None:
    taken: List[int] = []

    def source() -> Iterator[Dict[str, Any]]:
        for number, data in enumerate(proposals(5, seed=23)):
            taken.append(number)
            yield data

    decisions = advisor.check_many(source())
    assert taken == []  # nothing is read before a decision is asked for
    first = next(decisions)
    assert taken == [0]
    rest = list(decisions)
    assert taken == [0, 1, 2, 3, 4]
    assert [to_dict(d) for d in [first] + rest] == [to_dict(advisor.check(p)) for p in proposals(5, seed=23)]


def test_an_advisor_with_default_settings_is_sent_to_another_process_whole(advisor: Advisor) -> None:
    copy = pickle.loads(pickle.dumps(advisor))
    assert copy.config == advisor.config and copy.config.overrides is EMPTY
    assert copy.check(EXAMPLES / "pipeline-review.yaml") == advisor.check(EXAMPLES / "pipeline-review.yaml")
    with pytest.raises(TypeError):
        EMPTY["x"] = 1  # type: ignore[index]
