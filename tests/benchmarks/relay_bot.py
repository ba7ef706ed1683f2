"""The smallest nio bot that relays: a text message in one of its two rooms is posted
again in the other. Two of them, on two homeservers, make the same path an
announcement takes through two cohosts (Hosts room → network Announcements →
another congregation's Announcements), without anything cohost does on the way.

With `follow-up`, the bot also does what the first congregation's cohost does after
posting to the network (SPEC §4): it posts into its own room named "Announcements",
after the others, and answers in the room the message came from. It reads and answers
end-to-end encrypted there, as cohost does in a congregation's Hosts room.

Run as `python -m tests.benchmarks.relay_bot HOMESERVER USER_ID PASSWORD [follow-up]`."""

from __future__ import annotations

import asyncio
import sys
import tempfile

from nio import AsyncClient, AsyncClientConfig, InviteMemberEvent, MatrixRoom, RoomMessageText

HOME_ROOM = "Announcements"


async def main(homeserver: str, user_id: str, password: str, *mode: str) -> None:
    follow_up = mode == ("follow-up",)
    store = tempfile.mkdtemp(prefix="relay-bot-") if follow_up else ""
    config = AsyncClientConfig(encryption_enabled=follow_up, store_sync_tokens=False)
    client = AsyncClient(homeserver, user_id, store_path=store, config=config)
    await client.login(password)
    if client.should_upload_keys:
        await client.keys_upload()  # before anyone encrypts for it
    first = await client.sync(timeout=0)

    async def on_invite(room: MatrixRoom, event: InviteMemberEvent) -> None:
        if event.state_key == client.user_id and event.membership == "invite":
            await client.join(room.room_id)

    async def on_message(room: MatrixRoom, event: RoomMessageText) -> None:
        if event.sender == client.user_id:
            return
        others = [r for r in client.rooms.values() if r.room_id != room.room_id]
        # Its own Announcements room after the rest (the network's comes first).
        for other in sorted(others, key=lambda r: follow_up and r.name == HOME_ROOM):
            await client.room_send(
                other.room_id, "m.room.message", {"msgtype": "m.text", "body": event.body}
            )
        if follow_up:
            await client.room_send(
                room.room_id,
                "m.room.message",
                {"msgtype": "m.notice", "body": "relayed"},
                ignore_unverified_devices=True,
            )

    client.add_event_callback(on_invite, InviteMemberEvent)  # type: ignore[arg-type]
    client.add_event_callback(on_message, RoomMessageText)  # type: ignore[arg-type]
    print("ready", flush=True)
    await client.sync_forever(timeout=30000, since=first.next_batch)  # type: ignore[union-attr]


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))
