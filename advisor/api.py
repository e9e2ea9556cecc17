"""The Python API for approval workflows: `Advisor().check(proposal) -> Decision`."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Optional, Sequence, Union

from .decision import BASE_NECESSITY, DEFAULT_THRESHOLD, Decision, decide
from .engine import Engine
from .facts import derive_facts
from .meeting import Meeting, meeting_from_mapping, read_meeting
from .resources import default_rules_dir
from .rules import RulePack, load_packs
from .vocabulary import DEFAULT_CURRENCY

Proposal = Union[Meeting, Mapping[str, Any], str, "os.PathLike[str]"]


class Advisor:
    """Decides whether proposed meetings should be held, and how.

    >>> advisor = Advisor()                      # the default rule pack
    >>> decision = advisor.check("meeting.yaml")  # or a mapping, or a Meeting
    >>> decision.verdict, decision.format
    ('hold', 'video')

    Rule packs are compiled once; one Advisor can check any number of proposals.
    """

    def __init__(
        self,
        rules: Optional[Sequence[Union[str, "os.PathLike[str]"]]] = None,
        *,
        extra_rules: Sequence[Union[str, "os.PathLike[str]"]] = (),
        threshold: int = DEFAULT_THRESHOLD,
        hourly_cost: Optional[Mapping[str, float]] = None,
        currency: str = DEFAULT_CURRENCY,
        base: int = BASE_NECESSITY,
    ):
        folders = [Path(p) for p in (rules if rules is not None else [default_rules_dir()])]
        self.pack: RulePack = load_packs(folders + [Path(p) for p in extra_rules])
        self.threshold = threshold
        self.hourly_cost = dict(hourly_cost or {})
        self.currency = currency
        self.base = base
        self.engine = Engine({rule.id: rule.condition for rule in self.pack.rules})

    def check(self, proposal: Proposal) -> Decision:
        """The decision for one proposal: a Meeting, a mapping, or the path of a YAML file."""
        meeting = _as_meeting(proposal)
        facts = derive_facts(meeting, self.hourly_cost)
        return decide(
            title=meeting.title,
            source=meeting.source,
            facts=facts,
            fired_ids=self.engine.fired(facts),
            pack=self.pack,
            threshold=self.threshold,
            currency=self.currency,
            base=self.base,
        )

    def check_many(self, proposals: Iterable[Proposal]) -> Iterator[Decision]:
        """Decisions one by one, as each proposal is checked."""
        for proposal in proposals:
            yield self.check(proposal)


def _as_meeting(proposal: Proposal) -> Meeting:
    if isinstance(proposal, Meeting):
        return proposal
    if isinstance(proposal, Mapping):
        return meeting_from_mapping(proposal)
    return read_meeting(proposal)
