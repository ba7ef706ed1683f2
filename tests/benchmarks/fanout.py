"""Announcement fan-out: from a host's `!announce network` on one homeserver to the text
in another congregation's Announcements room on another homeserver, against a raw
federated send and receive between the same two homeservers, interleaved.

A third path shows the floor of the design: the same three rooms bridged by two
minimal nio relay bots (tests/benchmarks/relay_bot.py), one per homeserver. An
announcement has to pass through the two congregations' bots (SPEC §4: each relays
into its own Announcements room), and each bot adds a sync and a send of its own; the
ratio against that floor is cohost's own cost."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

from service.admin.devserver import Homeserver
from tests.integration.cohost_process import CohostProcess
from tests.integration.community import create_congregation, create_network
from tests.integration.matrix_user import User


async def seen_in(user: User, rooms: list[str], text: str, started: float) -> list[float]:
    """When the text first reached each room, as seen by this user's sync."""
    seen: dict[str, float] = {}
    while len(seen) < len(rooms):
        await user.sync(30_000)
        for room in rooms:
            if room not in seen and any(
                text in str(event.source.get("content", {}).get("body", ""))
                for event in user.seen.get(room, [])
            ):
                seen[room] = time.perf_counter() - started
    return [seen[room] for room in rooms]


async def bench_fanout(rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="cohost-bench-") as tmp:
        root = Path(tmp)
        home = Homeserver(root / "home", federation=True)
        away = Homeserver(root / "away", federation=True)
        home.start()
        away.start()
        bot_a = CohostProcess(home, "cohost", root / "bot-a")
        bot_b = CohostProcess(away, "cohost", root / "bot-b")
        relays = [start_relay(hs, "relay") for hs in (home, away)]
        designed = [start_relay(home, "design", "follow-up"), start_relay(away, "design")]
        try:
            bot_a.start()
            bot_b.start()
            alice = await User.create(home, "alice", store=root / "alice")
            bea = await User.create(away, "bea", store=root / "bea")
            riverside = await create_congregation(alice, bot_a, "Riverside")
            hilltop = await create_congregation(bea, bot_b, "Hilltop")
            rivers = await create_network(alice, bot_a, riverside, "Rivers")
            link = f"https://matrix.to/#/{rivers.space}?via={home.server_name}"
            await bea.ask(hilltop.hosts_room, f"!network join {link}")
            await alice.wait_for_notice(rivers.commons, bot_a.user_id, "Proposal #1:")
            await alice.ask(rivers.commons, "!consent 1")
            await bea.wait_for_notice(hilltop.hosts_room, bot_b.user_id, "is now a member", 120)
            # The baseline: a plain room both people are in.
            status, body = await alice.api(
                "POST", "/_matrix/client/v3/createRoom", {"preset": "public_chat"}
            )
            plain = body["room_id"]
            await bea.join(plain, home.server_name)
            await alice.wait_for_member(plain, bea.user_id)
            # The floor: Hosts-like room → federated room → Announcements-like room,
            # through the two relay bots. Bea is in the federated room too: what she sees
            # there has passed through one bot only.
            start_room, shared, end_room = await relay_rooms(alice, bea, home, relays, False)
            # The floor with the first bot's follow-up as the design has it: its own
            # Announcements room after the network's, and an answer to the sender, in an
            # encrypted room as a Hosts room is.
            design_start, design_shared, design_end = await relay_rooms(
                alice, bea, home, designed, True
            )
            status, body = await alice.api(
                "POST",
                "/_matrix/client/v3/createRoom",
                {"preset": "public_chat", "name": "Announcements", "invite": [designed[0][0]]},
            )
            await alice.wait_for_member(body["room_id"], designed[0][0])

            # What alice sends where, and where bea's sync sees it.
            paths = {
                ("fan-out",): (
                    riverside.hosts_room,
                    "!announce network bench",
                    [hilltop.announcements],
                ),
                ("one relay bot", "two relay bots"): (start_room, "relay", [shared, end_room]),
                ("raw",): (plain, "raw", [plain]),
                ("relay bots, as designed",): (design_start, "design", [design_end]),
            }
            times: dict[str, list[float]] = {name: [] for names in paths for name in names}
            sent: dict[str, list[tuple[str, str]]] = {names[0]: [] for names in paths}
            for i in range(rounds + 1):  # the first round warms up
                for names, (room, prefix, rooms) in paths.items():
                    nonce = uuid.uuid4().hex[:8]
                    started = time.perf_counter()
                    event_id = await alice.send(room, f"{prefix} {nonce}")
                    took = await seen_in(bea, rooms, nonce, started)
                    if i:
                        sent[names[0]].append((event_id, nonce))
                        for name, value in zip(names, took, strict=True):
                            times[name].append(value)
            # Each hop by the homeservers' clocks (one machine): the first bot's sync and
            # send, then the federated send, the second bot's sync and send.
            hops = {
                "cohost": await hop_medians(
                    alice, bea, riverside.hosts_room, rivers.announcements,
                    hilltop.announcements, sent["fan-out"],
                ),
                "relay bots": await hop_medians(
                    alice, bea, start_room, shared, end_room, sent["one relay bot"]
                ),
                "as designed": await hop_medians(
                    alice, bea, design_start, design_shared, design_end,
                    sent["relay bots, as designed"],
                ),
            }  # fmt: skip
            await alice.close()
            await bea.close()
        finally:
            bot_a.kill()
            bot_b.kill()
            for _, relay in relays + designed:
                relay.kill()
            home.stop()
            away.stop()
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"announcement fan-out over {rounds} announcements, two federated homeservers (median):")
    for name, value in medians.items():
        print(f"  {name:15s} {value * 1000:7.1f} ms")
    fanout, raw, floor = medians["fan-out"], medians["raw"], medians["two relay bots"]
    print(f"  ratio fan-out/raw:        {fanout / raw:.2f}  (below the floor: see below)")
    print(f"  ratio two relay bots/raw: {floor / raw:.2f}  (the floor of the path SPEC §4 sets)")
    print(
        f"  ratio one relay bot/raw:  {medians['one relay bot'] / raw:.2f}"
        "  (the floor of any path through one bot)"
    )
    print(
        f"  ratio fan-out/two relay bots: {fanout / floor:.2f}  (cohost's own cost; target ≤ 1.10)"
    )
    as_designed = medians["relay bots, as designed"]
    print(
        f"  ratio fan-out/relay bots as designed: {fanout / as_designed:.2f}  (the first bot also "
        "posts to its own Announcements and answers, encrypted, as cohost does)"
    )
    print("  by hop (median, homeserver timestamps): first bot, then federation and second bot")
    for name, (first, second) in hops.items():
        print(f"    {name:11s} {first * 1000:6.1f} ms + {second * 1000:6.1f} ms")


