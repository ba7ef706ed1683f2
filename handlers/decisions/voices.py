"""Who speaks for whom in a decision. Deciders are persons, or groups (a network's
member congregations) whose voice their hosts give: `Voices` maps each such person
to the group they speak for, or to several when they host several. A person who
speaks for several gives one voice an act, and says which (`!consent 3 for Hilltop`):
one voice per congregation, never two from one act."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

Voices = dict[str, str | list[str]]


def groups_of(voices: Mapping[str, str | list[str]], person: str) -> list[str]:
    given = voices.get(person)
    return sorted([given] if isinstance(given, str) else list(given or []))


def spoken_for(
    deciders: Sequence[str], voices: Mapping[str, str | list[str]] | None, person: str
) -> list[str]:
    """Every decider a person may speak for."""
    if voices is None:
        return [person] if person in deciders else []
    return [g for g in groups_of(voices, person) if g in deciders]


def voice_in(
    deciders: Sequence[str],
    voices: Mapping[str, str | list[str]] | None,
    person: str,
    chosen: str | None = None,
) -> str | None:
    """The one decider a person's act speaks for: the one they named, or their only
    one; None when they speak for none (or for several and named none)."""
    found = spoken_for(deciders, voices, person)
    if chosen is not None:
        return chosen if chosen in found else None
    return found[0] if len(found) == 1 else None


def voices_from(hosts_by_group: Iterable[tuple[str, Iterable[str]]]) -> Voices:
    """Who speaks for which group, from each group's hosts."""
    found: dict[str, list[str]] = {}
    for group, hosts in hosts_by_group:
        for host in hosts:
            found.setdefault(host, []).append(group)
    return {h: g[0] if len(g) == 1 else sorted(g) for h, g in found.items()}


def speakers(voices: Mapping[str, str | list[str]], groups: Iterable[str]) -> list[str]:
    """The persons who speak for any of these groups."""
    wanted = set(groups)
    return sorted(p for p in voices if wanted & set(groups_of(voices, p)))
