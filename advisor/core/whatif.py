"""What would change the answer: the smallest realistic changes to a proposal that flip its verdict.

Each lever (agenda, length, audience, frequency, decision, load, topic) proposes changed
copies of the Meeting, smallest change first, from a bounded set of values, and only within
the `Bounds` of a realistic change, which the caller hands in (advisor.yaml's `what_if`,
`Advisor.what_if_bounds`): never below half the audience nor without its customers and
prospects, never longer than twice the length or four hours, no decision invented for a
meeting that only informs, never more often. Every copy is decided by the judge the caller
hands in (the Advisor's own rules and engine), so the engine alone says whether the verdict
flips: nothing here knows what any rule wants, and nothing here words a change for a reader
(`advisor.report.changes` does). When no single change flips a skip, levers are combined
greedily (the one that raises the score most first) and the combination is then trimmed to
the smallest steps that still hold.
"""
from __future__ import annotations

import math
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from advisor.core.bounds import DEFAULT_BOUNDS, Bounds
from advisor.core.decision import Change, Decision, Step, WhatIf, weigh
from advisor.core.facts import weekly_load
from advisor.core.meeting import AttendeeGroup, Meeting, RecentLoad

# Lengths people book, in minutes: the candidate durations.
DURATIONS = (5, 10, 15, 20, 25, 30, 40, 45, 50, 60, 75, 90, 105, 120, 150, 180, 210, 240, 300, 360, 420, 480)
# From least to most frequent: the candidate recurrences, nearest first.
FREQUENCY = ("none", "monthly", "biweekly", "weekly", "daily")
MAX_LOAD_HOURS = 40  # candidate weekly meeting loads are whole hours up to this
MAX_TOPIC_DAYS = 14
# The agenda of a changed proposal: rules see only that there is one and how many items.
PLACEHOLDER_AGENDA = ("agenda",)
# At most this many changed proposals are decided for one decision (a few hundred is usual).
MAX_CHECKS = 1000
# Candidates per direction of a lever when changes are combined (each one is then made smallest).
COMBINED_CANDIDATES = 12


class Lever:
    """One kind of change: candidate steps for a meeting, and how to apply a step."""

    kind = ""

    def sequences(self, meeting: Meeting, bounds: Bounds = DEFAULT_BOUNDS) -> List[List[Step]]:
        """Candidate steps within `bounds`, one list per direction, smallest change first."""
        raise NotImplementedError

    def apply(self, meeting: Meeting, step: Step, bounds: Bounds = DEFAULT_BOUNDS) -> Meeting:
        """The meeting with `step` taken (`bounds` say which groups may change)."""
        raise NotImplementedError


class AgendaLever(Lever):
    kind = "agenda"

    def sequences(self, meeting: Meeting, bounds: Bounds = DEFAULT_BOUNDS) -> List[List[Step]]:
        items = len(meeting.agenda)
        return [[Step(self.kind, items, 0)]] if items else [[Step(self.kind, 0, len(PLACEHOLDER_AGENDA))]]

    def apply(self, meeting: Meeting, step: Step, bounds: Bounds = DEFAULT_BOUNDS) -> Meeting:
        return meeting._replace(agenda=PLACEHOLDER_AGENDA if step.after else ())


class DurationLever(Lever):
    kind = "duration"

    def sequences(self, meeting: Meeting, bounds: Bounds = DEFAULT_BOUNDS) -> List[List[Step]]:
        now = meeting.duration_minutes
        longest = min(now * bounds.max_length_share, bounds.max_length_minutes)
        shorter = [Step(self.kind, now, m) for m in reversed(DURATIONS) if m < now]
        longer = [Step(self.kind, now, m) for m in DURATIONS if now < m <= longest]
        return [shorter, longer]

    def apply(self, meeting: Meeting, step: Step, bounds: Bounds = DEFAULT_BOUNDS) -> Meeting:
        return meeting._replace(duration_minutes=step.after)


