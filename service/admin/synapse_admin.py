"""Synapse's shared-secret registration (`/_synapse/admin/v1/register`): the one way to
make an account on a homeserver that allows no registration, used by `cohost init` and
by the test bed's homeservers."""

from __future__ import annotations

import hashlib
import hmac


def registration_mac(secret: str, nonce: str, localpart: str, password: str, admin: bool) -> str:
    """The HMAC-SHA1 Synapse checks: nonce, user, password and admin flag, NUL-separated."""
    parts = (nonce, localpart, password, "admin" if admin else "notadmin")
    message = b"\x00".join(p.encode() for p in parts)
    return hmac.new(secret.encode(), message, hashlib.sha1).hexdigest()
