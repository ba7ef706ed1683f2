"""Who meets whom in a round, as a pure function: twos (one three when the number is
odd), nobody twice, pairs that met before or already share a crew avoided while others
are left, and the order of the people given never favouring anyone (a seed from the
round decides among equal groupings)."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from itertools import combinations

Pair = frozenset[str]
TRIES = 200


def pairs_of(group: Iterable[str]) -> set[Pair]:
    return {frozenset(p) for p in combinations(sorted(group), 2)}


def cost(grouping: Sequence[Sequence[str]], met: set[Pair], apart: set[Pair]) -> int:
    """How many pairs meet again (or meet while already crewmates): fewer is better."""
    return sum(1 for g in grouping for p in pairs_of(g) if p in met or p in apart)


def groups(people: Iterable[str], met: set[Pair], apart: set[Pair], seed: str) -> list[list[str]]:
    """Twos, and a three when the number is odd; none for fewer than two people. Of
    many shuffles (by the seed), the grouping with the fewest repeated pairs."""
    everyone = sorted(set(people))
    if len(everyone) < 2:
        return []
    rng = random.Random(seed)
    best: list[list[str]] | None = None
    best_cost = 0
    for _attempt in range(TRIES):
        order = everyone[:]
        rng.shuffle(order)
        grouping = [order[i : i + 2] for i in range(0, len(order) - len(order) % 2, 2)]
        if len(order) % 2:
            grouping[-1].append(order[-1])
        found = cost(grouping, met, apart)
        if best is None or found < best_cost:
            best, best_cost = grouping, found
        if best_cost == 0:
            break
    assert best is not None
    return sorted(sorted(g) for g in best)