class AttendeesLever(Lever):
    """Fewer people from the largest groups that may shrink (each keeps one; people from outside
    and the kept roles never go), or more in the largest of them."""

    kind = "attendees"

    def sequences(self, meeting: Meeting, bounds: Bounds = DEFAULT_BOUNDS) -> List[List[Step]]:
        now = sum(g.count for g in meeting.audience)
        spare = sum(g.count - 1 for g in meeting.audience if _may_change(g, bounds))
        fewest = max(2, math.ceil(now * bounds.min_audience_share), now - spare)
        fewer = [Step(self.kind, now, now - k) for k in _ladder(now - fewest)]
        more: List[Step] = []
        if any(_may_change(g, bounds) for g in meeting.audience):
            more = [Step(self.kind, now, now + k) for k in _ladder(math.floor(now * bounds.max_audience_share) - now)]
        return [fewer, more]

    def apply(self, meeting: Meeting, step: Step, bounds: Bounds = DEFAULT_BOUNDS) -> Meeting:
        groups = list(meeting.audience)
        internal = [i for i, g in enumerate(groups) if _may_change(g, bounds)]
        counts = {i: groups[i].count for i in internal}
        change = step.after - sum(g.count for g in groups)
        if change > 0:
            largest = max(internal, key=lambda i: (counts[i], i))
            counts[largest] += change
        elif change < 0:
            counts = _shrink(counts, -change)
        return meeting._replace(audience=tuple(g._replace(count=counts[i]) if i in counts else g
                                               for i, g in enumerate(groups)))


class RecurrenceLever(Lever):
    kind = "recurrence"

    def sequences(self, meeting: Meeting, bounds: Bounds = DEFAULT_BOUNDS) -> List[List[Step]]:
        at = FREQUENCY.index(meeting.recurrence)
        rarer = [Step(self.kind, meeting.recurrence, r) for r in reversed(FREQUENCY[:at])]
        oftener = [Step(self.kind, meeting.recurrence, r) for r in FREQUENCY[at + 1:]] if bounds.more_often else []
        return [rarer, oftener]

    def apply(self, meeting: Meeting, step: Step, bounds: Bounds = DEFAULT_BOUNDS) -> Meeting:
        return meeting._replace(recurrence=step.after)


class DecisionLever(Lever):
    kind = "decision"

    def sequences(self, meeting: Meeting, bounds: Bounds = DEFAULT_BOUNDS) -> List[List[Step]]:
        informs = set(meeting.purposes) <= set(bounds.informational_purposes)
        if informs and not meeting.decision_required:
            return []  # a decision invented for a meeting that only informs is no real change
        return [[Step(self.kind, meeting.decision_required, not meeting.decision_required)]]

    def apply(self, meeting: Meeting, step: Step, bounds: Bounds = DEFAULT_BOUNDS) -> Meeting:
        return meeting._replace(decision_required=step.after)


class LoadLever(Lever):
    """The audience's weekly meeting hours, in whole hours; meetings a week scale along."""

    kind = "load"

    def sequences(self, meeting: Meeting, bounds: Bounds = DEFAULT_BOUNDS) -> List[List[Step]]:
        hours = weekly_load(meeting)[0]
        if hours is None:
            return []
        below = math.ceil(hours) - 1  # the first whole hour under the load
        above = math.floor(hours) + 1
        # every whole hour up to MAX_LOAD_HOURS, where the thresholds people use lie; every tenth above
        lower = [Step(self.kind, hours, float(h)) for h in range(below, -1, -1)
                 if h <= MAX_LOAD_HOURS or (below - h) % 10 == 0]
        higher = [Step(self.kind, hours, float(h)) for h in range(above, max(above, MAX_LOAD_HOURS) + 1)]
        return [lower, higher]

    def apply(self, meeting: Meeting, step: Step, bounds: Bounds = DEFAULT_BOUNDS) -> Meeting:
        """Everyone at `step.after` hours a week (the groups' own figures give way to it)."""
        meetings = weekly_load(meeting)[1]
        if meetings is not None and step.before:
            meetings = round(meetings * step.after / step.before, 1)
        audience = tuple(g._replace(meeting_hours_last_7_days=None, meetings_last_7_days=None)
                         for g in meeting.audience)
        recent = RecentLoad(7, step.after, meetings, meeting.recent_load.same_topic_days_ago)
        return meeting._replace(audience=audience, recent_load=recent)


