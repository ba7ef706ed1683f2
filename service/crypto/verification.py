"""Answering Element's "Verify user": interactive verification by emoji (SAS), in the
room the request was sent in, as the spec's in-room flow describes it.

What it proves: the emoji a user compares come from a secret only their device and
cohost's share (a Curve25519 agreement by vodozemac, nio's own crypto library), and
cohost's MAC covers its device key and its cross-signing master key, so once the user
confirms, their client signs cohost's identity as verified and keeps it so across
cohost's devices. cohost cannot look at the user's screen: it confirms on its side as
soon as the keys are exchanged, and shows the emoji in the room and in its log
(`verification_sas`), where the homeserver's admin can read them outside Matrix. For
the same reason it does not sign the user's keys in return: its confirmation checked
nothing. Their MAC is still checked, and a mismatch cancels.

A verification lives in memory for at most ten minutes, as the spec's requests do; a
restart in the middle ends it (the client times out; the user starts again). To-device
requests (another client verifying one device of cohost's) are not answered: Element
verifies users, in a room."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import structlog
import vodozemac
from canonicaljson import encode_canonical_json
from nio import AsyncClient, Event
from nio.crypto.sas import Sas as NioSas

from handlers.framework.clock import Clock
from handlers.framework.gateway import MatrixGateway
from handlers.framework.language import N_, _
from handlers.framework.matrix_names import REFERENCE, RELATES_TO, EventType, Verification
from handlers.framework.replies import notice
from handlers.framework.types import RoomId, UserId
from service.gateway import request_json

log = structlog.get_logger(__name__)

SAS = "m.sas.v1"
KEY_AGREEMENT = "curve25519-hkdf-sha256"
HASH = "sha256"
MAC_V2 = "hkdf-hmac-sha256.v2"
MAC_V1 = "hkdf-hmac-sha256"  # libolm's, with its base64 quirk; older clients
SAS_KINDS = ("emoji", "decimal")
LIFETIME = timedelta(minutes=10)  # a request older than this is ignored (the spec's)
AHEAD = timedelta(minutes=5)  # nor one from further in the future
MAX_OPEN = 32  # verifications in progress at once
MAX_PER_USER = 2  # of one person's: their oldest gives way
# The spec's table of 64: nio's, in the spec's English words, which Element shows.
_SPEC_WORDS = {"Wrench": "Spanner", "Thumbs up": "Thumbs Up", "Airplane": "Aeroplane"}
EMOJI: list[tuple[str, str]] = [(s, _SPEC_WORDS.get(n, n)) for s, n in NioSas.emoji]
# The spec's names of the 64 emoji (data-definitions/sas-emoji.json in matrix-spec), so
# that the catalogs hold them; translations take the spec's own, as Element shows them.
SPEC_EMOJI_NAMES = (
    N_("Dog"),
    N_("Cat"),
    N_("Lion"),
    N_("Horse"),
    N_("Unicorn"),
    N_("Pig"),
    N_("Elephant"),
    N_("Rabbit"),
    N_("Panda"),
    N_("Rooster"),
    N_("Penguin"),
    N_("Turtle"),
    N_("Fish"),
    N_("Octopus"),
    N_("Butterfly"),
    N_("Flower"),
    N_("Tree"),
    N_("Cactus"),
    N_("Mushroom"),
    N_("Globe"),
    N_("Moon"),
    N_("Cloud"),
    N_("Fire"),
    N_("Banana"),
    N_("Apple"),
    N_("Strawberry"),
    N_("Corn"),
    N_("Pizza"),
    N_("Cake"),
    N_("Heart"),
    N_("Smiley"),
    N_("Robot"),
    N_("Hat"),
    N_("Glasses"),
    N_("Spanner"),
    N_("Santa"),
    N_("Thumbs Up"),
    N_("Umbrella"),
    N_("Hourglass"),
    N_("Clock"),
    N_("Gift"),
    N_("Light Bulb"),
    N_("Book"),
    N_("Pencil"),
    N_("Paperclip"),
    N_("Scissors"),
    N_("Lock"),
    N_("Key"),
    N_("Hammer"),
    N_("Telephone"),
    N_("Flag"),
    N_("Train"),
    N_("Bicycle"),
    N_("Aeroplane"),
    N_("Rocket"),
    N_("Trophy"),
    N_("Ball"),
    N_("Guitar"),
    N_("Trumpet"),
    N_("Bell"),
    N_("Anchor"),
    N_("Headphones"),
    N_("Folder"),
    N_("Pin"),
)


class Keys(Protocol):
    """The keys a verification vouches for: cohost's, and the other user's."""

    @property
    def device_id(self) -> str: ...

    def own(self) -> dict[str, str]:
        """Key id → public key: the device's Ed25519 key and, when it has one, the
        master cross-signing key."""
        ...

    async def theirs(self, user: UserId, device: str) -> dict[str, str]:
        """The same for the other side, as the homeserver publishes them."""
        ...


class Cancelled(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


def verification_event(event: Event) -> dict[str, Any] | None:
    """The event's source when it belongs to an in-room verification, else None."""
    source = getattr(event, "source", None)
    if not isinstance(source, dict):
        return None
    kind, content = source.get("type"), source.get("content")
    if not isinstance(kind, str) or not isinstance(content, dict):
        return None
    if kind.startswith(Verification.PREFIX):
        return source
    if kind == EventType.MESSAGE and content.get("msgtype") == Verification.REQUEST:
        return source
    return None


