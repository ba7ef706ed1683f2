"""At home in Element (SPEC §4b): people read from pills and shown as pills, asks that
notify exactly those asked, one-click votes, help that fits the room, a welcome, and
members reaching cohost from any homeserver."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from handlers.community.invites import InviteHandler
from handlers.community.state import CREW_ROOM, LOBBY
from handlers.decisions.engine import Decisions
from handlers.framework.markdown import to_html
from handlers.framework.patterns import UserPatterns
from handlers.framework.speech import display_names
from handlers.framework.types import (
    IncomingInvite,
    IncomingMember,
    IncomingReaction,
    RoomId,
    UserId,
)
from tests.fakes import BOT, FakeRoom, message
from tests.unit.decisions.test_decisions import crew_of, eid, state
from tests.unit.world import ALICE, BOB, CAROL, DM, World, make_world

ERIN = "@erin:elsewhere.net"
OTHER_COHOST = UserId("@cohost:hilltop.example")


def picked(body: str, formatted: str, *mentions: str) -> dict[str, Any]:
    """What Element sends for a command with people picked from its suggestions."""
    return {
        "msgtype": "m.text",
        "body": body,
        "format": "org.matrix.custom.html",
        "formatted_body": formatted,
        "m.mentions": {"user_ids": list(mentions)},
    }


async def say_content(world: World, content: dict[str, Any], room: str, sender: str = ALICE) -> str:
    msg = dataclasses.replace(message(content["body"], sender, room), content=content)
    msg = world.now(msg)
    await world.cohost.commands.on_message(msg)
    replies = world.gateway.replies_to(msg.event_id)
    assert len(replies) == 1, replies
    return str(replies[0]["body"])


def lobby_of(world: World) -> RoomId:
    [lobby] = world.rooms_of_kind(LOBBY)
    return lobby


def named(world: World, room: RoomId, user: str, name: str) -> None:
    world.gateway.set_state(
        room, "m.room.member", user, {"membership": "join", "displayname": name}, user
    )


async def joins(world: World, room: RoomId, who: str, membership: str = "join") -> None:
    before = "join" if membership == "leave" else None
    await world.deliver(IncomingMember(room, eid("$m"), UserId(who), who, membership, before, None))


def invited_to_crew(world: World) -> set[str]:
    [crew] = world.rooms_of_kind(CREW_ROOM)
    return {k for (t, k) in world.gateway.rooms[crew].state if t == "m.room.member"} - {BOT, ALICE}


# -- people in ---------------------------------------------------------------------
async def test_a_person_picked_in_element_is_read_from_the_pill(world: World) -> None:
    space = await world.congregation()
    world.gateway.accept(space, ERIN)
    content = picked(
        "!crew new Walkers Erin Gardener",
        '!crew new Walkers <a href="https://matrix.to/#/@erin:elsewhere.net">Erin Gardener</a>',
        ERIN,
    )
    reply = await say_content(world, content, lobby_of(world))
    assert "on its way" in reply, reply
    await world.settle()
    assert invited_to_crew(world) == {ERIN}


async def test_a_matrix_uri_and_an_escaped_permalink_are_read_too(world: World) -> None:
    space = await world.congregation()
    world.gateway.accept(space, ERIN)
    world.gateway.accept(space, BOB)
    content = picked(
        "!crew new Walkers Erin Bob",
        '!crew new Walkers <a href="matrix:u/erin:elsewhere.net?action=chat">Erin</a> '
        '<a href="https://matrix.to/#/%40bob%3Aexample.org">Bob</a>',
    )
    await say_content(world, content, lobby_of(world))
    await world.settle()
    assert invited_to_crew(world) == {ERIN, BOB}


async def test_without_links_a_mentioned_persons_display_name_is_read_as_them(
    world: World,
) -> None:
    space = await world.congregation()
    lobby = lobby_of(world)
    world.gateway.accept(space, ERIN)
    named(world, lobby, ERIN, "Erin Gardener")
    content = {"msgtype": "m.text", "body": "!crew new Walkers Erin Gardener"}
    content["m.mentions"] = {"user_ids": [ERIN]}
    await say_content(world, content, lobby)
    await world.settle()
    assert invited_to_crew(world) == {ERIN}


async def test_two_mentioned_people_of_one_name_get_a_question_and_nothing_happens(
    world: World,
) -> None:
    await world.congregation()
    lobby = lobby_of(world)
    named(world, lobby, ERIN, "Sam")
    named(world, lobby, BOB, "Sam")
    content = {"msgtype": "m.text", "body": "!crew new Walkers Sam"}
    content["m.mentions"] = {"user_ids": [ERIN, BOB]}
    reply = await say_content(world, content, lobby)
    assert "called “Sam”" in reply and ERIN in reply and BOB in reply, reply
    await world.settle()
    assert world.rooms_of_kind(CREW_ROOM) == []


async def test_a_pill_is_not_read_out_of_a_quoted_reply(world: World) -> None:
    content = picked(
        "!ping",
        '<mx-reply><a href="https://matrix.to/#/@bob:example.org">Bob</a> hi</mx-reply>!ping',
        BOB,
    )
    assert "Pong" in await say_content(world, content, DM)


# -- people out ----------------------------------------------------------------------
def test_people_are_pills_with_their_escaped_names_and_raw_html_stays_text() -> None:
    html = to_html(
        "Proposal by @bob:example.org. <b>x</b> [site](https://evil.example) `code`",
        {"@bob:example.org": "Bob <the> Builder"},
    )
    assert '<a href="https://matrix.to/#/@bob:example.org">Bob &lt;the&gt; Builder</a>.' in html
    assert "<b>" not in html and "&lt;b&gt;" in html
    assert "evil.example" in html and 'href="https://evil' not in html  # no link offered
    assert "<code>code</code>" in html


async def test_names_for_pills_are_read_from_each_members_own_event_alone(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reply naming someone in a Lobby of 150 must not read the whole Lobby's state
    (again after each join)."""
    await world.congregation()
    lobby = lobby_of(world)
    named(world, lobby, BOB, "Bob")
    world.gateway.set_state(
        lobby, "m.room.member", CAROL, {"membership": "leave", "displayname": "Carol"}, CAROL
    )

    async def whole_state(room_id: RoomId) -> list[dict[str, Any]]:
        raise AssertionError("the room's whole state was read")

    monkeypatch.setattr(world.gateway, "room_state", whole_state)
    found = await display_names(world.gateway, lobby, {BOB, CAROL, "@erin:elsewhere.net"})
    assert found == {BOB: "Bob"}


