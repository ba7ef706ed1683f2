"""The consent rule, as a pure function of a proposal's recorded acts.

Every bot that reads the same acts reaches the same outcome: the acts are ordered by
(timestamp, event id), duplicates count once, and acts from outside the deciding
group (fixed when the proposal opened) are ignored.

- A decider's stance is set by their latest consent, objection or withdrawal.
- An objection blocks only once it carries a reason (given with it, or later).
- The proposal passes at once when every decider consents. At its close it passes if
  at least one decider consents, no reasoned objection stands and, where a quorum was
  fixed when it opened, at least that many deciders answered (all of them, in a group
  smaller than the quorum); otherwise it lapses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

CONSENT = "consent"
OBJECT = "object"
REASON = "reason"  # a reason for one's standing objection
WITHDRAW = "withdraw"  # withdraws one's stance (or only the stance named in `reason`)


class Outcome(Enum):
    OPEN = "open"
    PASSED = "passed"
    LAPSED = "lapsed"


@dataclass(frozen=True)
class Act:
    event_id: str
    voter: str
    act: str
    ts: int
    reason: str | None = None


@dataclass(frozen=True)
class Stance:
    kind: str | None  # CONSENT, OBJECT or None
    reason: str | None = None

    @property
    def blocks(self) -> bool:
        return self.kind == OBJECT and bool(self.reason)


@dataclass(frozen=True)
class Tally:
    outcome: Outcome
    stances: dict[str, Stance]

    @property
    def consents(self) -> list[str]:
        return sorted(v for v, s in self.stances.items() if s.kind == CONSENT)

    @property
    def objections(self) -> list[str]:
        return sorted(v for v, s in self.stances.items() if s.blocks)

    @property
    def unreasoned(self) -> list[str]:
        return sorted(v for v, s in self.stances.items() if s.kind == OBJECT and not s.reason)

    def silent(self, deciders: Sequence[str]) -> list[str]:
        return sorted(d for d in deciders if self.stances.get(d, Stance(None)).kind is None)


def stances(deciders: Iterable[str], acts: Iterable[Act]) -> dict[str, Stance]:
    group = set(deciders)
    unique = {a.event_id: a for a in acts if a.voter in group}
    current: dict[str, Stance] = {d: Stance(None) for d in group}
    for act in sorted(unique.values(), key=lambda a: (a.ts, a.event_id)):
        before = current[act.voter]
        if act.act == CONSENT:
            current[act.voter] = Stance(CONSENT)
        elif act.act == OBJECT:
            current[act.voter] = Stance(OBJECT, act.reason or None)
        elif act.act == REASON and before.kind == OBJECT and act.reason:
            current[act.voter] = Stance(OBJECT, act.reason)
        elif act.act == WITHDRAW and (act.reason is None or act.reason == before.kind):
            current[act.voter] = Stance(None)
    return current


def tally(deciders: Sequence[str], acts: Iterable[Act], closed: bool, quorum: int = 0) -> Tally:
    current = stances(deciders, acts)
    values = list(current.values())
    if values and all(s.kind == CONSENT for s in values):
        return Tally(Outcome.PASSED, current)
    if not closed:
        return Tally(Outcome.OPEN, current)
    answered = sum(1 for s in values if s.kind is not None)
    if answered < min(quorum, len(values)):
        return Tally(Outcome.LAPSED, current)
    if any(s.kind == CONSENT for s in values) and not any(s.blocks for s in values):
        return Tally(Outcome.PASSED, current)
    return Tally(Outcome.LAPSED, current)


def answered(result: Tally) -> int:
    return sum(1 for s in result.stances.values() if s.kind is not None)