# -- the protocol's arithmetic (pure) -------------------------------------------------
def unpadded(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def commitment(public_key: str, start: dict[str, Any]) -> str:
    """What the accepting side commits to: its key with the start message."""
    return unpadded(hashlib.sha256(public_key.encode() + encode_canonical_json(start)).digest())


def sas_info(starter: tuple[str, str, str], accepter: tuple[str, str, str], txn: str) -> str:
    """The info string the short authentication string is derived with; each side is
    (user, device, its ephemeral public key)."""
    return "|".join(("MATRIX_KEY_VERIFICATION_SAS", *starter, *accepter, txn))


def mac_info(sender: tuple[str, str], receiver: tuple[str, str], txn: str) -> str:
    return "MATRIX_KEY_VERIFICATION_MAC" + "".join((*sender, *receiver, txn))


def emoji(indices: Sequence[int]) -> list[tuple[str, str]]:
    return [EMOJI[i] for i in indices]


def macs_of(
    mac: Callable[[str, str], str], keys: dict[str, str], info: str
) -> tuple[dict[str, str], str]:
    """Each key's MAC, and the MAC of the list of key ids."""
    each = {key_id: mac(public, info + key_id) for key_id, public in keys.items()}
    return each, mac(",".join(sorted(each)), info + "KEY_IDS")


# -- one verification ---------------------------------------------------------------------
@dataclass
class Flow:
    room_id: RoomId
    request_id: str  # the request event: the transaction's id in a room
    user: UserId
    device: str
    opened: datetime
    sas: vodozemac.Sas | None = None
    mac_method: str = MAC_V2
    established: vodozemac.EstablishedSas | None = None

    def mac(self) -> Callable[[str, str], str]:
        assert self.established is not None
        if self.mac_method == MAC_V2:
            return self.established.calculate_mac
        return self.established.calculate_mac_invalid_base64


class Verifier:
    """Answers verification requests addressed to cohost, one step per event."""

    def __init__(self, gateway: MatrixGateway, keys: Keys, clock: Clock) -> None:
        self._gateway = gateway
        self._keys = keys
        self._clock = clock
        self._flows: dict[str, Flow] = {}

    async def __call__(self, room_id: RoomId, source: dict[str, Any]) -> None:
        sender, content = source.get("sender"), source.get("content")
        if not isinstance(sender, str) or not isinstance(content, dict):
            return
        if sender == self._gateway.user_id:
            return
        self._forget_old()
        if source.get("type") == EventType.MESSAGE:
            await self._requested(room_id, UserId(sender), source, content)
            return
        relation = content.get(RELATES_TO)
        request_id = relation.get("event_id") if isinstance(relation, dict) else None
        flow = self._flows.get(request_id) if isinstance(request_id, str) else None
        if flow is None or flow.user != sender or flow.room_id != room_id:
            return  # not ours to answer (another user's, or long gone)
        kind = source.get("type")
        try:
            if kind == Verification.START:
                await self._started(flow, content)
            elif kind == Verification.KEY:
                await self._keyed(flow, content)
            elif kind == Verification.MAC:
                await self._maced(flow, content)
            elif kind in (Verification.CANCEL, Verification.DONE):
                self._flows.pop(flow.request_id, None)
                log.info("verification_ended", user=flow.user, by=kind.rsplit(".", 1)[-1])
        except Cancelled as cancel:
            await self._cancel(flow, cancel)

    async def _requested(
        self, room_id: RoomId, sender: UserId, source: dict[str, Any], content: dict[str, Any]
    ) -> None:
        event_id, device = source.get("event_id"), content.get("from_device")
        methods = content.get("methods")
        if content.get("to") != self._gateway.user_id or not isinstance(event_id, str):
            return
        if not isinstance(device, str) or not isinstance(methods, list):
            return
        sent = source.get("origin_server_ts")
        now = self._clock.now()
        if not isinstance(sent, int) or isinstance(sent, bool):
            return
        at = datetime.fromtimestamp(sent / 1000, now.tzinfo)
        if at < now - LIFETIME or at > now + AHEAD:
            log.info("verification_request_expired", user=sender)
            return
        flow = Flow(room_id, event_id, sender, device, now)
        if SAS not in methods:
            await self._cancel(flow, Cancelled("m.unknown_method", "cohost verifies by emoji"))
            return
        if not self._room_for(flow):
            await self._cancel(flow, Cancelled("m.user", "too many verifications at once"))
            return
        self._flows[event_id] = flow
        await self._send(
            flow, Verification.READY, {"from_device": self._keys.device_id, "methods": [SAS]}
        )
        log.info("verification_requested", user=sender, device=device)

    def _room_for(self, flow: Flow) -> bool:
        """Whether a new verification fits: the expired ones go, the person's own
        oldest gives way to their new one (MAX_PER_USER), and when all MAX_OPEN are
        in use by others, the newcomer waits: nobody ends someone else's."""
        for request_id, open_flow in list(self._flows.items()):
            if open_flow.opened < flow.opened - LIFETIME:
                self._flows.pop(request_id)
        own = [r for r, f in self._flows.items() if f.user == flow.user]
        while len(own) >= MAX_PER_USER:
            self._flows.pop(own.pop(0))
        return len(self._flows) < MAX_OPEN

    async def _started(self, flow: Flow, content: dict[str, Any]) -> None:
        if flow.sas is not None or content.get("from_device") != flow.device:
            raise Cancelled("m.unexpected_message", "a second start")
        if content.get("method") != SAS:
            raise Cancelled("m.unknown_method", "cohost verifies by emoji")
        kinds = [k for k in SAS_KINDS if k in _strings(content.get("short_authentication_string"))]
        macs = _strings(content.get("message_authentication_codes"))
        mac_method = next((m for m in (MAC_V2, MAC_V1) if m in macs), None)
        if (
            KEY_AGREEMENT not in _strings(content.get("key_agreement_protocols"))
            or HASH not in _strings(content.get("hashes"))
            or mac_method is None
            or not kinds
        ):
            raise Cancelled("m.unknown_method", "no method in common")
        flow.sas, flow.mac_method = vodozemac.Sas(), mac_method
        accept = {
            "method": SAS,
            "key_agreement_protocol": KEY_AGREEMENT,
            "hash": HASH,
            "message_authentication_code": mac_method,
            "short_authentication_string": kinds,
            "commitment": commitment(flow.sas.public_key.to_base64(), content),
        }
        await self._send(flow, Verification.ACCEPT, accept)

    async def _keyed(self, flow: Flow, content: dict[str, Any]) -> None:
        theirs = content.get("key")
        if flow.sas is None or flow.established is not None or not isinstance(theirs, str):
            raise Cancelled("m.unexpected_message", "a key out of turn")
        try:
            public = vodozemac.Curve25519PublicKey.from_base64(theirs)
        except Exception as err:
            raise Cancelled("m.invalid_message", "an unreadable key") from err
        ours = flow.sas.public_key.to_base64()
        flow.established = flow.sas.diffie_hellman(public)
        await self._send(flow, Verification.KEY, {"key": ours})
        own = (self._gateway.user_id, self._keys.device_id)
        shown = flow.established.bytes(
            sas_info((flow.user, flow.device, theirs), (*own, ours), flow.request_id)
        )
        await self._show(flow, emoji(shown.emoji_indices), shown.decimals)
        # cohost cannot see the user's screen: it confirms at once (see the docstring).
        mac, keys = macs_of(
            flow.mac(), self._keys.own(), mac_info(own, (flow.user, flow.device), flow.request_id)
        )
        await self._send(flow, Verification.MAC, {"mac": mac, "keys": keys})

    async def _maced(self, flow: Flow, content: dict[str, Any]) -> None:
        macs, keys = content.get("mac"), content.get("keys")
        if flow.established is None or not isinstance(macs, dict) or not isinstance(keys, str):
            raise Cancelled("m.unexpected_message", "a MAC out of turn")
        info = mac_info(
            (flow.user, flow.device), (self._gateway.user_id, self._keys.device_id), flow.request_id
        )
        mac = flow.mac()
        if not hmac.compare_digest(mac(",".join(sorted(macs)), info + "KEY_IDS"), keys):
            raise Cancelled("m.key_mismatch", "the list of keys does not match")
        known = await self._keys.theirs(flow.user, flow.device)
        checked = [key_id for key_id in macs if key_id in known]
        if f"ed25519:{flow.device}" not in checked:
            raise Cancelled("m.key_mismatch", "the device's key is not among them")
        for key_id in checked:
            value = macs[key_id]
            if not isinstance(value, str) or not hmac.compare_digest(
                mac(known[key_id], info + key_id), value
            ):
                raise Cancelled("m.key_mismatch", "a key does not match")
        await self._send(flow, Verification.DONE, {})
        self._flows.pop(flow.request_id, None)
        log.info("verification_done", user=flow.user, device=flow.device, keys=len(checked))

    async def _show(
        self, flow: Flow, shown: list[tuple[str, str]], decimals: tuple[int, ...]
    ) -> None:
        numbers = " ".join(str(n) for n in decimals)
        names = [name for _, name in shown]  # a list: some names are two words
        log.info("verification_sas", user=flow.user, emoji=names, decimals=list(decimals))
        pictures = " · ".join(f"{symbol} {_(name)}" for symbol, name in shown)
        text = _(
            "{user}, verifying me: I see {pictures} (or the numbers {numbers}). I have "
            "confirmed on my side; confirm on yours only if your screen shows the same. To "
            "check without relying on this room, your homeserver's admin finds the same "
            "emoji in cohost's log (`verification_sas`).",
            user=flow.user,
            pictures=pictures,
            numbers=numbers,
        )
        await self._gateway.send_event(
            flow.room_id, EventType.MESSAGE, notice(text, (flow.user,)), self._txn(flow, "shown")
        )

    async def _cancel(self, flow: Flow, cancel: Cancelled) -> None:
        self._flows.pop(flow.request_id, None)
        log.info("verification_cancelled", user=flow.user, code=cancel.code)
        await self._send(flow, Verification.CANCEL, {"code": cancel.code, "reason": cancel.reason})

    async def _send(self, flow: Flow, kind: str, content: dict[str, Any]) -> None:
        related = {**content, RELATES_TO: {"rel_type": REFERENCE, "event_id": flow.request_id}}
        await self._gateway.send_event(flow.room_id, kind, related, self._txn(flow, kind))

    @staticmethod
    def _txn(flow: Flow, step: str) -> str:
        request = hashlib.sha256(flow.request_id.encode()).hexdigest()[:32]
        return f"cohost-verify-{request}-{step.rsplit('.', 1)[-1]}"

    def _forget_old(self) -> None:
        cutoff = self._clock.now() - LIFETIME
        for request_id in [r for r, f in self._flows.items() if f.opened < cutoff]:
            del self._flows[request_id]


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


# -- the keys, from nio and the homeserver -----------------------------------------------
class DeviceKeys:
    def __init__(self, client: AsyncClient, master: Callable[[], str | None]) -> None:
        self._client = client
        self._master = master

    @property
    def device_id(self) -> str:
        return str(self._client.device_id)

    def own(self) -> dict[str, str]:
        assert self._client.olm is not None
        keys = {f"ed25519:{self.device_id}": self._client.olm.account.identity_keys["ed25519"]}
        master = self._master()
        if master is not None:
            keys[f"ed25519:{master}"] = master
        return keys

    async def theirs(self, user: UserId, device: str) -> dict[str, str]:
        body = {"device_keys": {user: [device]}}
        data = await request_json(self._client, "POST", ["keys", "query"], body, "keys_query")
        found: dict[str, str] = {}
        for published in (
            data.get("device_keys", {}).get(user, {}).get(device, {}),
            data.get("master_keys", {}).get(user, {}),
        ):
            keys = published.get("keys") if isinstance(published, dict) else None
            if isinstance(keys, dict):
                found.update({k: v for k, v in keys.items() if isinstance(v, str)})
        return {k: v for k, v in found.items() if k.startswith("ed25519:")}
