"""The one reader of shared facts (SPEC §3.6–3.7): every `cc.microsolidarity.*` state
event is parsed here into a typed model and counts only from its writers.

Anyone with enough power may write state in a room, so who wrote an event decides
whether it is a fact:
- in a congregation's rooms (space, Lobby, Announcements, Hosts, crews), only this
  cohost;
- in a network's rooms (its space, Announcements, Commons), the network's cohosts, by
  the network's own policy (handlers.network.trust): the founding cohost, and every
  cohost admitted by a decision this cohost counted or recomputed as passed; the
  network's own facts (its rooms) from the founding cohost alone.

A register entry counts when its trusted writer names itself as the bot, under the
congregation it was admitted for. Anything else is logged once and ignored: a human's
edit of `cc.microsolidarity.*` state is never a fact."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

import structlog
from pydantic import BaseModel, Field, ValidationError

from handlers.community.state import (
    CONGREGATION,
    CREW,
    NETWORK,
    PREFIX,
    RELEASE,
    ROOM,
)
from handlers.framework.clock import Clock, SystemClock
from handlers.framework.errors import MatrixError
from handlers.framework.fact import F, Fact, number_key
from handlers.framework.gateway import MatrixGateway
from handlers.framework.names import name_key
from handlers.framework.types import RoomId, UserId
from storage.models import Application, Crew
from storage.trusted import TrustedFactStore

log = structlog.get_logger(__name__)

MEMBER = PREFIX + "member"  # a network's register entry (state key: the space)

# How many earlier versions of a fact are looked through for its writer's own.
MAX_VERSIONS = 50
# `cohost resync`, with no kept versions to fall back on, reads the history to its end.
TO_THE_END = 1_000_000
# How often cohost writes its own fact back over someone else's edit of it.
WRITE_BACK_EVERY = timedelta(minutes=10)
MAX_KEPT_VERSIONS = 10_000


class ApplicationRecord(BaseModel):
    """A request of this congregation to join a network, until it is a member."""

    network: RoomId
    via: list[str] = Field(default_factory=list)
    requester: UserId
    reply_room: RoomId
    created_at: datetime

    def row(self, space: str) -> Application:
        """As this cohost keeps it until it is a member."""
        return Application(
            network_id=self.network,
            congregation_id=space,
            via=self.via,
            requester=self.requester,
            reply_room=self.reply_room,
            created_at=self.created_at,
        )


class NetworkFacts(Fact):
    TYPE = NETWORK
    name: str
    rooms: dict[str, RoomId] = Field(default_factory=dict)
    founded_by: str = ""
    created_at: datetime


class MemberEntry(Fact):
    """One member congregation in a network's register (state key: its space)."""

    TYPE = MEMBER
    name: str = ""
    bot: UserId
    hosts: list[UserId] = Field(default_factory=list)


class RoomMarker(Fact):
    TYPE = ROOM
    kind: str
    congregation: str | None = None
    network: str | None = None
    operation: str | None = None
    step: str | None = None


class CongregationFacts(Fact):
    TYPE = CONGREGATION
    name: str
    hosts: list[UserId] = Field(default_factory=list)
    rooms: dict[str, RoomId] = Field(default_factory=dict)
    network: RoomId | None = None
    released: bool = False
    application: ApplicationRecord | None = None
    created_at: datetime
    # The zone its times are shown in (IANA name; none: the setting `zone`).
    zone: str | None = None
    # The language cohost speaks in its rooms (none: the setting `language`).
    language: str | None = None
    # How many deciders must have answered at a proposal's close (none: no quorum).
    quorum: int | None = None


class CrewFacts(Fact):
    """A crew (in its congregation's space, state key: its room; and in its own room)."""

    TYPE = CREW
    name: str
    caller: UserId
    congregation: RoomId
    intention: str | None = None
    created_at: datetime
    released: bool = False
    # A network's crew: the decision (its opening event) that called it.
    proposal: str | None = None

    def row(self, room: str, group: str) -> Crew:
        """As the index keeps it, under its congregation (or, for a network's crew,
        its network)."""
        return Crew(
            room_id=room,
            congregation_id=group,
            name=self.name,
            name_key=name_key(self.name),
            caller=self.caller,
            intention=self.intention,
            released=self.released,
            created_at=self.created_at,
        )


