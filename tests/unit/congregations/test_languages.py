"""A congregation in its own tongue and zone, a person in their own, on the injected
clock: what cohost says in its rooms, its crews and a direct message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from handlers.community.state import CREW_ROOM
from handlers.rhythm.engine import Rhythm
from tests.unit.world import ALICE, BOB, CAROL, DM, World

CONGREGATION = "cc.microsolidarity.congregation"


async def german_in_berlin(world: World) -> tuple[str, str]:
    space = await world.congregation("Riverside", BOB, members=(CAROL,))
    hosts = world.hosts_room(space)
    await world.say("!congregation zone Europe/Berlin", ALICE, hosts)
    reply = await world.say("!congregation language de", ALICE, hosts)
    assert reply.startswith("Ich spreche ab jetzt Deutsch in **Riverside**")
    return space, hosts


async def test_a_german_congregation_hears_german_with_berlin_times_across_summer_time(
    world: World,
) -> None:
    """A proposal's close, a crew's reminders and `!help` arrive in German, with Berlin
    times on both sides of the change to summer time; commands stay English words."""
    space, hosts = await german_in_berlin(world)
    help_text = await world.say("!help", BOB, hosts)
    assert help_text.startswith("Ich begleite Crews und Congregations der Mikrosolidarität.")
    assert (
        "**Entscheidungen**" in help_text and "- `!proposals` — Die offenen Vorschläge" in help_text
    )
    assert "Bitte eine Crew, dich aufzunehmen" in await world.say("!help all", BOB, hosts)
    assert "Wo: ein Raum der Congregation; wer: ein Mitglied der Congregation" in (
        await world.say("!help crew new", BOB, hosts)
    )

    reply = await world.say("!propose Wir treffen uns dienstags", BOB, hosts)
    assert reply == (
        "Vorschlag #1 ist offen bis Freitag, 4. Dezember, 13:00 CET (in 1 Woche); "
        "dein Vorschlag zählt als Zustimmung."
    )
    [announced] = [m for m in world.gateway.notices_in(hosts) if "dienstags" in m]
    assert "am Ende, Freitag, 4. Dezember, 13:00 CET (in 1 Woche), ist er angenommen" in announced
    await world.say("!consent 1", ALICE, hosts)  # everyone consented: it passes now
    assert any(
        m.startswith("Vorschlag #1 ist angenommen: ") for m in world.gateway.notices_in(hosts)
    )

    # A crew of the congregation, its cycle across Berlin's change to summer time (28 March).
    world.clock.current = datetime(2027, 3, 22, 12, 0, tzinfo=UTC)
    await world.say("!crew new Walkers @carol:example.org", ALICE, world.lobby(space))
    await world.settle()
    [crew] = world.rooms_of_kind(CREW_ROOM)
    for person in (ALICE, CAROL):
        world.gateway.accept(crew, person)
    cycle = await world.say("!crew cycle 2 meetings every Tuesday 19:00 Europe/Berlin", room=crew)
    assert cycle.startswith(
        "Zyklus 1: 2 Treffen, jeden Dienstag um 19:00 Europe/Berlin, ab Dienstag, 23. März, "
        "19:00 CET."
    )
    end = datetime(2027, 3, 30, 18, 30, tzinfo=UTC)
    while world.clock.now() < end:
        world.clock.advance(timedelta(hours=1))
        await world.feature(Rhythm).tick()
    day_before = [m for m in world.gateway.notices_in(crew) if "ist morgen" in m]
    assert [m.split(". Host:")[0] for m in day_before] == [
        "Erinnerung: Treffen 1 von 2 ist morgen, Dienstag, 23. März, 19:00 CET",
        "Erinnerung: Treffen 2 von 2 ist morgen, Dienstag, 30. März, 19:00 CEST",
    ]
    retro = [m for m in world.gateway.notices_in(crew) if "Zeit für die Retrospektive" in m]
    assert len(retro) == 1 and "`!crew retro <choice>`" in retro[0]


async def test_a_person_speaks_their_own_language_in_a_direct_message_until_forgotten(
    world: World,
) -> None:
    space, hosts = await german_in_berlin(world)
    # Carol, a member of the German congregation, hears German in her DM with cohost.
    assert await world.say("!ping", CAROL, DM) == "Pong! cohost ist da."
    reply = await world.say("!language es", CAROL, DM)
    assert reply.startswith("En nuestros mensajes directos hablo Español a partir de ahora.")
    zone = await world.say("!zone America/Mexico_City", CAROL, DM)
    assert "America/Mexico_City" in zone and "06:00 CST" in zone  # 12:00 UTC there
    assert await world.say("!ping", CAROL, DM) == "¡Pong! cohost está aquí."
    # Her choice is hers: the congregation's rooms keep German.
    assert await world.say("!ping", CAROL, world.lobby(space)) == "Pong! cohost ist da."
    assert await world.say("!ping", BOB, DM) == "Pong! cohost ist da."

    forgotten = await world.say("!forget me", CAROL, DM)
    assert "ajustes propios: 1" in forgotten  # said in the language she had chosen
    assert await world.say("!ping", CAROL, DM) == "Pong! cohost ist da."


async def test_a_language_cohost_does_not_speak_is_refused_and_changes_nothing(
    world: World,
) -> None:
    space, hosts = await german_in_berlin(world)
    refused = await world.say("!congregation language fr", ALICE, hosts)
    assert refused.startswith("Ich spreche kein `fr`; wähle eine von `en` (English), `de`")
    not_a_host = await world.say("!congregation language en", CAROL, world.lobby(space))
    assert not_a_host == "Das können nur die Hosts von **Riverside**."
    assert "Sprache: Deutsch" in await world.say("!congregation info", BOB, hosts)
    assert (world.gateway.rooms[space].content(CONGREGATION) or {})["language"] == "de"
    assert (await world.say("!language xx", CAROL, DM)).startswith("Ich spreche kein `xx`")
    assert await world.say("!ping", CAROL, DM) == "Pong! cohost ist da."


async def test_the_language_is_a_fact_of_the_congregation_that_resync_finds_again(
    world: World, tmp_path: Path
) -> None:
    """Written in the space's state by its cohost; a cohost that lost its database
    speaks it again from Matrix alone."""
    space, hosts = await german_in_berlin(world)
    facts = world.gateway.rooms[space].content(CONGREGATION) or {}
    assert (facts["language"], facts["zone"]) == ("de", "Europe/Berlin")

    await world.resync_into_a_fresh_database(tmp_path)
    assert await world.say("!ping", BOB, hosts) == "Pong! cohost ist da."
