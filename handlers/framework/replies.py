"""What cohost's messages look like on Matrix: a reply is an HTML m.notice threaded to
the command, a report an m.notice, and what asks people to act an m.text that mentions
exactly them (Element notifies an m.text mention, never an m.notice)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from handlers.framework.language import _
from handlers.framework.markdown import RoomLink, plain, to_html
from handlers.framework.matrix_names import IN_REPLY_TO, MENTIONS, RELATES_TO, THREAD, MsgType
from handlers.framework.types import IncomingMessage, UserId

Names = Mapping[str, str]
# Far below Matrix's 64 KiB event limit, HTML form and mentions included.
MAX_BODY = 8_000
MAX_MENTIONS = 50


@dataclass(frozen=True)
class Reply:
    """Markdown text (`code`, **bold**); the HTML form, with people as pills, is derived.
    `then` runs after the reply is sent (e.g. start an operation that may leave the room)."""

    text: str
    mentions: tuple[UserId, ...] = field(default=())
    # Rooms whose ids in the text are shown as links with their names.
    rooms: Mapping[str, RoomLink] = field(default_factory=dict, compare=False)
    then: Callable[[], Awaitable[None]] | None = field(default=None, compare=False)
    # The language it is written in, where that is not the one spoken in the room (the
    # answer to a change of language comes in the new one).
    language: str | None = field(default=None, compare=False)


def bounded(text: str) -> str:
    """A message body that fits in one event whatever lists it holds."""
    if len(text) <= MAX_BODY:
        return text
    return text[:MAX_BODY].rstrip() + _(
        "… ({count} more characters left out)", count=len(text) - MAX_BODY
    )


def mentions(users: set[UserId] | set[str], first: str | None = None) -> list[str]:
    """Whom a message mentions: never more than MAX_MENTIONS (the first one kept)."""
    ordered = sorted(u for u in users if u != first)
    return ([first] if first else []) + ordered[: MAX_MENTIONS - (1 if first else 0)]


def notice_content(reply: Reply, to: IncomingMessage, names: Names | None = None) -> dict[str, Any]:
    # A reply mentions the person it answers, as Element does for replies.
    text = bounded(reply.text)
    return {
        "msgtype": MsgType.NOTICE,
        "body": plain(text, reply.rooms),
        "format": "org.matrix.custom.html",
        "formatted_body": to_html(text, names, reply.rooms),
        RELATES_TO: _relation(to),
        MENTIONS: {"user_ids": sorted(mentions({to.sender, *reply.mentions}, to.sender))},
    }


def _relation(to: IncomingMessage) -> dict[str, Any]:
    """A reply to the command; in the thread the command was sent in, if any."""
    reply = {IN_REPLY_TO: {"event_id": to.event_id}}
    if to.thread is None:
        return reply
    return {"rel_type": THREAD, "event_id": to.thread, "is_falling_back": False, **reply}


def notice(
    text: str,
    to_mention: tuple[UserId, ...] = (),
    names: Names | None = None,
    rooms: Mapping[str, RoomLink] | None = None,
) -> dict[str, Any]:
    """A notice that answers no command (a report that something finished). Element
    never notifies it, whoever it mentions."""
    text = bounded(text)
    return {
        "msgtype": MsgType.NOTICE,
        "body": plain(text, rooms),
        "format": "org.matrix.custom.html",
        "formatted_body": to_html(text, names, rooms),
        MENTIONS: {"user_ids": sorted(mentions(set(to_mention)))},
    }


def ask(
    text: str,
    asked: tuple[UserId, ...],
    names: Names | None = None,
    rooms: Mapping[str, RoomLink] | None = None,
    *,
    room: bool = False,
) -> dict[str, Any]:
    """A message that asks people to act: an m.text whose intentional mentions name
    exactly those asked (or the whole room, where the group is the room), so that Element
    notifies and highlights it for them and for nobody else."""
    content = notice(text, asked, names, rooms)
    content["msgtype"] = MsgType.TEXT
    if room:
        content[MENTIONS] = {"room": True}
    return content


def reply_txn_id(to: IncomingMessage) -> str:
    """One transaction id per command: a resent reply is deduplicated by the homeserver."""
    return f"cohost-reply-{to.event_id}"
