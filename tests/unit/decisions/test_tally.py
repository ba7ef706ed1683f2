"""The consent rule, checked over random sequences of acts."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.decisions.tally import CONSENT, OBJECT, REASON, WITHDRAW, Act, Outcome, tally

DECIDERS = ["@a:x", "@b:x", "@c:x"]
OUTSIDERS = ["@z:x"]


@st.composite
def acts(draw: st.DrawFn, voters: list[str] = DECIDERS + OUTSIDERS) -> list[Act]:
    n = draw(st.integers(0, 12))
    out = []
    for i in range(n):
        kind = draw(st.sampled_from([CONSENT, OBJECT, REASON, WITHDRAW]))
        reason = draw(st.sampled_from([None, "", "it would hurt someone"]))
        if kind == WITHDRAW:
            reason = draw(st.sampled_from([None, CONSENT, OBJECT]))
        out.append(
            Act(f"$e{i}", draw(st.sampled_from(voters)), kind, draw(st.integers(0, 5)), reason)
        )
    return out


@given(acts(), st.booleans(), st.randoms())
def test_order_of_arrival_and_duplicates_do_not_matter(
    history: list[Act], closed: bool, rnd: random.Random
) -> None:
    shuffled = history + rnd.sample(history, k=len(history) // 2)
    rnd.shuffle(shuffled)
    assert tally(DECIDERS, shuffled, closed) == tally(DECIDERS, history, closed)


@given(acts(), acts(voters=OUTSIDERS), st.booleans())
def test_acts_from_outside_the_deciding_group_never_count(
    history: list[Act], outside: list[Act], closed: bool
) -> None:
    renamed = [Act(f"$out{a.event_id}", a.voter, a.act, a.ts, a.reason) for a in outside]
    assert (
        tally(DECIDERS, history + renamed, closed).outcome
        == tally(DECIDERS, history, closed).outcome
    )


@given(acts(), st.booleans())
def test_a_reasoned_objection_always_blocks(history: list[Act], closed: bool) -> None:
    result = tally(DECIDERS, history, closed)
    if result.objections:
        assert result.outcome is not Outcome.PASSED


@given(acts(), st.booleans())
def test_the_rule(history: list[Act], closed: bool) -> None:
    result = tally(DECIDERS, history, closed)
    kinds = [result.stances[d].kind for d in DECIDERS]
    if all(k == CONSENT for k in kinds):
        assert result.outcome is Outcome.PASSED
    elif not closed:
        assert result.outcome is Outcome.OPEN
    elif CONSENT in kinds and not result.objections:
        assert result.outcome is Outcome.PASSED
    else:
        assert result.outcome is Outcome.LAPSED


@settings(max_examples=200)
@given(acts(), st.sampled_from(DECIDERS))
def test_one_more_consent_never_turns_a_pass_into_a_lapse(history: list[Act], voter: str) -> None:
    before = tally(DECIDERS, history, closed=True)
    after = tally(DECIDERS, [*history, Act("$late", voter, CONSENT, 99)], closed=True)
    if before.outcome is Outcome.PASSED and voter not in before.objections:
        assert after.outcome is Outcome.PASSED


def test_an_objection_counts_only_once_it_has_a_reason() -> None:
    history = [Act("$1", "@a:x", CONSENT, 1), Act("$2", "@b:x", OBJECT, 2)]
    assert tally(DECIDERS, history, closed=True).outcome is Outcome.PASSED
    reasoned = [*history, Act("$3", "@b:x", REASON, 3, "unsafe for the crew")]
    assert tally(DECIDERS, reasoned, closed=True).outcome is Outcome.LAPSED
    withdrawn = [*reasoned, Act("$4", "@b:x", WITHDRAW, 4)]
    assert tally(DECIDERS, withdrawn, closed=True).outcome is Outcome.PASSED


def test_passes_at_once_when_everyone_consents_and_lapses_in_silence() -> None:
    everyone = [Act(f"${i}", d, CONSENT, i) for i, d in enumerate(DECIDERS)]
    assert tally(DECIDERS, everyone, closed=False).outcome is Outcome.PASSED
    assert tally(DECIDERS, everyone[:2], closed=False).outcome is Outcome.OPEN
    assert tally(DECIDERS, [], closed=True).outcome is Outcome.LAPSED


def test_withdrawing_a_consent_reaction_keeps_a_later_objection() -> None:
    history = [
        Act("$1", "@a:x", CONSENT, 1),
        Act("$2", "@a:x", OBJECT, 2, "harm"),
        Act("$3", "@a:x", WITHDRAW, 3, CONSENT),  # the 👍 reaction removed afterwards
    ]
    assert tally(DECIDERS, history, closed=True).objections == ["@a:x"]


def test_a_quorum_counts_who_answered_and_never_asks_more_than_the_group() -> None:
    two = [Act("$1", "@a", CONSENT, 1)]
    assert tally(["@a", "@b", "@c"], two, closed=True, quorum=2).outcome is Outcome.LAPSED
    answered = [*two, Act("$2", "@b", OBJECT, 2)]  # an unreasoned objection answers
    assert tally(["@a", "@b", "@c"], answered, closed=True, quorum=2).outcome is Outcome.PASSED
    # A group of two with a quorum of five: both must answer, no more can.
    assert tally(["@a", "@b"], two, closed=True, quorum=5).outcome is Outcome.LAPSED
    both = [*two, Act("$3", "@b", CONSENT, 3)]
    assert tally(["@a", "@b"], both, closed=False, quorum=5).outcome is Outcome.PASSED
    # Before the close a quorum changes nothing.
    assert tally(["@a", "@b", "@c"], two, closed=False, quorum=3).outcome is Outcome.OPEN
