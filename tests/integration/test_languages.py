"""A congregation in German and in Berlin's time, on a real Synapse: `!help`, a
proposal whose close lies after the change to summer time, and a crew's reminder
arrive in German with Berlin times, as Element receives them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime

from service.admin.devserver import Homeserver
from tests.integration.cohost_process import CohostProcess
from tests.integration.community import create_congregation, let_in, linked_room
from tests.integration.conftest import unique
from tests.integration.matrix_user import User

pytestmark = pytest.mark.integration
BERLIN = ZoneInfo("Europe/Berlin")


def german(moment: datetime) -> str:
    """How the catalog's German pattern shows a moment in Berlin."""
    local = moment.astimezone(BERLIN)
    return f"{format_datetime(local, 'EEEE, d. MMMM', tzinfo=BERLIN, locale='de')}"


async def test_a_german_congregation_in_berlin(homeserver: Homeserver, tmp_path: Path) -> None:
    # Long windows allowed, so that a proposal closes after Berlin's clocks change.
    bot = CohostProcess(
        homeserver, unique("sprechend"), tmp_path / "bot", longest_proposal_window="P200D"
    )
    bot.start()
    alice = await User.create(homeserver, unique("alice"), store=tmp_path / "alice")
    bob = await User.create(homeserver, unique("bob"), store=tmp_path / "bob")
    try:
        congregation = await create_congregation(alice, bot, "Flussufer")
        hosts = congregation.hosts_room
        await let_in(alice, congregation.space, bob)
        assert "Europe/Berlin" in await alice.ask(hosts, "!congregation zone Europe/Berlin")
        chosen = await alice.ask(hosts, "!congregation language de")
        assert chosen.startswith("Ich spreche ab jetzt Deutsch in **Flussufer**")

        help_text = await alice.ask(hosts, "!help")
        assert help_text.startswith("Ich begleite Crews und Congregations der Mikrosolidarität.")
        assert "!crew new <name>" in help_text  # commands stay English words

        # Whatever today is, a window of 200 days ends on the other side of a change
        # between winter and summer time: the close is shown in that season's zone.
        opened = datetime.now(UTC)
        closes = opened + timedelta(days=200)
        reply = await alice.ask(hosts, "!propose --for P200D Wir treffen uns am Fluss")
        assert reply.startswith("Vorschlag #1 ist offen bis ")
        assert german(closes) in reply
        season = closes.astimezone(BERLIN).tzname()
        assert season != opened.astimezone(BERLIN).tzname() and f" {season} (in " in reply

        calling = await alice.ask(congregation.lobby, f"!crew new Wanderer {bob.user_id}")
        assert calling.startswith("Die Crew **Wanderer** entsteht.")
        ready = await alice.wait_for_notice(congregation.lobby, bot.user_id, "ist bereit: ")
        crew = linked_room(ready)
        await alice.join(crew)
        await bob.join(crew)
        meeting = (datetime.now(UTC) + timedelta(minutes=2)).replace(second=0, microsecond=0)
        local = meeting.astimezone(BERLIN)
        weekday = format_datetime(local, "EEEE", tzinfo=BERLIN, locale="en")
        cycle = await alice.ask(
            crew, f"!crew cycle 1 meeting every {weekday} {local:%H:%M} Europe/Berlin"
        )
        assert cycle.startswith("Zyklus 1: 1 Treffen, jeden ")
        reminder = await alice.wait_for_notice(
            crew, bot.user_id, "Erinnerung: Treffen 1 von 1", within=90
        )
        assert "innerhalb der nächsten Stunde" in reminder
        assert f"{german(meeting)}, {local:%H:%M} {local.tzname()}" in reminder
    finally:
        await alice.close()
        await bob.close()
        bot.kill()
