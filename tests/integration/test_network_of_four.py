"""Three and four congregations, each on its own homeserver: deciding together, the
network's Meta Crew, and going on when the founding homeserver is gone for good."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from service.admin.devserver import Homeserver
from tests.integration.cohost_process import CohostProcess
from tests.integration.community import (
    Congregation,
    create_congregation,
    create_network,
    linked_room,
)
from tests.integration.matrix_user import User
from tests.integration.test_federation import wait_until_seen

pytestmark = pytest.mark.integration


async def proposal_about(
    user: User, room: str, text: str, bots: list[CohostProcess], within: float = 120
) -> str:
    """The number of the proposal about `text`, once this user's client has it."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        await user.sync(1000)
        for bot in bots:
            for event in user.notices(room, bot.user_id):
                body = str(event.source["content"]["body"])
                opening = re.match(r"Proposal #(\d+):", body)
                if text in body and opening:
                    return opening.group(1)
    raise AssertionError(f"no proposal about {text} reached {user.user_id}")


async def join_network(
    host: User, bot: CohostProcess, congregation: Congregation, network: str, via: str
) -> None:
    link = f"https://matrix.to/#/{network}?via={via}"
    assert "I knocked" in await host.ask(congregation.hosts_room, f"!network join {link}")


async def consent_everywhere(people: tuple[User, ...], room: str, number: str) -> None:
    for person in people:
        assert "recorded" in await person.ask(room, f"!consent {number}")


async def the_same_everywhere(people: tuple[User, ...], room: str, within: float = 60) -> str:
    """`!proposals` as each person's own cohost answers it: the same at every cohost
    once the votes have gone round (each person asks once a round)."""
    deadline = time.monotonic() + within
    while True:
        views = {p.user_id: await p.ask(room, "!proposals") for p in people}
        if len(set(views.values())) == 1 or time.monotonic() > deadline:
            break
        await asyncio.sleep(3)
    assert len(set(views.values())) == 1, views
    return next(iter(views.values()))


async def a_meta_crew(
    alice: User,
    bea: User,
    carl: User,
    bots: dict[str, CohostProcess],
    commons: str,
    via: list[str],
) -> str:
    """Alice proposes the Meta Crew; once made, Bea asks to join it. Nobody consents to
    their own proposal (proposing is consenting, at every cohost), and every cohost
    reads the Commons the same after each step."""
    hosts = (alice, bea, carl)
    reply = await alice.ask(commons, "!network crew create Meta Crew")
    number = re.search(r"Proposal #(\d+)", reply)
    assert number, reply
    assert "1 of 3 consented" in await the_same_everywhere(hosts, commons)
    await consent_everywhere((bea,), commons, number.group(1))
    assert "2 of 3 consented" in await the_same_everywhere(hosts, commons)
    await consent_everywhere((carl,), commons, number.group(1))
    meta = linked_room(await alice.wait_for_notice(commons, bots["a"].user_id, "is ready: "))
    assert "No proposals are open" in await the_same_everywhere(hosts, commons)
    await alice.join(meta)
    reply = await bea.ask(commons, '!crew join "Meta Crew"')
    asked = re.search(r"Proposal #(\d+)", reply)
    assert asked, reply
    assert "1 of 3 consented" in await the_same_everywhere(hosts, commons)
    await consent_everywhere((alice, carl), commons, asked.group(1))
    assert "No proposals are open" in await the_same_everywhere(hosts, commons)
    # The network consented: the crew (Alice) decides in its room, asked once, by the
    # cohost that opened the network's decision or, if it cannot yet, by the next in turn.
    assert await proposal_about(alice, meta, bea.user_id, list(bots.values()), 90) == "1"
    assert "recorded" in await alice.ask(meta, "!consent 1")
    openings = [
        body
        for bot in bots.values()
        for event in alice.notices(meta, bot.user_id)
        if re.match(r"Proposal #\d+:", body := str(event.source["content"]["body"]))
    ]
    assert len(openings) == 1, openings
    await bea.join(meta, *via)
    return meta


async def a_reminder_survives_its_keeper(
    alice: User, bea: User, home: Homeserver, bots: dict[str, CohostProcess], meta: str
) -> None:
    """Riverside's cohost made the crew and keeps its rhythm; it sends the day's
    reminder, then its homeserver goes; the hour's reminder comes once, from another."""
    meeting = (datetime.now(UTC) + timedelta(minutes=62)).replace(second=0, microsecond=0)
    command = f"!crew cycle 1 meeting every {meeting:%A} {meeting:%H:%M} UTC"
    assert "Cycle 1: 1 meeting" in await alice.ask(meta, command)
    await bea.wait_for_notice(meta, bots["a"].user_id, "Reminder: meeting 1 of 1 is tomorrow")
    bots["a"].kill()
    home.stop()
    # A command to the gone keeper is answered by another cohost standing in, once.
    asked = await bea.send(meta, "!crew info")
    deadline = time.monotonic() + 300
    reminders: list[str] = []
    while time.monotonic() < deadline and not reminders:
        await bea.sync(1000)
        reminders = hour_reminders(bea, meta, bots)
    assert len(reminders) == 1, reminders
    assert await bea.replies_to(meta, asked, settle=0, within=120)
    # The next cohost's turn passes, for the reminder and for the answer: it sees that
    # they went out, and sends neither.
    await bea.quiet_for(65)
    assert len(hour_reminders(bea, meta, bots)) == 1
    answers = [str(a.source["content"]["body"]) for a in bea.replies_seen(meta, asked)]
    assert len(answers) == 1 and "Meta Crew" in answers[0], answers


