"""Two congregations hosted on one homeserver, each with its own cohost, form a network:
the knock of the second is decided in the Commons and its cohost joins."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.admin.devserver import Homeserver
from tests.integration.cohost_process import CohostProcess
from tests.integration.community import create_congregation, create_network
from tests.integration.conftest import unique
from tests.integration.matrix_user import User

pytestmark = pytest.mark.integration


async def test_two_congregations_on_one_homeserver_form_a_network(
    homeserver: Homeserver, tmp_path: Path
) -> None:
    bot_a = CohostProcess(homeserver, unique("cohosta"), tmp_path / "cohost-a")
    bot_b = CohostProcess(homeserver, unique("cohostb"), tmp_path / "cohost-b")
    bot_a.start()
    bot_b.start()
    alice = await User.create(homeserver, unique("alice"), store=tmp_path / "alice")
    bea = await User.create(homeserver, unique("bea"), store=tmp_path / "bea")
    try:
        riverside = await create_congregation(alice, bot_a, "Riverside")
        hilltop = await create_congregation(bea, bot_b, "Hilltop")
        rivers = await create_network(alice, bot_a, riverside, "Rivers")
        network, commons = rivers.space, rivers.commons
        link = f"https://matrix.to/#/{network}?via={homeserver.server_name}"
        assert "I knocked" in await bea.ask(hilltop.hosts_room, f"!network join {link}")
        proposal = await alice.wait_for_notice(commons, bot_a.user_id, "Proposal #1:")
        assert "which it calls “Hilltop”" in proposal
        assert "recorded" in await alice.ask(commons, "!consent 1")
        await bea.wait_for_notice(
            hilltop.hosts_room, bot_b.user_id, "is now a member of the network", within=90
        )
        info = await bea.ask(hilltop.hosts_room, "!network info")
        assert "Congregations: **Hilltop**, **Riverside**" in info, info
    finally:
        await alice.close()
        await bea.close()
        bot_a.kill()
        bot_b.kill()
