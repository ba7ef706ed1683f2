"""Congregations as co-owned spaces (SPEC §2, §3)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handlers.community.state import ANNOUNCEMENTS, CONGREGATION_SPACE, HOSTS, LOBBY
from tests import catalogs
from tests.fakes import BOT
from tests.unit.world import ALICE, BOB, CAROL, World


async def test_create_builds_the_space_and_its_rooms_shared_with_the_founders(world: World) -> None:
    reply = await world.say(f'!congregation create "Riverside" {BOB}')
    assert "on its way" in reply
    await world.settle()

    [space] = world.rooms_of_kind(CONGREGATION_SPACE)
    [lobby] = world.rooms_of_kind(LOBBY)
    [announcements] = world.rooms_of_kind(ANNOUNCEMENTS)
    [hosts] = world.rooms_of_kind(HOSTS)
    g = world.gateway
    s = g.rooms[space]
    assert s.content("m.room.create")["type"] == "m.space"
    assert s.content("m.room.join_rules") == {"join_rule": "knock"}
    # Founders share the top level: cohost is never the sole creator.
    for room in (space, lobby, announcements, hosts):
        assert g.rooms[room].creators == {BOT, ALICE, BOB}
        assert g.rooms[room].content("m.room.power_levels")["users"] == {}
    # Linked both ways, in a stable order.
    for order, room in enumerate((lobby, announcements, hosts), start=1):
        child = s.content("m.space.child", room)
        assert child["via"] == ["example.org"] and child["order"] == f"{order:02d}"
        assert g.rooms[room].content("m.space.parent", space) == {
            "via": ["example.org"],
            "canonical": True,
        }
    restricted = {
        "join_rule": "restricted",
        "allow": [{"type": "m.room_membership", "room_id": space}],
    }
    assert g.rooms[lobby].content("m.room.join_rules") == restricted
    assert g.rooms[announcements].content("m.room.join_rules") == restricted
    assert g.rooms[announcements].content("m.room.power_levels")["events_default"] == 100
    assert g.rooms[hosts].content("m.room.join_rules") == {"join_rule": "invite"}
    # Hosts are invited, not joined: they accept.
    for host in (ALICE, BOB):
        assert s.membership(host) == "invite"
        assert g.rooms[hosts].membership(host) == "invite"
    facts = s.content("cc.microsolidarity.congregation")
    assert facts["hosts"] == [ALICE, BOB]
    assert facts["rooms"] == {"lobby": lobby, "announcements": announcements, "hosts": hosts}
    assert any("is ready" in body for body in g.notices_in("!dm:example.org"))


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ('!congregation create ""', "Give the congregation a name"),
        ("!congregation create " + "x" * 65, "keep it to 64"),
        ("!congregation create Riverside bob", "not a Matrix user id"),
        ("!congregation create Riverside @cohost:example.org", "only human co-hosts"),
    ],
)
async def test_bad_input_changes_nothing(world: World, command: str, expected: str) -> None:
    assert expected in await world.say(command)
    await world.settle()
    assert world.gateway.rooms == {}


async def test_only_allowed_creators_may_create(world: World) -> None:
    reply = await world.say("!congregation create Riverside", sender="@mallory:evil.example")
    assert "setting `creators`" in reply
    await world.settle()
    assert world.gateway.rooms == {}


async def test_a_name_is_used_once(world: World) -> None:
    await world.congregation("Riverside")
    assert "already exists" in await world.say("!congregation create riverside")


async def test_info_and_members(world: World) -> None:
    space = await world.congregation("Riverside", BOB)
    info = await world.say("!congregation info")
    assert info.startswith("**Riverside** — since 2026-11-27")
    assert f"Hosts: {ALICE}, {BOB}" in info
    members = await world.say("!congregation members")
    assert f"{ALICE} (host)" in members and "2 members" in members
    assert BOT not in members
    assert space in info


async def test_a_non_member_is_told_how_to_join(world: World) -> None:
    await world.congregation("Riverside")
    assert "not a member of any congregation" in await world.say("!congregation info", sender=CAROL)


async def test_the_last_host_cannot_step_down_but_one_of_two_can(world: World) -> None:
    space = await world.congregation("Riverside", BOB)
    hosts_room = world.hosts_room(space)
    assert "no longer a host" in await world.say("!host step-down", sender=BOB, room=hosts_room)
    assert world.gateway.rooms[space].content("cc.microsolidarity.congregation")["hosts"] == [ALICE]
    assert "only host" in await world.say("!host step-down", room=hosts_room)
    assert "Only the hosts" in await world.say("!host step-down", sender=BOB, room=hosts_room)


async def test_a_member_who_leaves_is_removed_where_cohost_may(world: World) -> None:
    space = await world.congregation("Riverside")
    world.gateway.accept(space, CAROL)
    [lobby] = world.rooms_of_kind(LOBBY)
    world.gateway.accept(lobby, CAROL)
    reply = await world.say("!congregation leave", sender=CAROL)
    assert "leaving **Riverside**" in reply
    assert world.gateway.rooms[space].membership(CAROL) == "leave"
    assert world.gateway.rooms[lobby].membership(CAROL) == "leave"


async def test_a_founder_who_leaves_is_told_to_leave_by_themselves(world: World) -> None:
    space = await world.congregation("Riverside", BOB)
    reply = await world.say("!congregation leave", sender=BOB)
    assert "leave them from Element" in reply
    assert world.gateway.rooms[space].membership(BOB) == "join"
    assert world.gateway.rooms[space].content("cc.microsolidarity.congregation")["hosts"] == [ALICE]


async def test_a_host_announces_through_cohost(world: World) -> None:
    space = await world.congregation("Riverside", BOB)
    hosts_room = world.hosts_room(space)
    [announcements] = world.rooms_of_kind(ANNOUNCEMENTS)
    world.gateway.accept(hosts_room, CAROL)
    assert "Only the hosts" in await world.say("!announce hello", sender=CAROL, room=hosts_room)
    assert "Hosts room" in await world.say("!announce hello")
    assert "Missing `text`" in await world.say("!announce", room=hosts_room)
    catalogs.peoples_words("Gathering on")
    assert "Posted" in await world.say("!announce Gathering on **Saturday**", room=hosts_room)
    [posted] = world.gateway.notices_in(announcements)
    assert posted.startswith(
        "Gathering on **Saturday**\n— @alice:example.org, host of **Riverside**"
    )
    assert "not part of a network" in await world.say("!announce network hi", room=hosts_room)
    assert len(world.gateway.notices_in(announcements)) == 1


async def test_a_congregations_times_are_shown_in_the_zone_its_hosts_choose(
    world: World,
) -> None:
    """Until a zone is chosen, the setting's (UTC); then every time a proposal shows
    (its announcement, `!proposals`, the reply to `!propose`) is in Berlin's, with the
    weekday, the date, the abbreviation and how far off, also across a change to
    summer time."""
    space = await world.congregation("Riverside", BOB, members=(CAROL,))
    hosts = world.hosts_room(space)
    assert "Friday 4 December, 12:00 UTC (in 1 week)" in await world.say(
        "!propose We meet on Tuesdays", ALICE, hosts
    )
    assert "Only the hosts" in await world.say("!congregation zone Europe/Berlin", CAROL)
    assert "not a time zone" in await world.say("!congregation zone Mars/Base", ALICE, hosts)
    assert "Times shown in: UTC" in await world.say("!congregation info", ALICE, hosts)
    reply = await world.say("!congregation zone Europe/Berlin", ALICE, hosts)
    assert "Europe/Berlin" in reply and "Friday 27 November, 13:00 CET" in reply
    assert "Times shown in: Europe/Berlin" in await world.say("!congregation info", BOB, hosts)
    listed = await world.say("!proposals", BOB, hosts)
    assert "closes Friday 4 December, 13:00 CET (in 1 week)" in listed

    world.clock.current = datetime(2027, 3, 24, 12, 0, tzinfo=UTC)  # summer time on the 28th
    assert "Wednesday 31 March, 14:00 CEST (in 1 week)" in await world.say(
        "!propose We meet outside", BOB, hosts
    )
    [announced] = [m for m in world.gateway.notices_in(hosts) if "We meet outside" in m]
    assert "at its close, Wednesday 31 March, 14:00 CEST (in 1 week)" in announced