async def relay_rooms(
    alice: User,
    bea: User,
    home: Homeserver,
    bots: list[tuple[str, subprocess.Popen[bytes]]],
    encrypted: bool,
) -> tuple[str, str, str]:
    """Alice's room with the first bot, the federated room both bots are in (Bea too),
    and Bea's room with the second bot."""
    first, second = (user_id for user_id, _ in bots)
    start = await alice.create_dm(first, encrypted=encrypted)
    _status, body = await alice.api(
        "POST",
        "/_matrix/client/v3/createRoom",
        {"preset": "public_chat", "invite": [first, second]},
    )
    shared = str(body["room_id"])
    await bea.join(shared, home.server_name)
    end = await bea.create_dm(second, encrypted=False)
    await alice.wait_for_member(shared, first)
    await alice.wait_for_member(shared, second)
    return start, shared, end


async def hop_medians(
    alice: User,
    bea: User,
    start: str,
    middle: str,
    end: str,
    sent: list[tuple[str, str]],
) -> tuple[float, float]:
    """Median seconds from alice's message to the first bot's post in the middle room,
    and from there to the second bot's post in the end room."""
    posted = {
        "middle": await stamps(alice, middle),
        "end": await stamps(bea, end),
    }
    first, second = [], []
    for event_id, nonce in sent:
        path = f"/_matrix/client/v3/rooms/{quote(start)}/event/{quote(event_id)}"
        _status, event = await alice.api("GET", path)
        began = int(event["origin_server_ts"])
        first.append((posted["middle"][nonce] - began) / 1000)
        second.append((posted["end"][nonce] - posted["middle"][nonce]) / 1000)
    return statistics.median(first), statistics.median(second)


async def stamps(user: User, room: str) -> dict[str, int]:
    """When each nonce's text was posted in a room (the homeserver's timestamp)."""
    _status, page = await user.api(
        "GET", f"/_matrix/client/v3/rooms/{quote(room)}/messages?dir=b&limit=500"
    )
    found: dict[str, int] = {}
    for event in page["chunk"]:
        words = str(event.get("content", {}).get("body", "")).split()
        for word in words:
            found.setdefault(word, int(event["origin_server_ts"]))
    return found


def start_relay(hs: Homeserver, localpart: str, *mode: str) -> tuple[str, subprocess.Popen[bytes]]:
    account = hs.register(localpart)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.benchmarks.relay_bot",
            hs.url,
            account.user_id,
            account.password,
            *mode,
        ],
        stdout=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
    return account.user_id, proc
