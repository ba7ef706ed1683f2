"""Building a congregation, a crew and a network on a real Synapse, as members do
it from their clients."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp

from service.admin.devserver import DemoUser
from tests.integration.cohost_process import CohostProcess
from tests.integration.matrix_user import User

LINK = re.compile(r"https://matrix\.to/#/(![^?\s]+)\?via=")


def linked_room(text: str) -> str:
    found = LINK.search(text)
    assert found, text
    return found.group(1)


@dataclass
class Congregation:
    space: str
    facts: dict[str, Any]

    @property
    def lobby(self) -> str:
        return str(self.facts["rooms"]["lobby"])

    @property
    def hosts_room(self) -> str:
        return str(self.facts["rooms"]["hosts"])

    @property
    def announcements(self) -> str:
        return str(self.facts["rooms"]["announcements"])


async def create_congregation(
    host: User,
    cohost: CohostProcess,
    name: str,
    cohosts: list[User] = (),  # type: ignore[assignment]
) -> Congregation:
    dm = await host.create_dm(cohost.user_id, encrypted=False)
    named = " ".join(u.user_id for u in cohosts)
    assert "on its way" in await host.ask(dm, f'!congregation create "{name}" {named}'.strip())
    space = linked_room(await host.wait_for_notice(dm, cohost.user_id, "is ready: "))
    for person in (host, *cohosts):
        await person.join(space)
    facts = await host.state(space, "cc.microsolidarity.congregation")
    assert facts is not None
    for person in (host, *cohosts):
        await person.join(facts["rooms"]["hosts"])
        await person.join(facts["rooms"]["lobby"])
        await person.join(facts["rooms"]["announcements"])
    return Congregation(space, facts)


async def let_in(host: User, space: str, person: User | DemoUser, via: str | None = None) -> None:
    """A host invites someone straight into the congregation's space (no proposal: a
    bypass cohost notes, and does not undo), and they join (from Element: `DemoUser`)."""
    status, body = await host.api(
        "POST",
        f"/_matrix/client/v3/rooms/{quote(space)}/invite",
        {"user_id": person.user_id},
    )
    assert status == 200, body
    if isinstance(person, User):
        await person.join(space, via)
        return
    url = f"{host.client.homeserver}/_matrix/client/v3/join/{quote(space)}"
    headers = {"Authorization": f"Bearer {person.access_token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json={}, headers=headers) as response,
    ):
        assert response.status == 200, await response.text()


async def create_crew(caller: User, cohost: CohostProcess, room: str, command: str) -> str:
    assert "on its way" in await caller.ask(room, command)
    crew = linked_room(await caller.wait_for_notice(room, cohost.user_id, "is ready: "))
    await caller.join(crew)
    return crew


@dataclass
class Network:
    space: str
    facts: dict[str, Any]

    @property
    def commons(self) -> str:
        return str(self.facts["rooms"]["commons"])

    @property
    def announcements(self) -> str:
        return str(self.facts["rooms"]["announcements"])


async def create_network(
    host: User, cohost: CohostProcess, congregation: Congregation, name: str
) -> Network:
    """A host calls the network from the Hosts room, then joins its space and Commons."""
    reply = await host.ask(congregation.hosts_room, f"!network create {name}")
    assert "on its way" in reply, reply
    notice = await host.wait_for_notice(congregation.hosts_room, cohost.user_id, "is ready: ")
    space = linked_room(notice)
    await host.join(space)
    facts = await host.state(space, "cc.microsolidarity.network")
    assert facts is not None
    await host.join(facts["rooms"]["commons"])
    return Network(space, facts)
