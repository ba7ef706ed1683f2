"""Scale: one congregation of 150 members on one homeserver, and N crews made through
cohost's own `!crew new` (`--scale-crews`, 2,000 in the full run). In one run it prints:

- start to the first answered `!ping` (process start, `/health`, one `!ping`), with 0
  and with N crews (each a restart: the saved sync position is there);
- the `!ping` median with 0 and with N crews;
- resident memory after the restart with N crews;
- crews per second, against a bare client making the same requests (the raw floor):
  batches of each in turn, so both meet the same number of rooms;
- a burst of 100 `!ping`s from 20 people in 20 direct rooms at once, answered median
  and p95 (homeserver timestamps), against the minimal echo bot in the same run (at N
  crews two bursts to each, in turn, pooled).

Each figure's ratio and its target are printed alongside."""

from __future__ import annotations

import asyncio
import itertools
import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp

from handlers.community.facts import CrewFacts
from handlers.community.rooms import crew_order
from handlers.community.shape import create_request, crew_room, space_child, space_parent
from handlers.community.state import CREW, CREW_ROOM, ROOM, room_marker
from handlers.framework.types import RoomId, UserId
from service.admin.devserver import RELAXED, Homeserver
from tests.benchmarks.run import round_trip
from tests.integration.cohost_process import CohostProcess
from tests.integration.community import create_congregation
from tests.integration.matrix_user import User

MEMBERS = 150
BATCH = 25  # crews made by cohost, then by the bare client, in turn
PINGS = 30
BURST_PEOPLE, BURST_EACH = 20, 5


@dataclass
class Account:
    """Someone on the homeserver over plain HTTP: cheap enough to have 150 of."""

    http: aiohttp.ClientSession
    base: str
    user_id: str
    token: str

    async def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"}
        while True:
            async with self.http.request(
                method, self.base + path, json=body, headers=headers
            ) as resp:
                data = await resp.json(content_type=None)
            if resp.status == 429:
                await asyncio.sleep(data.get("retry_after_ms", 500) / 1000)
                continue
            assert resp.status < 400, f"{method} {path.split('?')[0]}: {resp.status} {data}"
            return data

    async def send(self, room: str, body: str, msgtype: str = "m.text") -> str:
        path = f"/_matrix/client/v3/rooms/{quote(room)}/send/m.room.message/{uuid.uuid4().hex}"
        data = await self.api("PUT", path, {"msgtype": msgtype, "body": body})
        return str(data["event_id"])

    async def put_state(self, room: str, kind: str, key: str, content: dict[str, Any]) -> None:
        await self.api(
            "PUT", f"/_matrix/client/v3/rooms/{quote(room)}/state/{kind}/{quote(key)}", content
        )

    async def join(self, room: str) -> None:
        await self.api("POST", f"/_matrix/client/v3/join/{quote(room)}", {})

    async def invite(self, room: str, user: str) -> None:
        await self.api("POST", f"/_matrix/client/v3/rooms/{quote(room)}/invite", {"user_id": user})

    async def messages(self, room: str, limit: int = 100) -> list[dict[str, Any]]:
        path = f"/_matrix/client/v3/rooms/{quote(room)}/messages?dir=b&limit={limit}"
        return list(reversed((await self.api("GET", path))["chunk"]))

    async def direct_room(self, other: str) -> str:
        data = await self.api(
            "POST", "/_matrix/client/v3/createRoom", {"is_direct": True, "invite": [other]}
        )
        room = str(data["room_id"])
        for _ in range(300):
            joined = await self.api("GET", f"/_matrix/client/v3/rooms/{quote(room)}/joined_members")
            if other in joined["joined"]:
                return room
            await asyncio.sleep(0.1)
        raise AssertionError(f"{other} did not join a direct room")


class Watcher:
    """One long-polling sync over some rooms: waits for a message that matches."""

    def __init__(self, account: Account, rooms: list[str]) -> None:
        self.account = account
        self.filter = json.dumps(
            {
                "room": {
                    "rooms": rooms,
                    "timeline": {"limit": 100},
                    "state": {"lazy_load_members": True},
                },
                "presence": {"not_types": ["*"]},
                "account_data": {"not_types": ["*"]},
            }
        )
        self.since: str | None = None

    async def start(self) -> None:
        await self._sync(0)

    async def _sync(self, timeout_ms: int) -> list[dict[str, Any]]:
        query = f"filter={quote(self.filter)}&timeout={timeout_ms}"
        if self.since:
            query += f"&since={quote(self.since)}"
        data = await self.account.api("GET", f"/_matrix/client/v3/sync?{query}")
        self.since = data["next_batch"]
        return [
            e for info in data.get("rooms", {}).get("join", {}).values()
            for e in info.get("timeline", {}).get("events", [])
        ]  # fmt: skip

    async def until(self, sender: str, *texts: str, within: float = 120) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            for event in await self._sync(10_000):
                body = str(event.get("content", {}).get("body"))
                if event.get("sender") == sender and all(t in body for t in texts):
                    return
        raise AssertionError(f"no message with {texts!r} within {within:.0f} s")


