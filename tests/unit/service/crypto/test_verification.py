"""cohost answers "Verify user" by emoji. The other side here is computed independently,
as a client would: its own key agreement, its own info strings and canonical JSON, so
a wrong string or MAC in cohost's code makes these fail."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta
from typing import Any

import pytest
import vodozemac

from handlers.framework.types import RoomId, UserId
from service.crypto.verification import EMOJI, MAX_OPEN, Verifier
from tests.fakes import BOT, FakeClock, FakeGateway

ROOM = RoomId("!dm:example.org")
ANA = UserId("@ana:example.org")
PHONE = "PHONE"
BOT_DEVICE = "COHOSTDEV"
DEVICE_KEY = base64.b64encode(b"d" * 32).decode().rstrip("=")
MASTER = base64.b64encode(b"m" * 32).decode().rstrip("=")
ANA_DEVICE_KEY = base64.b64encode(b"a" * 32).decode().rstrip("=")
ANA_MASTER = base64.b64encode(b"A" * 32).decode().rstrip("=")


class FakeKeys:
    device_id = BOT_DEVICE

    def own(self) -> dict[str, str]:
        return {f"ed25519:{BOT_DEVICE}": DEVICE_KEY, f"ed25519:{MASTER}": MASTER}

    async def theirs(self, user: UserId, device: str) -> dict[str, str]:
        assert (user, device) == (ANA, PHONE)
        return {f"ed25519:{PHONE}": ANA_DEVICE_KEY, f"ed25519:{ANA_MASTER}": ANA_MASTER}


class Ana:
    """The user's client: sends the events Element sends and checks cohost's answers."""

    def __init__(self, verifier: Verifier, gateway: FakeGateway, clock: FakeClock) -> None:
        self.verifier, self.gateway, self.clock = verifier, gateway, clock
        self.sas = vodozemac.Sas()
        self.request_id = "$request"
        self.start: dict[str, Any] = {}
        self.established: vodozemac.EstablishedSas | None = None

    async def send(self, kind: str, content: dict[str, Any], sender: str = ANA) -> None:
        if kind != "m.room.message":
            content = {
                **content,
                "m.relates_to": {"rel_type": "m.reference", "event_id": self.request_id},
            }
        event = {
            "type": kind,
            "sender": sender,
            "event_id": f"$e{len(self.gateway.sent)}{kind}",
            "origin_server_ts": int(self.clock.now().timestamp() * 1000),
            "content": content,
        }
        await self.verifier(ROOM, event)

    async def request(
        self,
        methods: tuple[str, ...] = ("m.sas.v1",),
        to: str = BOT,
        ahead: timedelta = timedelta(),
    ) -> None:
        content = {
            "msgtype": "m.key.verification.request",
            "body": "…",
            "to": to,
            "from_device": PHONE,
            "methods": list(methods),
        }
        event = {
            "type": "m.room.message",
            "sender": ANA,
            "event_id": self.request_id,
            "origin_server_ts": int((self.clock.now() + ahead).timestamp() * 1000),
            "content": content,
        }
        await self.verifier(ROOM, event)

    async def start_sas(self, macs: tuple[str, ...] = ("hkdf-hmac-sha256.v2",)) -> None:
        self.start = {
            "from_device": PHONE,
            "method": "m.sas.v1",
            "key_agreement_protocols": ["curve25519-hkdf-sha256"],
            "hashes": ["sha256"],
            "message_authentication_codes": list(macs),
            "short_authentication_string": ["decimal", "emoji"],
        }
        await self.send("m.key.verification.start", self.start)

    def answers(self, kind: str) -> list[dict[str, Any]]:
        return [s.content for s in self.gateway.sent if s.event_type == kind]

    def info(self, bot_key: str) -> str:
        mine = f"{ANA}|{PHONE}|{self.sas.public_key.to_base64()}"
        return f"MATRIX_KEY_VERIFICATION_SAS|{mine}|{BOT}|{BOT_DEVICE}|{bot_key}|{self.request_id}"


@pytest.fixture
def ana() -> Ana:
    gateway, clock = FakeGateway(), FakeClock()
    return Ana(Verifier(gateway, FakeKeys(), clock), gateway, clock)


def canonical(content: dict[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


async def test_a_verification_by_emoji_goes_through_and_covers_the_master_key(ana: Ana) -> None:
    await ana.request()
    [ready] = ana.answers("m.key.verification.ready")
    assert ready["methods"] == ["m.sas.v1"] and ready["from_device"] == BOT_DEVICE
    assert ready["m.relates_to"] == {"rel_type": "m.reference", "event_id": "$request"}

    await ana.start_sas()
    [accept] = ana.answers("m.key.verification.accept")
    assert accept["message_authentication_code"] == "hkdf-hmac-sha256.v2"
    assert set(accept["short_authentication_string"]) == {"emoji", "decimal"}
    # The commitment binds cohost's key, which it reveals only later.
    await ana.send("m.key.verification.key", {"key": ana.sas.public_key.to_base64()})
    [key] = ana.answers("m.key.verification.key")
    start = {**ana.start, "m.relates_to": {"rel_type": "m.reference", "event_id": "$request"}}
    digest = hashlib.sha256(key["key"].encode() + canonical(start)).digest()
    assert accept["commitment"] == base64.b64encode(digest).decode().rstrip("=")

    # The emoji cohost shows are the ones this side derives.
    established = ana.sas.diffie_hellman(vodozemac.Curve25519PublicKey.from_base64(key["key"]))
    shown = established.bytes(ana.info(key["key"]))
    names = [EMOJI[i][1] for i in shown.emoji_indices]
    [told] = [c["body"] for c in ana.answers("m.room.message")]
    assert all(name in told for name in names) and str(shown.decimals[0]) in told

    # cohost's MAC vouches for its device and its master key.
    [mac] = ana.answers("m.key.verification.mac")
    info = f"MATRIX_KEY_VERIFICATION_MAC{BOT}{BOT_DEVICE}{ANA}{PHONE}$request"
    assert mac["mac"] == {
        f"ed25519:{BOT_DEVICE}": established.calculate_mac(
            DEVICE_KEY, info + f"ed25519:{BOT_DEVICE}"
        ),
        f"ed25519:{MASTER}": established.calculate_mac(MASTER, info + f"ed25519:{MASTER}"),
    }
    ids = ",".join(sorted(mac["mac"]))
    assert mac["keys"] == established.calculate_mac(ids, info + "KEY_IDS")
    assert not ana.answers("m.key.verification.done")

    # The user confirms: their MAC, checked, and cohost is done.
    theirs = f"MATRIX_KEY_VERIFICATION_MAC{ANA}{PHONE}{BOT}{BOT_DEVICE}$request"
    macs = {
        f"ed25519:{PHONE}": established.calculate_mac(ANA_DEVICE_KEY, theirs + f"ed25519:{PHONE}"),
        f"ed25519:{ANA_MASTER}": established.calculate_mac(
            ANA_MASTER, theirs + f"ed25519:{ANA_MASTER}"
        ),
    }
    keys = established.calculate_mac(",".join(sorted(macs)), theirs + "KEY_IDS")
    await ana.send("m.key.verification.mac", {"mac": macs, "keys": keys})
    assert len(ana.answers("m.key.verification.done")) == 1
    assert not ana.answers("m.key.verification.cancel")


async def test_a_mac_over_other_keys_is_refused(ana: Ana) -> None:
    """What a device in the middle would send: its own key under the phone's name."""
    await ana.request()
    await ana.start_sas()
    await ana.send("m.key.verification.key", {"key": ana.sas.public_key.to_base64()})
    [key] = ana.answers("m.key.verification.key")
    established = ana.sas.diffie_hellman(vodozemac.Curve25519PublicKey.from_base64(key["key"]))
    theirs = f"MATRIX_KEY_VERIFICATION_MAC{ANA}{PHONE}{BOT}{BOT_DEVICE}$request"
    forged = base64.b64encode(b"x" * 32).decode().rstrip("=")
    macs = {f"ed25519:{PHONE}": established.calculate_mac(forged, theirs + f"ed25519:{PHONE}")}
    keys = established.calculate_mac(",".join(sorted(macs)), theirs + "KEY_IDS")
    await ana.send("m.key.verification.mac", {"mac": macs, "keys": keys})
    [cancel] = ana.answers("m.key.verification.cancel")
    assert cancel["code"] == "m.key_mismatch"
    assert not ana.answers("m.key.verification.done")
    # The flow is over: a second MAC is not answered.
    await ana.send("m.key.verification.mac", {"mac": macs, "keys": keys})
    assert len(ana.answers("m.key.verification.cancel")) == 1