class ReleaseRecord(Fact):
    """cohost gave up a room (state key: the cohost's user id)."""

    TYPE = RELEASE
    released_by: UserId | None = None
    at: datetime | None = None
    scope: str | None = None  # crew | congregation


class SharedFacts:
    def __init__(
        self,
        gateway: MatrixGateway,
        kept: TrustedFactStore | None = None,
        clock: Clock | None = None,
        look_back: int = MAX_VERSIONS,
    ) -> None:
        self.gateway = gateway
        # How many earlier versions of a fact are read looking for its writer's.
        self._look_back = look_back
        self._reported: set[str] = set()
        # For the current event of a fact someone else wrote: its earlier versions.
        self._earlier_versions: dict[str, list[dict[str, Any]]] = {}
        # The trusted version of each fact, kept once read (no look-back decides trust).
        self._kept = kept
        self._clock = clock or SystemClock()
        self._kept_ids: dict[tuple[str, str, str], str] = {}  # what the store already has
        self._written_back: dict[tuple[str, str, str], datetime] = {}
        # Who writes a network's facts: the network's policy, once it gives it.
        self.network: NetworkPolicy = NoNetwork()
        self._policy: Callable[[SharedFacts], NetworkPolicy] | None = None

    def trust_networks_by(self, policy: Callable[[SharedFacts], NetworkPolicy]) -> None:
        """The network's policy, made for this reader (see NetworkPolicy)."""
        self._policy = policy
        self.network = policy(self)

    def to_the_end(self) -> SharedFacts:
        """The same reader, reading each fact's history to its end (`cohost resync`)."""
        reader = SharedFacts(self.gateway, self._kept, self._clock, TO_THE_END)
        if self._policy is not None:
            reader.trust_networks_by(self._policy)
        return reader

    # -- writing ---------------------------------------------------------------
    async def write(self, room: RoomId, fact: Fact, key: str = "") -> None:
        """A fact as this cohost states it: always through its typed model."""
        await self._put(room, fact.TYPE, key, fact.content())

    async def remove(self, room: RoomId, model: type[Fact], key: str = "") -> None:
        """Empty content: the fact is no more."""
        await self._put(room, model.TYPE, key, {})

    async def _put(self, room: RoomId, kind: str, key: str, content: dict[str, Any]) -> None:
        event_id = await self.gateway.put_state(room, kind, key, content)
        written = {"type": kind, "state_key": key, "content": content, "event_id": event_id}
        await self._keep(room, {**written, "sender": self.gateway.user_id})

    # -- reading ---------------------------------------------------------------
    async def get(self, room: RoomId, model: type[F], key: str = "") -> F | None:
        """The fact of this kind under `key`, when its writer is trusted here."""
        if model is NetworkFacts:  # the network's own facts: its policy says whose
            return await self.network.facts(room)  # type: ignore[return-value]
        event = await self.gateway.state_event(room, model.TYPE, key)
        if event is None:
            return None
        return await self.accept(room, event, model, await self.writers(room))

    async def own(self, room: RoomId, model: type[F], key: str = "") -> F | None:
        """The fact only as this cohost itself wrote it (its own bookkeeping)."""
        event = await self.gateway.state_event(room, model.TYPE, key)
        if event is None:
            return None
        return await self.accept(room, event, model, {self.gateway.user_id})

    async def all(self, room: RoomId, model: type[F]) -> dict[str, F]:
        """Every trusted fact of this kind in the room, by state key."""
        return await self._all(room, model, await self.writers(room))

    async def own_all(self, room: RoomId, model: type[F]) -> dict[str, F]:
        return await self._all(room, model, {self.gateway.user_id})

    async def _all(self, room: RoomId, model: type[F], writers: set[UserId]) -> dict[str, F]:
        found: dict[str, F] = {}
        for event in await self.gateway.room_state(room):
            if event.get("type") == model.TYPE:
                fact = await self.accept(room, event, model, writers)
                if fact is not None:
                    found[str(event["state_key"])] = fact
        return found

    async def numbered(self, room: RoomId, model: type[F]) -> dict[int, tuple[UserId, F]]:
        """Trusted facts of a kind kept under numbers (proposals, cycles), by number,
        each with who wrote it."""
        writers = await self.writers(room)
        found: dict[int, tuple[UserId, F]] = {}
        for event in await self.gateway.room_state(room):
            if event.get("type") != model.TYPE:
                continue
            number = number_key(event.get("state_key"))
            if number is None:
                continue
            trusted = await self.trusted_version(room, event, writers)
            fact = self.parse(room, trusted, model) if trusted else None
            if trusted is not None and fact is not None:
                found[number] = (UserId(str(trusted["sender"])), fact)
        return found

    async def latest(self, room: RoomId, model: type[F]) -> tuple[UserId, int, F] | None:
        """The trusted fact of this kind with the highest number (a cycle), with who
        wrote it."""
        found = await self.numbered(room, model)
        if not found:
            return None
        number = max(found)
        return found[number][0], number, found[number][1]

    async def trusted_version(
        self, room: RoomId, event: dict[str, Any], writers: set[UserId]
    ) -> dict[str, Any] | None:
        """The version of a state event that counts: the current one when a writer sent
        it; otherwise the latest earlier one a writer sent (from the room's history),
        so that an edit by anyone else, deleting included, changes nothing."""
        if event.get("sender") in writers:
            await self._keep(room, event)
            return event
        self.report_once("untrusted_fact_ignored", room, event)
        # The latest writer's version within the history's reach; beyond it (someone
        # overwrote the fact many times), the version kept when it was last read.
        found = next(
            (e for e in await self.earlier(room, event) if e.get("sender") in writers), None
        )
        if found is not None:
            await self._keep(room, found)
        else:
            kept = await self._kept_version(room, event)
            found = kept if kept is not None and kept.get("sender") in writers else None
        if found is None:
            log.info("fact_has_no_trusted_version", room_id=room, type=event.get("type"))
            return None
        await self._write_back(room, found)
        return found

    async def _keep(self, room: RoomId, event: dict[str, Any]) -> None:
        """Remember a trusted version (once per version: the store is asked only when
        it changed)."""
        key = (room, str(event.get("type")), str(event.get("state_key")))
        if self._kept is None or self._kept_ids.get(key) == event.get("event_id"):
            return
        await self._kept.keep(room, event, self._clock.now())
        self._kept_ids[key] = str(event.get("event_id"))

    async def _kept_version(self, room: RoomId, event: dict[str, Any]) -> dict[str, Any] | None:
        if self._kept is None:
            return None
        row = await self._kept.kept(room, str(event.get("type")), str(event.get("state_key")))
        if row is None:
            return None
        return {
            "type": row.event_type,
            "state_key": row.state_key,
            "sender": row.sender,
            "content": row.content,
            "event_id": row.event_id,
        }

    async def _write_back(self, room: RoomId, trusted: dict[str, Any]) -> None:
        """cohost's own fact, replaced by someone else, written again (at most every
        WRITE_BACK_EVERY per fact), so that Element and other readers see it too."""
        if trusted.get("sender") != self.gateway.user_id:
            return
        kind, key = str(trusted.get("type")), str(trusted.get("state_key"))
        now = self._clock.now()
        last = self._written_back.get((room, kind, key))
        if last is not None and now - last < WRITE_BACK_EVERY:
            return
        self._written_back[(room, kind, key)] = now
        try:
            await self.gateway.put_state(room, kind, key, dict(trusted.get("content") or {}))
            log.info("fact_written_back", room_id=room, type=kind)
        except MatrixError as err:
            log.warning("fact_not_written_back", room_id=room, type=kind, errcode=err.errcode)

    async def earlier(self, room: RoomId, event: dict[str, Any]) -> list[dict[str, Any]]:
        """The earlier versions of a state event, newest first."""
        current = str(event.get("event_id"))
        if current not in self._earlier_versions:
            history = await self.gateway.state_history(
                room, str(event.get("type")), str(event.get("state_key")), self._look_back
            )
            if len(self._earlier_versions) >= MAX_KEPT_VERSIONS:
                self._earlier_versions.clear()
            # Events never change: what came before this one stays what it was.
            self._earlier_versions[current] = [e for e in history if e.get("event_id") != current]
        return self._earlier_versions[current]

    async def accept(
        self, room: RoomId, event: dict[str, Any], model: type[F], writers: set[UserId]
    ) -> F | None:
        trusted = await self.trusted_version(room, event, writers)
        return None if trusted is None else self.parse(room, trusted, model)

    def parse(self, room: RoomId, event: dict[str, Any], model: type[F]) -> F | None:
        content = event.get("content")
        if not content:
            return None  # empty content: the fact was removed
        try:
            return model.model_validate(content)
        except ValidationError:
            self.report_once("malformed_fact_ignored", room, event)
            return None

    def report_once(self, what: str, room: RoomId, event: dict[str, Any]) -> None:
        event_id = str(event.get("event_id") or (room, event.get("type"), event.get("state_key")))
        if event_id in self._reported:
            return
        self._reported.add(event_id)
        log.warning(
            what,
            room_id=room,
            type=event.get("type"),
            state_key=event.get("state_key"),
            sender=event.get("sender"),
        )

    # -- who writes facts where -------------------------------------------------
    async def writers(self, room: RoomId) -> set[UserId]:
        """This cohost everywhere; in a network's rooms also the network's cohosts
        (by the network's policy)."""
        return {self.gateway.user_id, *(await self.network.writers(room))}

    async def network_cohosts(self, network: RoomId) -> set[UserId]:
        return set(await self.network.admitted_spaces(network))

    async def members(self, network: RoomId) -> dict[str, MemberEntry]:
        return await self.network.members(network)

    async def voices(self, network: RoomId) -> tuple[list[str], dict[str, str | list[str]]]:
        return await self.network.voices(network)


