"""The grouping of a round, property-tested: everyone once, twos and one three,
nobody meets again while others are left, and over rounds people meet new people."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.rounds.grouping import cost, groups, pairs_of

people = st.lists(st.text(alphabet="abcdefghij", min_size=1, max_size=4), max_size=15)


@given(people, st.text(max_size=8))
@settings(max_examples=200, deadline=None)
def test_everyone_once_in_twos_and_one_three(names: list[str], seed: str) -> None:
    result = groups(names, set(), set(), seed)
    everyone = sorted(set(names))
    if len(everyone) < 2:
        assert result == []
        return
    assert sorted(p for g in result for p in g) == everyone
    sizes = sorted(len(g) for g in result)
    assert set(sizes) <= {2, 3} and sizes.count(3) == len(everyone) % 2


def test_no_pair_meets_again_while_others_are_left_and_crewmates_are_kept_apart() -> None:
    six = ["ana", "bo", "cy", "dee", "eve", "fay"]
    met: set[frozenset[str]] = set()
    for number in range(5):  # six people: five rounds of three new pairs each exist
        result = groups(six, met, set(), f"round {number}")
        assert cost(result, met, set()) == 0, (number, result)
        met |= {p for g in result for p in pairs_of(g)}
    assert len(met) == 15  # everyone has met everyone
    apart = {frozenset({"ana", "bo"}), frozenset({"cy", "dee"})}
    result = groups(six, set(), apart, "with crews")
    assert cost(result, set(), apart) == 0


def test_the_order_given_favours_nobody_and_a_seed_decides() -> None:
    names = ["ana", "bo", "cy", "dee", "eve"]
    assert groups(names, set(), set(), "r1") == groups(list(reversed(names)), set(), set(), "r1")
    different = {str(groups(names, set(), set(), f"r{i}")) for i in range(10)}
    assert len(different) > 1
