"""How the feature is installed into the house (see handlers.community.house)."""

from __future__ import annotations

from handlers.community.house import House
from handlers.community.invites import Expected
from handlers.decisions.engine import Decisions
from handlers.framework.types import IncomingMember
from handlers.network.commands import NetworkCommands
from handlers.network.engine import CREATE, Networks
from handlers.network.membership import (
    JOINED,
    LEAVE,
    NETWORK_JOIN,
    OPEN_JOIN,
    NetworkMembership,
)


def install(house: House) -> None:
    decisions = house.engine(Decisions)
    networks = house.provide(Networks(house.directory, house.runner, house.clock))
    membership = house.provide(
        NetworkMembership(
            house.directory, decisions, house.runner, house.clock, house.config.network_window
        )
    )
    decisions.register_kind(NETWORK_JOIN, membership.kind())
    # The network's rooms are shared by its cohosts: each adopts the others' proposals,
    # and one answers each command.
    decisions.share_rooms_with(membership.member_bots)
    house.commands.answer_only_when(membership.answers)
    house.invites.expect(Expected(membership.expects, membership.accepted, membership.awaits))
    house.subscriptions.on(IncomingMember, membership.on_member)
    runner = house.runner
    runner.register(CREATE, networks.perform_create, networks.report_failure)
    runner.register(JOINED, membership.perform_joined, membership.report_join_failed)
    runner.register(OPEN_JOIN, membership.perform_open, membership.opening_failed)
    runner.register(LEAVE, membership.perform_leave, membership.leave_failed)
    NetworkCommands(networks, membership).declare(house.registry)
