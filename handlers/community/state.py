"""The shared facts, as Matrix room state under the cc.microsolidarity. prefix.

Any member congregation's bot can rebuild its picture from these alone:
- in every room cohost made, ROOM ("") says what the room is;
- in a congregation space, CONGREGATION ("") names it, its hosts, rooms and network,
  and CREW (state key: the crew's room id) lists each crew;
- in a crew room, CREW ("") describes the crew itself;
- in a network space, NETWORK ("") names it and its rooms;
- RELEASE (state key: the bot's user id) marks a room cohost has given up.

They are read only through handlers.community.facts, which parses each into a typed model and
counts it only from its writer (SPEC §3.7).
"""

from __future__ import annotations

from typing import Any

PREFIX = "cc.microsolidarity."
ROOM = PREFIX + "room"
CONGREGATION = PREFIX + "congregation"
CREW = PREFIX + "crew"
NETWORK = PREFIX + "network"
RELEASE = PREFIX + "release"

# Room kinds, as written in ROOM state.
CONGREGATION_SPACE = "congregation"
LOBBY = "lobby"
ANNOUNCEMENTS = "announcements"
HOSTS = "hosts"
CREW_ROOM = "crew"
NETWORK_SPACE = "network"
NETWORK_ANNOUNCEMENTS = "network_announcements"
COMMONS = "commons"
NETWORK_CREW = "network_crew"  # a crew of the network's hosts: the Meta Crew
DIRECT = "direct"  # a room cohost keeps with one person
# The rooms a network's cohosts share, and write facts in.
NETWORK_ROOMS = (NETWORK_SPACE, NETWORK_ANNOUNCEMENTS, COMMONS, NETWORK_CREW)


def room_marker(
    kind: str,
    *,
    congregation: str | None = None,
    network: str | None = None,
    operation: str | None = None,
    step: str | None = None,
) -> dict[str, Any]:
    content: dict[str, Any] = {"kind": kind}
    if congregation:
        content["congregation"] = congregation
    if network:
        content["network"] = network
    if operation:
        # Lets a resumed creation find the room it made before a crash.
        content["operation"] = operation
        content["step"] = step
    return content
