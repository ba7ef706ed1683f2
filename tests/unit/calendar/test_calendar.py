"""A crew's calendar feed on the injected clock: the address only in the asker's
direct room, the feed parsed as calendar apps read it (the `icalendar` library), the
crew's zone across a change to summer time, a rotation and a pause followed, a wrong
or reset address leading nowhere."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar

from handlers.calendar.engine import CrewCalendars
from handlers.community.state import CREW_ROOM
from handlers.framework.types import RoomId
from tests import catalogs
from tests.unit.world import ALICE, BOB, World

BERLIN = ZoneInfo("Europe/Berlin")
ADDRESS = re.compile(r"/calendar/([0-9a-f]+-[\w-]+)\.ics")


async def crew_with_a_cycle(world: World) -> RoomId:
    world.clock.current = datetime(2027, 3, 15, 12, 0, tzinfo=UTC)  # summer time on the 28th
    await world.congregation("Riverside", members=(BOB,))
    await world.say(f"!crew new Walkers {BOB}")
    await world.settle()
    [room] = world.rooms_of_kind(CREW_ROOM)
    for person in (ALICE, BOB):
        world.gateway.accept(room, person)
    await world.say("!crew cycle 3 meetings every Tuesday 19:00 Europe/Berlin", room=room)
    return room


async def address_sent_to(world: World, person: str) -> tuple[str, str]:
    """The address in the person's direct room with cohost (and that room)."""
    await world.settle()
    for sent in reversed(world.gateway.sent):
        found = ADDRESS.search(str(sent.content.get("body", "")))
        room = world.gateway.rooms.get(sent.room_id)
        if found and room is not None and room.membership(person) in ("invite", "join"):
            return found[1], sent.room_id
    raise AssertionError("no address was sent")


async def feed(world: World, address: str) -> Calendar | None:
    body = await world.feature(CrewCalendars).feed(address)
    # Its words are catalog messages (marked by the tests' checking language).
    return None if body is None else Calendar.from_ical(catalogs.unmarked(body.decode()))


async def test_the_address_goes_to_the_asker_alone_and_the_feed_keeps_local_time(
    world: World,
) -> None:
    room = await crew_with_a_cycle(world)
    reply = await world.say("!crew calendar", BOB, room)
    assert "direct room" in reply and not ADDRESS.search(reply)
    assert not any(ADDRESS.search(n) for n in world.gateway.notices_in(room))  # never here
    address, direct = await address_sent_to(world, BOB)
    assert direct != room
    calendar = await feed(world, address)
    assert calendar is not None
    [zone] = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Berlin"
    events = calendar.walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == [
        "Walkers: meeting 1 of 3",
        "Walkers: meeting 2 of 3",
        "Walkers: meeting 3 of 3",
    ]
    starts = [e["DTSTART"].dt for e in events]
    # 19:00 in Berlin each Tuesday, before and after the change to summer time.
    assert [(s.strftime("%d %H:%M"), s.tzname()) for s in starts] == [
        ("16 19:00", "CET"),
        ("23 19:00", "CET"),
        ("30 19:00", "CEST"),
    ]
    assert [s.astimezone(UTC).hour for s in starts] == [18, 18, 17]
    assert all(str(e["STATUS"]) == "CONFIRMED" for e in events)


async def test_a_rotation_and_a_new_rhythm_are_followed(world: World) -> None:
    room = await crew_with_a_cycle(world)
    await world.say("!crew calendar", ALICE, room)
    address, _ = await address_sent_to(world, ALICE)
    await world.say("!crew host", ALICE, room)  # names the first meeting's host
    first = (await feed(world, address)).walk("VEVENT")[0]  # type: ignore[union-attr]
    assert str(first["DESCRIPTION"]) == f"Hosted by {ALICE}."
    await world.say("!crew rotate", ALICE, room)
    first = (await feed(world, address)).walk("VEVENT")[0]  # type: ignore[union-attr]
    assert str(first["DESCRIPTION"]) == f"Hosted by {BOB}."
    # The crew moves to Thursdays: the Tuesdays still to come are cancelled.
    await world.say("!crew cycle 2 meetings every Thursday 18:30 Europe/Berlin", ALICE, room)
    events = (await feed(world, address)).walk("VEVENT")  # type: ignore[union-attr]
    shown = [(e["DTSTART"].dt.strftime("%a %H:%M"), str(e["STATUS"])) for e in events]
    assert shown == [("Tue 19:00", "CANCELLED")] * 3 + [("Thu 18:30", "CONFIRMED")] * 2


async def test_a_wrong_or_reset_address_leads_nowhere_and_reveals_nothing(
    world: World,
) -> None:
    room = await crew_with_a_cycle(world)
    await world.say("!crew calendar", BOB, room)
    address, _ = await address_sent_to(world, BOB)
    feed_id, secret = address.split("-", 1)
    assert await feed(world, address) is not None
    other = "y" if secret.endswith("x") else "x"  # one character off, never the same
    for wrong in (f"{feed_id}-{secret[:-1]}{other}", f"{feed_id}-", f"0000-{secret}", "", feed_id):
        assert await feed(world, wrong) is None
    reply = await world.say("!crew calendar reset", BOB, room)
    assert "new address" in reply and "leads nowhere" in reply
    renewed, _ = await address_sent_to(world, BOB)
    assert renewed != address
    assert await feed(world, address) is None and await feed(world, renewed) is not None
    # Only the crew's members ask for it, and only in its room.
    assert "Send `!crew calendar` in your crew's room." == await world.say("!crew calendar", BOB)
