from __future__ import annotations

from datetime import timedelta

from handlers.community.invites import JOIN_PATIENCE, InviteHandler
from handlers.framework.patterns import UserPatterns
from handlers.framework.types import IncomingInvite, RoomId, UserId
from tests.unit.world import World

POLICY = UserPatterns.parse(["*:example.org", "@friend:elsewhere.net"])


def invites(world: World) -> InviteHandler:
    return InviteHandler(world.gateway, POLICY, world.cohost.runner, world.clock)


async def test_allowed_inviters_are_accepted_and_others_declined(world: World) -> None:
    handler = invites(world)
    await handler.on_invite(IncomingInvite(RoomId("!a:x"), UserId("@alice:example.org")))
    await handler.on_invite(IncomingInvite(RoomId("!b:x"), UserId("@friend:elsewhere.net")))
    await handler.on_invite(IncomingInvite(RoomId("!c:x"), UserId("@stranger:elsewhere.net")))
    await handler.on_invite(IncomingInvite(RoomId("!d:x"), UserId("@alice:example.org.evil")))
    assert world.gateway.joined == ["!a:x", "!b:x"]
    assert world.gateway.left == ["!c:x", "!d:x"]


async def test_a_join_refused_while_the_inviting_server_catches_up_is_tried_again(
    world: World,
) -> None:
    handler = invites(world)
    world.gateway.join_refusals = 2
    await handler.on_invite(IncomingInvite(RoomId("!a:x"), UserId("@alice:example.org")))
    assert world.gateway.joined == []
    for _ in range(2):
        world.clock.advance(timedelta(seconds=2))
        await world.cohost.runner.run_one(await only_acceptance(world))
    assert world.gateway.joined == ["!a:x"]


async def test_an_acceptance_survives_a_restart(world: World) -> None:
    world.gateway.join_refusals = 1
    await invites(world).on_invite(IncomingInvite(RoomId("!a:x"), UserId("@alice:example.org")))
    await world.restart()  # the new process resumes the pending acceptance
    await world.settle()
    assert world.gateway.joined == ["!a:x"]


async def test_a_join_still_refused_after_the_patience_is_given_up(world: World) -> None:
    handler = invites(world)
    world.gateway.join_refusals = 100
    await handler.on_invite(IncomingInvite(RoomId("!a:x"), UserId("@alice:example.org")))
    world.clock.advance(JOIN_PATIENCE)
    op = await only_acceptance(world)
    await world.cohost.runner.run_one(op)
    stored = await world.cohost.stores.operations.get(op)
    assert stored is not None and stored.status == "failed"
    assert world.gateway.joined == []


async def only_acceptance(world: World) -> str:
    pending = await world.cohost.stores.operations.pending()
    assert len(pending) == 1, pending
    return pending[0].id