def hour_reminders(user: User, room: str, bots: dict[str, CohostProcess]) -> list[str]:
    return [
        str(e.source["content"]["body"])
        for bot in bots.values()
        for e in user.notices(room, bot.user_id)
        if "within the hour" in str(e.source["content"]["body"])
    ]


@pytest.mark.long(400)
async def test_three_congregations_decide_together_and_go_on_without_the_founder(
    tmp_path: Path,
) -> None:
    # One homeserver per congregation, as they would run them. The newest one asks the
    # others to vouch for signing keys: the founder's will only be known to them.
    home, away, third = (Homeserver(tmp_path / n, federation=True) for n in ("a", "b", "c"))
    fourth = Homeserver(
        tmp_path / "d", federation=True, notaries=[away.server_name, third.server_name]
    )
    servers = [home, away, third, fourth]
    for server in servers:
        server.start()
    # Short enough for a test, long enough for the cohosts' turns and the votes.
    # A keeper is taken to be gone once a reminder is this late (beyond one 30 s tick).
    window = {"network_window": "PT90S", "rhythm_takeover_after": "PT45S"}
    bots = {
        "a": CohostProcess(home, "cohost", tmp_path / "bot-a", **window),
        "b": CohostProcess(away, "cohost", tmp_path / "bot-b", **window),
        "c": CohostProcess(third, "cohost", tmp_path / "bot-c", **window),
        "d": CohostProcess(fourth, "cohost", tmp_path / "bot-d", **window),
    }
    for bot in bots.values():
        bot.start()
    alice = await User.create(home, "alice", store=tmp_path / "alice")
    bea = await User.create(away, "bea", store=tmp_path / "bea")
    carl = await User.create(third, "carl", store=tmp_path / "carl")
    dora = await User.create(fourth, "dora", store=tmp_path / "dora")
    people = (alice, bea, carl, dora)
    try:
        riverside = await create_congregation(alice, bots["a"], "Riverside")
        hilltop = await create_congregation(bea, bots["b"], "Hilltop")
        creekside = await create_congregation(carl, bots["c"], "Creekside")
        delta = await create_congregation(dora, bots["d"], "Delta")
        rivers = await create_network(alice, bots["a"], riverside, "Rivers")
        network, commons = rivers.space, rivers.commons

        # Hilltop joins with Riverside's consent.
        await join_network(bea, bots["b"], hilltop, network, home.server_name)
        await alice.wait_for_notice(commons, bots["a"].user_id, "Proposal #1:")
        await alice.ask(commons, "!consent 1")
        await bea.wait_for_notice(
            hilltop.hosts_room, bots["b"].user_id, "is now a member", within=90
        )
        while commons not in bea.client.invited_rooms:
            await bea.sync(500)
        await bea.join(commons, away.server_name, home.server_name)

        # Creekside needs both: one consent is not enough while the window is open.
        await join_network(carl, bots["c"], creekside, network, home.server_name)
        deadline = time.monotonic() + 90
        opened = None
        while opened is None and time.monotonic() < deadline:
            for event in alice.notices(commons, bots["a"].user_id) + alice.notices(
                commons, bots["b"].user_id
            ):
                if str(event.source["content"]["body"]).startswith("Proposal #2:"):
                    opened = event
            await alice.sync(500)
        assert opened is not None
        assert "recorded" in await alice.ask(commons, "!consent 2")
        assert "1 of 2 consented" in await bea.ask(commons, "!proposals")
        assert "recorded" in await bea.ask(commons, "!consent 2")
        await carl.wait_for_notice(
            creekside.hosts_room, bots["c"].user_id, "is now a member", within=120
        )
        while commons not in carl.client.invited_rooms:
            await carl.sync(500)
        await carl.join(commons, third.server_name, away.server_name)

        # Each vote got exactly one answer, although two cohosts read the Commons.
        history = await alice.history(commons)
        for event in history:
            body = str(event.get("content", {}).get("body", ""))
            if body.startswith("!consent") or body.startswith("!proposals"):
                answers = [
                    e
                    for e in history
                    if e.get("content", {})
                    .get("m.relates_to", {})
                    .get("m.in_reply_to", {})
                    .get("event_id")
                    == event["event_id"]
                ]
                assert len(answers) == 1, body

        # The network calls its Meta Crew; Bea joins it by the network's consent and then
        # the crew's; its reminder arrives once, also when its keeper's homeserver is gone.
        via = [home.server_name, away.server_name]
        meta = await a_meta_crew(alice, bea, carl, bots, commons, via)
        await a_reminder_survives_its_keeper(alice, bea, home, bots, meta)

        # The founding homeserver is gone for good; Delta applies to those who remain.
        await join_network(dora, bots["d"], delta, network, away.server_name)
        number = await proposal_about(carl, commons, "“Delta”", [bots["b"], bots["c"]])
        assert await proposal_about(bea, commons, "“Delta”", [bots["b"], bots["c"]]) == number
        assert "recorded" in await bea.ask(commons, f"!consent {number}")
        assert "recorded" in await carl.ask(commons, f"!consent {number}")
        # Riverside cannot answer any more: the proposal passes at its close.
        await dora.wait_for_notice(
            delta.hosts_room, bots["d"].user_id, "is now a member", within=300
        )

        # Announcements still go round among those who remain.
        await carl.ask(creekside.hosts_room, "!announce network Harvest supper")
        assert (
            await wait_until_seen(bea, hilltop.announcements, "From Creekside: Harvest supper") == 1
        )
        assert (
            await wait_until_seen(dora, delta.announcements, "From Creekside: Harvest supper") == 1
        )
    finally:
        for user in people:
            await user.close()
        for bot in bots.values():
            bot.kill()
        for server in servers:
            server.stop()
