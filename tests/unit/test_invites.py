from __future__ import annotations

from handlers.community.invites import InviteHandler
from handlers.framework.patterns import UserPatterns
from handlers.framework.types import IncomingInvite, RoomId, UserId
from tests.fakes import FakeGateway


async def test_allowed_inviters_are_accepted_and_others_declined() -> None:
    gateway = FakeGateway()
    policy = UserPatterns.parse(["*:example.org", "@friend:elsewhere.net"])
    handler = InviteHandler(gateway, policy)
    await handler.on_invite(IncomingInvite(RoomId("!a:x"), UserId("@alice:example.org")))
    await handler.on_invite(IncomingInvite(RoomId("!b:x"), UserId("@friend:elsewhere.net")))
    await handler.on_invite(IncomingInvite(RoomId("!c:x"), UserId("@stranger:elsewhere.net")))
    await handler.on_invite(IncomingInvite(RoomId("!d:x"), UserId("@alice:example.org.evil")))
    assert gateway.joined == ["!a:x", "!b:x"]
    assert gateway.left == ["!c:x", "!d:x"]