class NetworkPolicy(Protocol):
    """Who writes a network's facts, and what its register says: the network's own
    policy (handlers.network.trust), which the network feature gives the reader. Until
    it does, no room is a network's."""

    async def writers(self, room: RoomId) -> set[UserId]:
        """Who, besides this cohost, writes facts in a room: a network's cohosts."""
        ...

    async def facts(self, network: RoomId) -> NetworkFacts | None: ...

    async def admitted_spaces(self, network: RoomId) -> dict[UserId, set[str]]: ...

    async def members(self, network: RoomId) -> dict[str, MemberEntry]: ...

    async def voices(self, network: RoomId) -> tuple[list[str], dict[str, str | list[str]]]: ...

    async def group_holds(
        self,
        network: RoomId,
        deciders: list[str],
        voices: dict[str, str | list[str]],
        opened_at: datetime,
    ) -> str | None:
        """Why a deciding group a peer announced is not the network's (None if it is)."""
        ...


class NoNetwork:
    async def writers(self, room: RoomId) -> set[UserId]:
        return set()

    async def facts(self, network: RoomId) -> NetworkFacts | None:
        return None

    async def admitted_spaces(self, network: RoomId) -> dict[UserId, set[str]]:
        return {}

    async def members(self, network: RoomId) -> dict[str, MemberEntry]:
        return {}

    async def voices(self, network: RoomId) -> tuple[list[str], dict[str, str | list[str]]]:
        return [], {}

    async def group_holds(
        self,
        network: RoomId,
        deciders: list[str],
        voices: dict[str, str | list[str]],
        opened_at: datetime,
    ) -> str | None:
        return None