async def test_libolm_clients_get_their_mac_method(ana: Ana) -> None:
    await ana.request()
    await ana.start_sas(macs=("hkdf-hmac-sha256",))
    [accept] = ana.answers("m.key.verification.accept")
    assert accept["message_authentication_code"] == "hkdf-hmac-sha256"
    await ana.send("m.key.verification.key", {"key": ana.sas.public_key.to_base64()})
    [key] = ana.answers("m.key.verification.key")
    established = ana.sas.diffie_hellman(vodozemac.Curve25519PublicKey.from_base64(key["key"]))
    [mac] = ana.answers("m.key.verification.mac")
    info = f"MATRIX_KEY_VERIFICATION_MAC{BOT}{BOT_DEVICE}{ANA}{PHONE}$request"
    ids = ",".join(sorted(mac["mac"]))
    assert mac["keys"] == established.calculate_mac_invalid_base64(ids, info + "KEY_IDS")


async def test_requests_not_for_cohost_or_out_of_time_get_nothing(ana: Ana) -> None:
    await ana.request(to="@someone-else:example.org")
    assert ana.gateway.sent == []
    # Sent eleven minutes ago (the spec's ten have passed), or six minutes ahead.
    for offset in (timedelta(minutes=-11), timedelta(minutes=6)):
        ana.request_id = f"$at{offset}"
        await ana.request(ahead=offset)
        await ana.start_sas()
    assert ana.gateway.sent == []