async def test_names_of_many_people_come_from_one_read_of_the_room(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A round's groups name everyone: one read, not a request per person."""
    await world.congregation()
    lobby = lobby_of(world)
    people = [f"@p{i}:example.org" for i in range(40)]
    for person in people:
        named(world, lobby, person, person[1:4].upper())
    asked: list[str] = []
    read_one = world.gateway.get_state

    async def counted(room_id: RoomId, event_type: str, state_key: str = "") -> Any:
        asked.append(state_key)
        return await read_one(room_id, event_type, state_key)

    monkeypatch.setattr(world.gateway, "get_state", counted)
    found = await display_names(world.gateway, lobby, {*people, CAROL})
    assert found == {person: person[1:4].upper() for person in people}
    assert asked == []


async def test_a_proposal_asks_exactly_its_deciders_and_offers_one_click_votes(
    world: World,
) -> None:
    crew = await crew_of(world, BOB, CAROL)
    named(world, crew, BOB, "Bob")
    reply = await world.say("!propose We meet outside", room=crew)
    [proposal] = [m for m in world.gateway.messages_in(crew) if "Proposal #1:" in m.content["body"]]
    # An m.text mentioning the deciders who have not answered (the proposer consented).
    assert proposal.content["msgtype"] == "m.text"
    assert proposal.content["m.mentions"] == {"user_ids": [BOB, CAROL]}
    assert (
        '<a href="https://matrix.to/#/@bob:example.org">Bob</a>'
        in (proposal.content["formatted_body"])
    )
    # The reply to the command notifies nobody: an m.notice.
    assert "Proposal #1 is open" in reply
    [answer] = [m for m in world.gateway.messages_in(crew) if "is open" in m.content["body"]]
    assert answer.content["msgtype"] == "m.notice"
    offered = world.gateway.reactions_to(proposal.event_id)
    assert sorted(key for _, key in offered) == sorted(["👍", "✋"])


async def test_no_cohosts_reaction_counts_as_a_vote(world: World) -> None:
    crew = await crew_of(world, BOB)
    await world.say("!propose We meet outside", room=crew)
    [proposal] = [m for m in world.gateway.messages_in(crew) if "Proposal #1:" in m.content["body"]]

    async def cohosts(room: RoomId) -> set[UserId]:
        return {OTHER_COHOST}

    world.feature(Decisions).share_rooms_with(cohosts)
    said = len(world.gateway.sent)
    for who in (BOT, OTHER_COHOST):
        reaction = IncomingReaction(crew, eid("$r"), UserId(who), proposal.event_id, "👍", 1)
        await world.deliver(reaction)
    assert state(world, crew, 1)["status"] == "open"
    assert len(world.gateway.sent) == said  # not even "your reaction does not count"


# -- help that fits --------------------------------------------------------------------
async def test_help_lists_what_the_asker_may_do_where_they_ask(world: World) -> None:
    crew = await crew_of(world, BOB)
    in_crew = await world.say("!help", sender=BOB, room=crew)
    assert "`!crew cycle" in in_crew and "`!feedback ask`" in in_crew
    assert "`!congregation create" not in in_crew  # a DM's command
    assert "`!host add" not in in_crew  # the Hosts room's
    assert "**Crews**" in in_crew and "`!help all`" in in_crew
    everything = await world.say("!help all", sender=BOB, room=crew)
    assert "`!congregation create" in everything and "`!host add" in everything
    detail = await world.say("!help host add", sender=BOB, room=crew)
    assert "Where: the congregation's Hosts room; who: a host" in detail


async def test_unknown_commands_are_left_to_other_bots_in_shared_rooms(world: World) -> None:
    crew = await crew_of(world, BOB)
    roll = world.now(message("!roll 2d6", BOB, crew))
    await world.cohost.commands.on_message(roll)
    assert world.gateway.replies_to(roll.event_id) == []
    assert "Did you mean `!consent`?" in await world.say("!consnet 1", sender=BOB, room=crew)
    assert "I don't know `!roll`" in await world.say("!roll 2d6")  # a DM is answered


async def test_cohost_answers_when_addressed_by_name(world: World) -> None:
    assert "Pong" in await world.say("!cohost ping")
    assert "Here you can:" in await world.say("!cohost")


# -- a welcome -----------------------------------------------------------------------
async def test_a_newcomer_is_welcomed_once_in_the_lobby(world: World) -> None:
    space = await world.congregation()
    lobby = lobby_of(world)
    await world.say("!crew new Walkers")
    await world.settle()
    world.gateway.accept(space, ERIN)
    for _ in range(2):  # in, out and in again: one welcome
        world.gateway.accept(lobby, ERIN)
        await world.deliver(
            IncomingMember(lobby, eid("$j"), UserId(ERIN), ERIN, "join", None, None)
        )
        await world.deliver(
            IncomingMember(lobby, eid("$l"), UserId(ERIN), ERIN, "leave", "join", None)
        )
    welcomes = [m for m in world.gateway.messages_in(lobby) if "Welcome" in m.content["body"]]
    assert len(welcomes) == 1
    [welcome] = welcomes
    assert welcome.content["msgtype"] == "m.text"
    assert welcome.content["m.mentions"] == {"user_ids": [ERIN]}
    body = welcome.content["body"]
    assert "**Riverside**" in body and ALICE in body and "**Walkers**" in body
    assert "`!crew new" in body and "`!help`" in body
    # The crew is a link to its room, named.
    [crew] = world.rooms_of_kind(CREW_ROOM)
    assert (
        f'<a href="https://matrix.to/#/{crew}?via=example.org">Walkers</a>'
        in (welcome.content["formatted_body"])
    )
    listed = await world.say("!crew list", room=lobby)
    assert "**Walkers** — called by" in listed
    # A host joining the Lobby is not welcomed to their own congregation.
    await joins(world, lobby, ALICE)
    assert len([m for m in world.gateway.messages_in(lobby) if "Welcome" in m.content["body"]]) == 1


async def test_the_welcome_comes_by_direct_message_when_so_set(tmp_path: Path) -> None:
    world = await make_world(tmp_path, welcome_in="dm")
    try:
        space = await world.congregation()
        world.gateway.accept(space, ERIN)
        await world.deliver(
            IncomingMember(space, eid("$j"), UserId(ERIN), ERIN, "join", None, None)
        )
        await world.settle()
        [dm] = [r for r in world.rooms_of_kind("direct")]
        [welcome] = world.gateway.messages_in(dm)
        assert "Welcome to **Riverside**" in welcome.content["body"]
        assert welcome.content["m.mentions"] == {"user_ids": [ERIN]}
    finally:
        await world.engine.dispose()


# -- members from anywhere ---------------------------------------------------------------
async def test_members_from_any_homeserver_may_open_a_dm_and_strangers_may_not(
    world: World,
) -> None:
    space = await world.congregation()
    world.gateway.accept(space, ERIN)
    handler = InviteHandler(
        world.gateway,
        UserPatterns.parse(["*:example.org", "members"]),
        world.cohost.runner,
        world.clock,
        member=world.cohost.directory.member_anywhere,
    )
    for room, who in (("!erin-dm", ERIN), ("!stranger-dm", "@stranger:elsewhere.net")):
        world.gateway.rooms[RoomId(room)] = FakeRoom(RoomId(room), {})
        world.gateway.accept(RoomId(room), who)
        await handler.on_invite(IncomingInvite(RoomId(room), UserId(who), direct=True))
    await world.settle()
    assert world.gateway.joined == ["!erin-dm"]
    assert world.gateway.left == ["!stranger-dm"]
    # The DM she opened is greeted, once.
    [greeting] = world.gateway.messages_in("!erin-dm")
    assert "`!help`" in greeting.content["body"] and greeting.content["msgtype"] == "m.notice"


async def test_narrowed_allowed_inviters_leave_members_out(world: World) -> None:
    space = await world.congregation()
    world.gateway.accept(space, ERIN)
    handler = InviteHandler(
        world.gateway,
        UserPatterns.parse(["*:example.org"]),
        world.cohost.runner,
        world.clock,
        member=world.cohost.directory.member_anywhere,
    )
    await handler.on_invite(IncomingInvite(RoomId("!erin-dm"), UserId(ERIN)))
    assert world.gateway.left == ["!erin-dm"]


async def test_a_group_too_large_to_name_that_is_the_whole_room_gets_a_room_mention(
    tmp_path: Path,
) -> None:
    world = await make_world(tmp_path, membership_decided_by="members")
    try:
        space = await world.congregation()
        lobby = lobby_of(world)
        for n in range(60):
            world.gateway.accept(space, f"@member{n}:example.org")
            world.gateway.accept(lobby, f"@member{n}:example.org")
        assert "is open" in await world.say("!propose We meet in the park", room=lobby)
        [proposal] = [
            m for m in world.gateway.messages_in(lobby) if "Proposal #1:" in m.content["body"]
        ]
        assert proposal.content["msgtype"] == "m.text"
        assert proposal.content["m.mentions"] == {"room": True}
    finally:
        await world.engine.dispose()


async def test_direct_message_commands_are_refused_in_a_room_shared_with_people(
    world: World,
) -> None:
    group = RoomId("!group:example.org")
    world.gateway.rooms[group] = FakeRoom(group, {})
    for person in (BOT, ALICE, BOB):
        world.gateway.accept(group, person)
    reply = await world.say("!congregation create Hidden", room=group)
    assert "direct message" in reply
    assert world.rooms_of_kind("congregation") == []
