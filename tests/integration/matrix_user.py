"""A person on Matrix, as the tests see one: a nio client (optionally with E2EE) that
creates DMs, sends commands and collects what it sees."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from nio import (
    AsyncClient,
    AsyncClientConfig,
    Event,
    RoomCreateResponse,
    RoomSendResponse,
    SyncResponse,
)

from service.admin.devserver import Homeserver


@dataclass
class User:
    client: AsyncClient
    seen: dict[str, list[Event]] = field(default_factory=dict)

    @property
    def user_id(self) -> str:
        return str(self.client.user_id)

    @classmethod
    async def create(cls, hs: Homeserver, localpart: str, store: Path | None = None) -> User:
        account = hs.register(localpart)
        config = AsyncClientConfig(encryption_enabled=store is not None, store_sync_tokens=False)
        if store is not None:
            store.mkdir(parents=True, exist_ok=True)
        client = AsyncClient(hs.url, account.user_id, store_path=str(store or ""), config=config)
        # The registration's own device: no login request (and no login rate limit).
        client.restore_login(account.user_id, account.device_id, account.access_token)
        user = cls(client)
        await user.sync(0)
        return user

    async def close(self) -> None:
        await self.client.close()

    async def sync(self, timeout_ms: int = 500) -> None:
        resp = await self.client.sync(timeout=timeout_ms)
        assert isinstance(resp, SyncResponse), resp
        for room_id, info in resp.rooms.join.items():
            self.seen.setdefault(room_id, []).extend(info.timeline.events)
        if self.client.olm is not None:
            await self.client.send_to_device_messages()
            if self.client.should_upload_keys:
                await self.client.keys_upload()
            if self.client.should_query_keys:
                await self.client.keys_query()
            if self.client.should_claim_keys:
                await self.client.keys_claim(self.client.get_users_for_key_claiming())

    async def create_dm(self, other: str, *, encrypted: bool, within: float = 30) -> str:
        initial_state: list[dict[str, Any]] = []
        if encrypted:
            initial_state.append(
                {
                    "type": "m.room.encryption",
                    "state_key": "",
                    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
                }
            )
        resp = await self.client.room_create(
            is_direct=True, invite=[other], initial_state=initial_state, preset=None
        )
        assert isinstance(resp, RoomCreateResponse), resp
        await self.wait_for_member(resp.room_id, other, within)
        return resp.room_id

    async def wait_for_member(self, room_id: str, member: str, within: float = 30) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            await self.sync(500)
            room = self.client.rooms.get(room_id)
            if room is not None and member in room.users:
                return
        raise AssertionError(f"{member} did not join {room_id} within {within}s")

    async def send(self, room_id: str, body: str) -> str:
        if self.client.olm is not None and self.client.should_query_keys:
            await self.client.keys_query()
        resp = await self.client.room_send(
            room_id,
            "m.room.message",
            {"msgtype": "m.text", "body": body},
            ignore_unverified_devices=True,
        )
        assert isinstance(resp, RoomSendResponse), resp
        return resp.event_id

    async def api(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, Any]:
        """A raw client-server API call as this user: (status, JSON body); rate limits
        are waited out as the server says."""
        while True:
            resp = await self.client.send(
                method,
                path,
                json.dumps(body) if body is not None else None,
                {
                    "Authorization": f"Bearer {self.client.access_token}",
                    "Content-Type": "application/json",
                },
            )
            async with resp:
                data = await resp.json(content_type=None)
            if resp.status != 429:
                return resp.status, data
            await asyncio.sleep(data.get("retry_after_ms", 1000) / 1000)

    async def history(self, room_id: str) -> list[dict[str, Any]]:
        """Every message event of a room, oldest first (sync timelines may skip some)."""
        status, body = await self.api(
            "GET", f"/_matrix/client/v3/rooms/{quote(room_id)}/messages?dir=b&limit=1000"
        )
        assert status == 200, body
        return list(reversed(body["chunk"]))

    async def state(self, room_id: str, event_type: str, key: str = "") -> dict[str, Any] | None:
        status, body = await self.api(
            "GET", f"/_matrix/client/v3/rooms/{quote(room_id)}/state/{event_type}/{quote(key)}"
        )
        return body if status == 200 else None

    async def join(self, room_id: str, via: str | None = None, *more_via: str) -> None:
        """Join (or accept an invitation); `via` names servers in the room, which a
        homeserver not yet in it needs. An invitation still travelling between
        homeservers is waited for, as a person would retry."""
        servers = [s for s in (via, *more_via) if s]
        query = "?" + "&".join(f"server_name={quote(s)}" for s in servers) if servers else ""
        deadline = time.monotonic() + 30
        while True:
            status, body = await self.api(
                "POST", f"/_matrix/client/v3/join/{quote(room_id)}{query}", {}
            )
            if status == 200 or time.monotonic() > deadline:
                break
            await self.sync(500)
        assert status == 200, body
        await self.wait_for_member(room_id, self.user_id)

    def notices(self, room_id: str, sender: str) -> list[Event]:
        """What a bot said in the room: its notices, and the messages that ask people to
        act (m.text, so that Element notifies them)."""
        return [
            e
            for e in self.seen.get(room_id, [])
            if e.sender == sender
            and e.source.get("content", {}).get("msgtype") in ("m.notice", "m.text")
        ]

    async def wait_for_notice(
        self, room_id: str, sender: str, contains: str, within: float = 60
    ) -> str:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            for event in self.notices(room_id, sender):
                body = str(event.source["content"]["body"])
                if contains in body:
                    return body
            await self.sync(1000)
        raise AssertionError(f"no notice with {contains!r} in {room_id} within {within}s")

    async def ask(self, room_id: str, body: str, within: float = 30) -> str:
        """Send a command and return the one reply's text."""
        sent = await self.send(room_id, body)
        replies = await self.replies_to(room_id, sent, settle=0.5, within=within)
        assert len(replies) == 1, [r.source for r in replies]
        return str(replies[0].source["content"]["body"])

    def replies_seen(self, room_id: str, event_id: str) -> list[Event]:
        def replied_to(event: Event) -> object:
            relation = (event.source.get("content") or {}).get("m.relates_to")
            reply = relation.get("m.in_reply_to") if isinstance(relation, dict) else None
            return reply.get("event_id") if isinstance(reply, dict) else None

        return [e for e in self.seen.get(room_id, []) if replied_to(e) == event_id]

    async def replies_to(
        self, room_id: str, event_id: str, *, settle: float = 1.5, within: float = 30
    ) -> list[Event]:
        """Wait for the first reply, then keep watching `settle` seconds for more."""
        deadline = time.monotonic() + within
        while not self.replies_seen(room_id, event_id) and time.monotonic() < deadline:
            await self.sync(1000)
        settle_until = time.monotonic() + settle
        while time.monotonic() < settle_until:
            await self.sync(300)
        return self.replies_seen(room_id, event_id)

    async def quiet_for(self, seconds: float) -> None:
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            await self.sync(300)
        await asyncio.sleep(0)