class TopicLever(Lever):
    """Days since the last meeting on the same topic: waiting longer, or meeting sooner."""

    kind = "topic"

    def sequences(self, meeting: Meeting, bounds: Bounds = DEFAULT_BOUNDS) -> List[List[Step]]:
        days = meeting.recent_load.same_topic_days_ago
        if days is None:
            return []
        later = [Step(self.kind, days, float(d)) for d in range(int(days) + 1, MAX_TOPIC_DAYS + 1)]
        sooner = [Step(self.kind, days, float(d)) for d in range(math.ceil(days) - 1, -1, -1)]
        return [later, sooner]

    def apply(self, meeting: Meeting, step: Step, bounds: Bounds = DEFAULT_BOUNDS) -> Meeting:
        return meeting._replace(recent_load=meeting.recent_load._replace(same_topic_days_ago=step.after))


LEVERS: Tuple[Lever, ...] = (AgendaLever(), DurationLever(), AttendeesLever(), RecurrenceLever(),
                             DecisionLever(), LoadLever(), TopicLever())
_BY_KIND = {lever.kind: lever for lever in LEVERS}


def _may_change(group: AttendeeGroup, bounds: Bounds) -> bool:
    """Whether a change of audience may add or take people of this group: not from outside, nor a kept role."""
    return not group.external and group.role not in bounds.kept_roles


def _shrink(counts: Dict[int, int], people: int) -> Dict[int, int]:
    """`people` fewer, taken from the largest groups first (of equal ones the later), each keeping one.

    The same as taking one person at a time from the largest group, without a loop per person:
    every group above a level L goes down to L, and the few taken too many go back to the
    earlier of those groups.
    """
    people = min(people, sum(c - 1 for c in counts.values()))
    if people <= 0:
        return dict(counts)
    low, high = 1, max(counts.values())  # the highest level L with sum(max(0, c - L)) >= people
    while low < high:
        level = (low + high + 1) // 2
        if sum(max(0, c - level) for c in counts.values()) >= people:
            low = level
        else:
            high = level - 1
    level = low
    shrunk = {i: min(c, level) for i, c in counts.items()}
    surplus = sum(counts.values()) - sum(shrunk.values()) - people
    for i in sorted(i for i, c in counts.items() if c > level):
        if surplus <= 0:
            break
        shrunk[i] += 1
        surplus -= 1
    return shrunk


def _ladder(limit: int) -> List[int]:
    """Step sizes 1 to `limit`: every one up to 20, then 25 … 50, 60 … 100, then a quarter more each time."""
    steps: List[int] = []
    size = 1
    while size < limit:
        steps.append(size)
        size += 1 if size < 20 else 5 if size < 50 else 10 if size < 100 else max(10, int(round(size / 4, -1)))
    return steps + [limit] if limit >= 1 else steps


Verdict = Tuple[str, int, int]  # verdict, score, and the score before it is kept within 0..100
Judge = Callable[[Meeting], Verdict]  # decides a changed proposal: Advisor.weigh


class _OutOfChecks(Exception):
    pass


class _Budgeted:
    """Decides changed proposals with the judge, each once, and at most MAX_CHECKS of them."""

    def __init__(self, judge: Judge, budget: int = MAX_CHECKS):
        self.judge = judge
        self.budget = budget
        self.seen: Dict[Meeting, Verdict] = {}

    def __call__(self, meeting: Meeting) -> Verdict:
        if meeting not in self.seen:
            if len(self.seen) >= self.budget:
                raise _OutOfChecks()
            self.seen[meeting] = self.judge(meeting)
        return self.seen[meeting]


