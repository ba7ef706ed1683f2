"""The Matrix protocol's names that cohost uses, in one place (as Synapse's
api/constants.py does): event types, content keys, memberships, join rules."""

from __future__ import annotations

from typing import Final


class EventType:
    MESSAGE: Final = "m.room.message"
    REACTION: Final = "m.reaction"
    REDACTION: Final = "m.room.redaction"
    CREATE: Final = "m.room.create"
    MEMBER: Final = "m.room.member"
    POWER_LEVELS: Final = "m.room.power_levels"
    JOIN_RULES: Final = "m.room.join_rules"
    HISTORY_VISIBILITY: Final = "m.room.history_visibility"
    GUEST_ACCESS: Final = "m.room.guest_access"
    ENCRYPTION: Final = "m.room.encryption"
    TOMBSTONE: Final = "m.room.tombstone"
    SERVER_ACL: Final = "m.room.server_acl"
    NAME: Final = "m.room.name"
    TOPIC: Final = "m.room.topic"
    AVATAR: Final = "m.room.avatar"
    CANONICAL_ALIAS: Final = "m.room.canonical_alias"
    SPACE_CHILD: Final = "m.space.child"
    SPACE_PARENT: Final = "m.space.parent"


class Poll:
    """Polls (MSC3381): Element Web and X send and show the unstable types; the
    stable ones are read too."""

    START: Final = "org.matrix.msc3381.poll.start"
    RESPONSE: Final = "org.matrix.msc3381.poll.response"
    END: Final = "org.matrix.msc3381.poll.end"
    STABLE_RESPONSE: Final = "m.poll.response"
    TEXT: Final = "org.matrix.msc1767.text"
    DISCLOSED: Final = "org.matrix.msc3381.poll.disclosed"
    REFERENCE: Final = "m.reference"


class Verification:
    """Interactive key verification in a room (Element's "Verify user")."""

    REQUEST: Final = "m.key.verification.request"  # a msgtype of m.room.message
    READY: Final = "m.key.verification.ready"
    START: Final = "m.key.verification.start"
    ACCEPT: Final = "m.key.verification.accept"
    KEY: Final = "m.key.verification.key"
    MAC: Final = "m.key.verification.mac"
    CANCEL: Final = "m.key.verification.cancel"
    DONE: Final = "m.key.verification.done"
    PREFIX: Final = "m.key.verification."


class Membership:
    JOIN: Final = "join"
    INVITE: Final = "invite"
    LEAVE: Final = "leave"
    KNOCK: Final = "knock"
    BAN: Final = "ban"


class JoinRule:
    PUBLIC: Final = "public"
    KNOCK: Final = "knock"
    INVITE: Final = "invite"
    RESTRICTED: Final = "restricted"


class MsgType:
    TEXT: Final = "m.text"
    NOTICE: Final = "m.notice"


# Content keys
RELATES_TO: Final = "m.relates_to"
IN_REPLY_TO: Final = "m.in_reply_to"
THREAD: Final = "m.thread"  # a relation's rel_type
MENTIONS: Final = "m.mentions"
ROOM_TYPE_SPACE: Final = "m.space"
RESTRICTED_BY_MEMBERSHIP: Final = "m.room_membership"
ANNOTATION: Final = "m.annotation"
REFERENCE: Final = "m.reference"
REPLACE: Final = "m.replace"
ENCRYPTION_ALGORITHM: Final = "m.megolm.v1.aes-sha2"
