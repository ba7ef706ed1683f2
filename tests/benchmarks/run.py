"""Benchmarks, outside the default test run: `make bench`.

Announcement fan-out across two homeservers: see tests/benchmarks/fanout.py.
Crew formation on Synapse's default rate limits, plain and appservice mode: see
tests/benchmarks/formation.py.

!ping round trip (client send → reply seen by the client's sync), cohost against a
minimal nio echo bot on the same homeserver in the same run, interleaved so that
machine noise hits both alike. Prints the median ratio cohost/echo."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from service.admin.devserver import Homeserver
from tests.integration.cohost_process import CohostProcess
from tests.integration.matrix_user import User


async def round_trip(user: User, room: str) -> float:
    started = time.perf_counter()
    sent = await user.send(room, "!ping")
    while not user.replies_seen(room, sent):
        await user.sync(30_000)
    return time.perf_counter() - started


async def bench_ping(rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="cohost-bench-") as tmp:
        root = Path(tmp)
        hs = Homeserver(root / "synapse")
        hs.start()
        cohost = CohostProcess(hs, "cohost", root / "cohost")
        echo_account = hs.register("echo")
        echo = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.benchmarks.echo_bot",
                hs.url,
                echo_account.user_id,
                echo_account.password,
            ],
            stdout=subprocess.PIPE,
        )
        try:
            cohost.start()
            assert echo.stdout is not None and echo.stdout.readline().strip() == b"ready"
            user = await User.create(hs, "bencher")
            rooms = {
                "cohost": await user.create_dm(cohost.user_id, encrypted=False),
                "echo": await user.create_dm(echo_account.user_id, encrypted=False),
            }
            for name in rooms:  # warm-up
                await round_trip(user, rooms[name])
            times: dict[str, list[float]] = {name: [] for name in rooms}
            for i in range(rounds):
                order = list(rooms) if i % 2 == 0 else list(reversed(rooms))
                for name in order:
                    times[name].append(await round_trip(user, rooms[name]))
            await user.close()
        finally:
            echo.kill()
            cohost.kill()
            hs.stop()
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"ping round trip over {rounds} pings each (median):")
    for name, value in medians.items():
        print(f"  {name:7s} {value * 1000:7.1f} ms")
    print(f"  ratio cohost/echo: {medians['cohost'] / medians['echo']:.2f}  (target ≤ 1.05)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--only", choices=["ping", "fanout", "formation", "scale"], help="run one")
    parser.add_argument("--crews", type=int, default=30, help="crews in the formation round")
    parser.add_argument("--cap", type=float, default=300, help="seconds a formation run may take")
    parser.add_argument(
        "--scale-crews", type=int, default=2000, help="crews in the scale run (quick: 100)"
    )
    args = parser.parse_args()
    if args.only in (None, "ping"):
        asyncio.run(bench_ping(args.rounds))
    if args.only in (None, "fanout"):
        from tests.benchmarks.fanout import bench_fanout

        asyncio.run(bench_fanout(max(10, args.rounds // 3)))
    if args.only in (None, "formation"):
        from tests.benchmarks.formation import bench_formation

        asyncio.run(bench_formation(args.crews, args.cap))
    if args.only in (None, "scale"):
        from tests.benchmarks.scale import bench_scale

        asyncio.run(bench_scale(args.scale_crews))


if __name__ == "__main__":
    main()