def apply_steps(meeting: Meeting, steps: Sequence[Step], bounds: Bounds = DEFAULT_BOUNDS) -> Meeting:
    """The proposal with every step taken (steps of different kinds change different fields)."""
    for step in steps:
        meeting = _BY_KIND[step.kind].apply(meeting, step, bounds)
    return meeting


def explore(judge: Judge, meeting: Meeting, decision: Decision, levers: Sequence[Lever] = LEVERS,
            bounds: Bounds = DEFAULT_BOUNDS) -> WhatIf:
    """The smallest change of each kind that flips `decision`, or else a combination for a skip,
    each within `bounds` (an Advisor's are `Advisor.what_if_bounds`, from its settings).

    `judge` decides a changed copy of `meeting` as `decision` was decided (Advisor.weigh).
    """
    budgeted = _Budgeted(judge)
    changes: List[Change] = []
    try:
        for lever in levers:
            for sequence in lever.sequences(meeting, bounds):
                for step in sequence:
                    verdict, score, _ = budgeted(lever.apply(meeting, step, bounds))
                    if verdict != decision.verdict:
                        changes.append(Change((step,), verdict, score))
                        break
        if not changes and not decision.hold:
            # the unclamped total tells the search how far a skip at 0 still is from the threshold
            raw = weigh(decision.fired, decision.threshold, decision.base)[2]
            combination = _combine(budgeted, meeting, raw, levers, bounds)
            if combination is not None:
                changes.append(combination)
    except _OutOfChecks:
        pass  # what was found within the budget stands
    return WhatIf(tuple(changes), len(budgeted.seen))


def _combine(judge: Judge, meeting: Meeting, raw: int, levers: Sequence[Lever], bounds: Bounds) -> Optional[Change]:
    """Steps that together make a skip a hold: greedy by score, then each step made as small as it can be."""
    steps: List[Step] = []
    remaining = list(levers)
    current, verdict = meeting, "skip"
    while verdict == "skip" and remaining:
        best: Optional[Tuple[int, Lever, Step, str]] = None
        for lever in remaining:
            for sequence in lever.sequences(meeting, bounds):
                for step in _thin(sequence, COMBINED_CANDIDATES):
                    candidate_verdict, _, candidate_raw = judge(lever.apply(current, step, bounds))
                    if candidate_raw > (best[0] if best else raw):
                        best = (candidate_raw, lever, step, candidate_verdict)
        if best is None:
            return None  # nothing raises the score any further
        raw, lever, step, verdict = best
        steps.append(step)
        remaining.remove(lever)
        current = lever.apply(current, step, bounds)
    if verdict == "skip":
        return None
    steps = _trim(judge, meeting, steps, bounds)
    verdict, score, _ = judge(apply_steps(meeting, steps, bounds))
    return Change(tuple(steps), verdict, score)


def _thin(sequence: List[Step], most: int) -> List[Step]:
    """At most `most` steps, evenly spread, the first and the last kept."""
    if len(sequence) <= most:
        return sequence
    last = len(sequence) - 1
    return [sequence[round(k * last / (most - 1))] for k in range(most)]


def _trim(judge: Judge, meeting: Meeting, steps: List[Step], bounds: Bounds) -> List[Step]:
    """Drop each step the others do not need, and make each remaining one the smallest that still holds."""
    kept = list(steps)
    for step in steps:
        others = [s for s in kept if s is not step]
        base = apply_steps(meeting, others, bounds)
        if judge(base)[0] == "hold":
            kept = others
            continue
        lever = _BY_KIND[step.kind]
        sequence = next(seq for seq in lever.sequences(meeting, bounds) if step in seq)
        smallest = next(s for s in sequence if judge(lever.apply(base, s, bounds))[0] == "hold")
        kept[kept.index(step)] = smallest
    return kept