class Raw:
    """The raw floor of a crew: the requests cohost makes for one, by a bare client
    (its own space and lobby, so that cohost's congregation is not touched)."""

    def __init__(self, client: Account, space: str, lobby: str, version: str, via: str) -> None:
        self.client, self.space, self.lobby = client, space, lobby
        self.version, self.via = version, via

    @classmethod
    async def set_up(cls, client: Account, members: list[Account], via: str) -> Raw:
        """The bare client's space and lobby, the members in the lobby."""
        create = "/_matrix/client/v3/createRoom"
        space = await client.api("POST", create, {"creation_content": {"type": "m.space"}})
        lobby = await client.api("POST", create, {"preset": "public_chat"})
        for member in members:
            await member.join(lobby["room_id"])
        capabilities = await client.api("GET", "/_matrix/client/v3/capabilities")
        version = capabilities["capabilities"]["m.room_versions"]["default"]
        return cls(client, space["room_id"], lobby["room_id"], str(version), via)

    async def crew(self, caller: Account, name: str) -> None:
        await caller.send(self.lobby, f"!crew new {name}")
        await self.client.send(self.lobby, f"Crew **{name}** is on its way.", "m.notice")
        now = datetime.now(UTC)
        facts = CrewFacts(
            name=name,
            caller=UserId(caller.user_id),
            congregation=RoomId(self.space),
            created_at=now,
        )
        marker = room_marker(
            CREW_ROOM, congregation=self.space, operation=uuid.uuid4().hex, step="room"
        )
        plan = crew_room(
            name, None, RoomId(self.space), [(ROOM, "", marker), (CREW, "", facts.content())]
        )
        request = create_request(
            plan, bot=UserId(self.client.user_id), founders=[UserId(caller.user_id)],
            room_version=self.version, via=self.via,
        )  # fmt: skip
        room = (await self.client.api("POST", "/_matrix/client/v3/createRoom", request))["room_id"]
        order = crew_order(now.isoformat())
        await self.client.put_state(self.space, "m.space.child", room, space_child(self.via, order))
        await self.client.put_state(room, "m.space.parent", self.space, space_parent(self.via))
        await self.client.put_state(self.space, CREW, room, facts.content())
        member = (
            f"/_matrix/client/v3/rooms/{quote(room)}/state/m.room.member/{quote(caller.user_id)}"
        )
        try:
            await self.client.api("GET", member)
        except AssertionError:  # not a member yet: as cohost's check finds
            pass
        await self.client.invite(room, caller.user_id)
        await self.client.send(self.lobby, f"Crew **{name}** is ready: {room}", "m.notice")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


async def start_to_answer(cohost: CohostProcess, pinger: User, dm: str) -> float:
    """A restart: from the process's start to the first `!ping` answered. The pinger
    has read what it missed first (its own catching up is not cohost's start)."""
    await pinger.sync(0)
    cohost.stop()
    started = time.perf_counter()
    cohost.start(timeout=600)
    await round_trip(pinger, dm)
    return time.perf_counter() - started


async def ping_medians(
    cohost: CohostProcess, pinger: User, rooms: dict[str, str]
) -> dict[str, float]:
    """`!ping` round trips to each bot in turn (machine noise hits both alike); the
    same pings by the homeserver's clock (the ping's timestamp to the answer's: the
    pinger's own send and sync left out); and cohost's own share of one, from the sync
    handing it over to its answer sent, with its send alone beside it (means of the
    series by cohost's /metrics)."""
    times: dict[str, list[float]] = {name: [] for name in rooms}
    served: dict[str, list[float]] = {name: [] for name in rooms}
    before = own_pings(cohost)
    for _ in range(PINGS):
        for name, room in rooms.items():
            times[name].append(await round_trip(pinger, room))
            served[name].append(last_served(pinger, room))
    after = own_pings(cohost)
    medians = {name: statistics.median(values) for name, values in times.items()}
    on_server = {f"{name} served": statistics.median(v) for name, v in served.items()}
    count = after.pings - before.pings
    sends = after.sends - before.sends
    return {
        **medians,
        **on_server,
        "own": (after.spent - before.spent) / count,
        "send": (after.sending - before.sending) / sends if sends else 0.0,
    }


def last_served(pinger: User, room: str) -> float:
    """Seconds from the pinger's last `!ping` to its answer, by the homeserver's clock."""
    pings = [e for e in pinger.seen[room] if e.sender == pinger.user_id]
    ping = pings[-1]
    answer = pinger.replies_seen(room, ping.event_id)[0]
    return float(answer.server_timestamp - ping.server_timestamp) / 1000


