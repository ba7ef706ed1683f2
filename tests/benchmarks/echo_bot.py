"""The baseline: the smallest nio bot that answers `!ping` with a notice reply.

Run as `python -m tests.benchmarks.echo_bot HOMESERVER USER_ID PASSWORD`."""

from __future__ import annotations

import asyncio
import sys

from nio import AsyncClient, MatrixRoom, RoomMessageText


async def main(homeserver: str, user_id: str, password: str) -> None:
    client = AsyncClient(homeserver, user_id)
    await client.login(password)
    first = await client.sync(timeout=0)
    for room_id in first.rooms.invite:  # type: ignore[union-attr]
        await client.join(room_id)

    async def on_invite(room: MatrixRoom, event: object) -> None:
        await client.join(room.room_id)

    async def on_message(room: MatrixRoom, event: RoomMessageText) -> None:
        if event.sender != client.user_id and event.body == "!ping":
            await client.room_send(
                room.room_id,
                "m.room.message",
                {
                    "msgtype": "m.notice",
                    "body": "Pong!",
                    "m.relates_to": {"m.in_reply_to": {"event_id": event.event_id}},
                },
            )

    from nio import InviteMemberEvent

    client.add_event_callback(on_invite, InviteMemberEvent)  # type: ignore[arg-type]
    client.add_event_callback(on_message, RoomMessageText)  # type: ignore[arg-type]
    print("ready", flush=True)
    await client.sync_forever(timeout=30000, since=first.next_batch)  # type: ignore[union-attr]


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
