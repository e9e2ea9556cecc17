"""The Python API for approval workflows: `Advisor().check(proposal) -> Decision`.

The Advisor wires the layers together: it reads the proposal (`inputs`), loads the rule
packs and settings (`packs`), asks the engine which rules fire (`engine`) and lets the core
add up their effects (`core`). Reports are `advisor.report`'s: `render(decision, "markdown")`.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from advisor.core.assumptions import assumptions
from advisor.core.decision import BASE_NECESSITY, DEFAULT_THRESHOLD, Decision, decide, weigh
from advisor.core.facts import derive_facts
from advisor.core.meeting import Meeting
from advisor.core.rules import RulePack
from advisor.core.vocabulary import DEFAULT_CURRENCY
from advisor.engine.durable import Engine
from advisor.errors import ConfigError, Problem
from advisor.inputs.proposal import meeting_from_mapping, read_meeting
from advisor.packs.cache import load_packs_cached
from advisor.packs.config import Config, apply_config, load_config, settings_from_arguments
from advisor.packs.snippets import render_snippet
from advisor.resources import default_rules_dir

if TYPE_CHECKING:
    from advisor.core.bounds import Bounds
    from advisor.inputs.calendar import Calendars, MeetingLoad

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
        threshold: Optional[int] = None,
        hourly_cost: Optional[Mapping[str, float]] = None,
        currency: Optional[str] = None,
        base: int = BASE_NECESSITY,
        config: Union[Config, str, "os.PathLike[str]", None] = None,
        disable: Sequence[str] = (),
        overrides: Optional[Mapping[str, Mapping[str, Any]]] = None,
    ):
        # Settings: the arguments over `config` (an advisor.yaml or a Config) over the defaults.
        settings = config if isinstance(config, Config) else load_config(config) if config is not None else Config()
        if disable or overrides:
            settings = settings.then(settings_from_arguments(disable, overrides))
        self.config = settings
        self.folders = _pack_folders(rules, settings, extra_rules)
        self.pack: RulePack = apply_config(load_packs_cached(self.folders), settings)
        self.threshold = _first(threshold, settings.threshold, DEFAULT_THRESHOLD)
        self.hourly_cost = {**settings.hourly_cost, **(hourly_cost or {})}
        self.currency = _first(currency, settings.currency, DEFAULT_CURRENCY)
        self.base = base
        self.engine = Engine({rule.id: rule.condition for rule in self.pack.rules})

    def check(self, proposal: Proposal, *, what_if: bool = False, load: Optional["MeetingLoad"] = None,
              calendars: Optional["Calendars"] = None) -> Decision:
        """The decision for one proposal: a Meeting, a mapping, or the path of a YAML file.

        `what_if=True` also finds the smallest changes that would flip the verdict
        (`decision.what_if`): each is another check, so it costs tens of milliseconds.
        `calendars` (`advisor.inputs.calendar.read_calendars`) computes the audience's recent meeting
        load from calendar exports, or `load` gives it computed: either replaces the typed
        `recent_load` figures, and `decision.load` says where the figures came from.
        """
        meeting = _as_meeting(proposal)
        if calendars is not None and load is None:
            load = calendars.load_for(meeting)
        if load is not None:
            meeting = load.apply_to(meeting)
        facts = derive_facts(meeting, self.hourly_cost)
        decision = decide(
            title=meeting.title,
            source=meeting.source,
            facts=facts,
            fired_ids=self.engine.fired(facts),
            pack=self.pack,
            render=render_snippet,  # the pack's compiled snippets, else Jinja's sandbox
            threshold=self.threshold,
            currency=self.currency,
            base=self.base,
            assumptions=assumptions(meeting, facts),
            organizer=meeting.organizer,
            start=meeting.start,
        )
        if what_if:
            from advisor.core.whatif import explore  # its levers are defined only for a search

            decision = decision._replace(what_if=explore(self.weigh, meeting, decision, bounds=self.what_if_bounds))
        if load is not None:
            decision = decision._replace(load=load.to_dict())
        return decision

    @property
    def what_if_bounds(self) -> "Bounds":
        """What a realistic change may do (`core.whatif.explore`): the defaults, with advisor.yaml's `what_if`."""
        return self.config.what_if_bounds

    def weigh(self, meeting: Meeting) -> Tuple[str, int, int]:
        """The verdict, score and raw total `check` would reach, without writing its reasons:
        what a search through changed proposals needs, in a third of the time."""
        fired_ids = self.engine.fired(derive_facts(meeting, self.hourly_cost))
        return weigh([rule for rule in self.pack.rules if rule.id in fired_ids], self.threshold, self.base)

    def check_many(self, proposals: Iterable[Proposal], *, what_if: bool = False) -> Iterator[Decision]:
        """Decisions one by one, as each proposal is checked."""
        for proposal in proposals:
            yield self.check(proposal, what_if=what_if)

    def __getstate__(self) -> Dict[str, Any]:
        """Picklable without its engine (C handles), so another process gets exactly these
        rules and settings, already validated, without reading a file."""
        state = dict(self.__dict__)
        del state["engine"]
        return state

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.engine = Engine({rule.id: rule.condition for rule in self.pack.rules})


def _pack_folders(rules: Optional[Sequence[Union[str, "os.PathLike[str]"]]], settings: Config,
                  extra_rules: Sequence[Union[str, "os.PathLike[str]"]]) -> List[Path]:
    """`rules` (else the default pack, unless `extends: none`), the settings' packs, then `extra_rules`."""
    default = [default_rules_dir()] if settings.default_pack else []
    named = [Path(p) for p in (rules if rules is not None else default)]
    named += list(settings.packs) + [Path(p) for p in extra_rules]
    unique: Dict[Path, Path] = {}  # a pack named twice (advisor.yaml and --rules) loads once, where first named
    for folder in named:
        unique.setdefault(folder.resolve(), folder)
    if not unique:
        raise ConfigError([Problem(settings.file or "<config>", "no rule packs: 'extends: none' needs 'packs'")])
    return list(unique.values())


def _first(*values: Any) -> Any:
    return next(value for value in values if value is not None)


def _as_meeting(proposal: Proposal) -> Meeting:
    if isinstance(proposal, Meeting):
        return proposal
    if isinstance(proposal, Mapping):
        return meeting_from_mapping(proposal)
    return read_meeting(proposal)