@dataclass
class OwnTime:
    spent: float  # answering `!ping`s, seconds
    pings: float
    sending: float  # in room_send requests, seconds
    sends: float


def own_pings(cohost: CohostProcess) -> OwnTime:
    """What cohost's /metrics says so far of its `!ping`s and of its sends."""
    samples = cohost.scrape()
    ping = (("command", "ping"),)
    send = (("request", "room_send"),)
    request = "cohost_homeserver_request_duration_seconds"
    return OwnTime(
        samples[("cohost_command_duration_seconds_sum", ping)],
        samples[("cohost_command_duration_seconds_count", ping)],
        samples.get((f"{request}_sum", send), 0.0),
        samples.get((f"{request}_count", send), 0.0),
    )


async def burst(people: list[Account], rooms: list[str], bot: str) -> list[float]:
    """Everyone sends their pings at once; each answer's delay by the homeserver's clock."""
    pairs = list(zip(people, rooms, strict=True)) * BURST_EACH
    sent = await asyncio.gather(*(person.send(room, "!ping") for person, room in pairs))
    wanted = set(sent)
    delays: dict[str, float] = {}
    deadline = time.monotonic() + 300
    while len(delays) < len(wanted) and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        for person, room in zip(people, rooms, strict=True):
            events = await person.messages(room, 200)
            at = {e["event_id"]: e["origin_server_ts"] for e in events}
            for e in events:
                replied = (e["content"].get("m.relates_to") or {}).get("m.in_reply_to", {})
                target = replied.get("event_id")
                if e["sender"] == bot and target in wanted and target in at:
                    delays[target] = (e["origin_server_ts"] - at[target]) / 1000
    assert len(delays) == len(wanted), f"{len(delays)} of {len(wanted)} answered"
    return sorted(delays.values())


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


async def make_crews(
    cohost: CohostProcess,
    raw: Raw,
    lobby: str,
    members: list[Account],
    watcher: Watcher,
    crews: int,
) -> tuple[float, float]:
    """`crews` crews by cohost and as many by the bare client, in turns of BATCH; the
    seconds each took in all."""
    spent = {"cohost": 0.0, "raw": 0.0}
    callers = itertools.cycle(members)
    made = 0
    while made < crews:
        size = min(BATCH, crews - made)
        for i in range(made, made + size):
            caller = next(callers)
            started = time.perf_counter()
            await caller.send(lobby, f"!crew new Crew{i:05d}")
            await watcher.until(cohost.user_id, f"Crew{i:05d}", "is ready: ")
            spent["cohost"] += time.perf_counter() - started
        for i in range(made, made + size):
            started = time.perf_counter()
            await raw.crew(next(callers), f"Raw{i:05d}")
            await watcher.until(raw.client.user_id, f"Raw{i:05d}", "is ready: ")
            spent["raw"] += time.perf_counter() - started
        made += size
        if made % 250 == 0 or made == crews:
            print(f"  … {made} crews", flush=True)
    return spent["cohost"], spent["raw"]


async def bench_scale(crews: int) -> None:
    print(f"scale: a congregation of {MEMBERS} members, {crews} crews", flush=True)
    with tempfile.TemporaryDirectory(prefix="cohost-bench-") as tmp:
        root = Path(tmp)
        hs = Homeserver(root / "synapse", ratelimits=RELAXED)
        hs.start()
        cohost = CohostProcess(hs, "cohost", root / "cohost", max_crews_per_day="100000")
        echo_account = hs.register("echo")
        echo = subprocess.Popen(
            [sys.executable, "-m", "tests.benchmarks.echo_bot", hs.url,
             echo_account.user_id, echo_account.password],
            stdout=subprocess.PIPE,
        )  # fmt: skip
        http = aiohttp.ClientSession()
        try:
            cohost.start()
            assert echo.stdout is not None and echo.stdout.readline().strip() == b"ready"
            # The echo bot's account makes the raw floor's crews: it ends up in as many
            # rooms as cohost, so its `!ping` shows what the homeserver alone adds.
            echo_client = Account(http, hs.url, echo_account.user_id, echo_account.access_token)
            await Run(hs, cohost, echo_client, http).measure(crews)
        finally:
            await http.close()
            echo.kill()
            cohost.kill()
            hs.stop()


