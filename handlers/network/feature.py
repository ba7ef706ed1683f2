"""How the feature is installed into the house (see handlers.community.house)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel

from handlers.community.house import House
from handlers.community.invites import Expected
from handlers.decisions.engine import Decisions
from handlers.framework.stand_in import StandIns
from handlers.framework.types import IncomingMember
from handlers.membership.engine import Membership
from handlers.network.commands import NetworkCommands
from handlers.network.crews import NetworkCrews, rebuild_network_crews
from handlers.network.engine import CREATE, Creating, Networks, rebuild_networks
from handlers.network.membership import (
    JOINED,
    LEAVE,
    OPEN_JOIN,
    Joined,
    Leaving,
    NetworkMembership,
    Opening,
)
from handlers.network.schema import NETWORK_JOIN
from handlers.network.trust import NetworkTrust
from handlers.rhythm.engine import Rhythm


class NetworkSettings(BaseModel):
    network_window: timedelta = timedelta(days=7)  # how long a network decision is open


def install(house: House) -> None:
    # Who the network trusts to write its facts: its policy, given to the one reader.
    house.directory.shared.trust_networks_by(
        lambda reader: NetworkTrust(reader, house.stores.decisions, house.clock)
    )
    decisions = house.engine(Decisions)
    networks = house.provide(Networks(house.directory, house.runner, house.clock))
    rhythm = house.engine(Rhythm)
    window = house.settings(NetworkSettings).network_window
    membership = house.provide(
        NetworkMembership(
            house.directory, decisions, house.runner, house.clock, window, rhythm.keeper
        )
    )
    crews = house.provide(
        NetworkCrews(house.directory, decisions, house.engine(Membership), house.clock, window)
    )
    decisions.register_kind(NETWORK_JOIN, membership.kind())
    for kind, spec in crews.kinds().items():
        decisions.register_kind(kind, spec)
    house.invites.expect(Expected(crews.invited, crews.joined, crews.awaited))
    house.every_tick(crews.tick)
    # The network's rooms are shared by its cohosts: each adopts the others' proposals,
    # and one answers each command, the others standing in when it does not.
    decisions.share_rooms_with(membership.member_bots)
    stand_ins = StandIns(
        house.runner, house.clock, house.commands.answer_standing_in, membership.is_peer
    )
    house.commands.answer_only_when(membership.answers, stand_ins)
    house.every_tick(stand_ins.prune)
    house.invites.expect(Expected(membership.expects, membership.accepted, membership.awaits))
    house.subscriptions.on(IncomingMember, membership.on_member)
    runner = house.runner
    runner.register(CREATE, Creating, networks.perform_create, networks.report_failure)
    runner.register(JOINED, Joined, membership.perform_joined, membership.report_join_failed)
    runner.register(OPEN_JOIN, Opening, membership.perform_open, membership.opening_failed)
    runner.register(LEAVE, Leaving, membership.perform_leave, membership.leave_failed)
    house.registry.collect(NetworkCommands(networks, membership, crews))
    house.on_resync(rebuild_networks)
    house.on_resync(rebuild_network_crews)