async def test_a_request_without_emoji_is_cancelled_clearly(ana: Ana) -> None:
    await ana.request(methods=("m.qr_code.show.v1",))
    [cancel] = ana.answers("m.key.verification.cancel")
    assert cancel["code"] == "m.unknown_method"
    assert not ana.answers("m.key.verification.ready")


async def test_only_the_requester_moves_the_verification_on(ana: Ana) -> None:
    await ana.request()
    mallory = "@mallory:example.org"
    await ana.send("m.key.verification.cancel", {"code": "m.user", "reason": "no"}, sender=mallory)
    await ana.start_sas()
    assert len(ana.answers("m.key.verification.accept")) == 1
    # A start out of turn (a second one) cancels, it does not restart.
    await ana.start_sas()
    [cancel] = ana.answers("m.key.verification.cancel")
    assert cancel["code"] == "m.unexpected_message"


async def test_a_start_with_no_common_method_is_cancelled(ana: Ana) -> None:
    await ana.request()
    await ana.start_sas(macs=("org.example.mac",))
    [cancel] = ana.answers("m.key.verification.cancel")
    assert cancel["code"] == "m.unknown_method"
    assert not ana.answers("m.key.verification.accept")


async def test_requests_in_flight_are_bounded(ana: Ana) -> None:
    for n in range(MAX_OPEN + 5):
        ana.request_id = f"$request{n}"
        await ana.request()
    # One person's oldest gave way: a start for it is not answered; the newest still is.
    ana.request_id = "$request0"
    await ana.start_sas()
    assert not ana.answers("m.key.verification.accept")
    ana.request_id = f"$request{MAX_OPEN + 4}"
    await ana.start_sas()
    assert len(ana.answers("m.key.verification.accept")) == 1


async def test_a_flood_of_requests_ends_nobody_elses_verification(ana: Ana) -> None:
    await ana.request()  # Ana's, first
    for n in range(MAX_OPEN + 5):  # strangers', each their own account
        await ana.send(
            "m.room.message",
            {"msgtype": "m.key.verification.request", "body": "…", "to": BOT,
             "from_device": "X", "methods": ["m.sas.v1"]},
            sender=f"@stranger{n}:spam.example",
        )  # fmt: skip
    await ana.start_sas()
    assert len(ana.answers("m.key.verification.accept")) == 1  # hers goes on