@dataclass
class Run:
    hs: Homeserver
    cohost: CohostProcess
    echo: Account
    http: aiohttp.ClientSession

    def account(self, localpart: str) -> Account:
        registered = self.hs.register(localpart)
        return Account(self.http, self.hs.url, registered.user_id, registered.access_token)

    async def measure(self, crews: int) -> None:
        cohost, echo = self.cohost, self.echo
        host = await User.create(self.hs, "host")
        congregation = await create_congregation(host, cohost, "Scale")
        hosting = Account(self.http, self.hs.url, host.user_id, str(host.client.access_token))
        members = [self.account(f"member{i:03d}") for i in range(MEMBERS - 1)]
        for member in members:
            await hosting.invite(congregation.space, member.user_id)
            await member.join(congregation.space)
            await member.join(congregation.lobby)
        dms = {
            "cohost": await host.create_dm(cohost.user_id, encrypted=False),
            "echo": await host.create_dm(echo.user_id, encrypted=False),
        }
        for room in dms.values():  # warm-up
            await round_trip(host, room)
        people = members[:BURST_PEOPLE]
        to_cohost = [await p.direct_room(cohost.user_id) for p in people]
        to_echo = [await p.direct_room(echo.user_id) for p in people]

        empty_start = await start_to_answer(cohost, host, dms["cohost"])
        empty_ping = await ping_medians(cohost, host, dms)
        empty_burst = await burst(people, to_cohost, cohost.user_id)
        print(f"  with 0 crews: start to first answer {empty_start:.2f} s", flush=True)

        raw = await Raw.set_up(echo, members, self.hs.server_name)
        watcher = Watcher(hosting, [congregation.lobby, raw.lobby])
        await hosting.join(raw.lobby)
        await watcher.start()
        made, floor = await make_crews(cohost, raw, congregation.lobby, members, watcher, crews)

        full_start = await start_to_answer(cohost, host, dms["cohost"])
        full_ping = await ping_medians(cohost, host, dms)
        assert cohost._proc is not None
        memory = rss_mb(cohost._proc.pid)
        # Two bursts to each bot in turn, pooled: the first after the restart would
        # otherwise meet whatever the homeserver still does then, and the echo bot not.
        full_burst, echo_burst = [], []
        for _ in range(2):
            full_burst += await burst(people, to_cohost, cohost.user_id)
            echo_burst += await burst(people, to_echo, echo.user_id)
        await host.close()

        print(f"scale results ({crews} crews, {MEMBERS} members):")
        line("start to first answer, 0 → N crews", f"{empty_start:.2f} → {full_start:.2f} s",
             full_start / empty_start, "≤ 1.5")  # fmt: skip
        for name in ("cohost", "echo"):
            before, after = empty_ping[name] * 1000, full_ping[name] * 1000
            target = "≤ 1.1" if name == "cohost" else "the homeserver's own share"
            line(f"!ping median, 0 → N crews ({name})", f"{before:.0f} → {after:.0f} ms",
                 after / before, target)  # fmt: skip
        for name in ("cohost", "echo"):
            before, after = (x[f"{name} served"] * 1000 for x in (empty_ping, full_ping))
            line(f"  by the homeserver's clock ({name})", f"{before:.0f} → {after:.0f} ms",
                 after / before, "the pinger's own send and sync left out")  # fmt: skip
        before, after = empty_ping["own"] * 1000, full_ping["own"] * 1000
        line("  of which cohost's own, with its send (mean)", f"{before:.1f} → {after:.1f} ms",
             after / before, "the rest is the homeserver's")  # fmt: skip
        before, after = empty_ping["send"] * 1000, full_ping["send"] * 1000
        line("    its send alone (room_send, mean)", f"{before:.1f} → {after:.1f} ms",
             after / before, "the homeserver's, as cohost waits")  # fmt: skip
        before, after = ((x["own"] - x["send"]) * 1000 for x in (empty_ping, full_ping))
        line("    cohost's work without its send", f"{before:.1f} → {after:.1f} ms",
             after / before, "cohost alone")  # fmt: skip
        line("crews per second, cohost / raw floor", f"{crews / made:.2f} / {crews / floor:.2f}",
             made / floor, "≤ 1.3, in time")  # fmt: skip
        print(f"  {'resident memory after the restart':44s} {memory:>17.0f} MB  (target < 150 MB)")
        bursts = {"0 crews": empty_burst, "N crews": full_burst, "echo bot": echo_burst}
        for name, delays in bursts.items():
            mid, tail = statistics.median(delays), p95(delays)
            line(f"burst ({name}): median / p95", f"{mid:.2f} / {tail:.2f} s", tail / mid, "≤ 3")
        line("burst p95 at N crews, cohost / echo bot",
             f"{p95(full_burst):.2f} / {p95(echo_burst):.2f} s",
             p95(full_burst) / p95(echo_burst), "≤ 1.0")  # fmt: skip


def line(what: str, value: str, ratio: float, target: str) -> None:
    print(f"  {what:44s} {value:>20s}  ratio {ratio:5.2f}  (target {target})", flush=True)
