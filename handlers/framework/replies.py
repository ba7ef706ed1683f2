"""What a reply looks like on Matrix: an HTML m.notice, threaded as a reply, with m.mentions."""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from handlers.framework.matrix_names import IN_REPLY_TO, MENTIONS, RELATES_TO, THREAD, MsgType
from handlers.framework.types import IncomingMessage, UserId

_CODE = re.compile(r"`([^`]+)`")
# Far below Matrix's 64 KiB event limit, HTML form and mentions included.
MAX_BODY = 8_000
MAX_MENTIONS = 50
_BOLD = re.compile(r"\*\*([^*]+)\*\*")


@dataclass(frozen=True)
class Reply:
    """Plain text with `code` and **bold** spans; the HTML form is derived from it.
    `then` runs after the reply is sent (e.g. start an operation that may leave the room)."""

    text: str
    mentions: tuple[UserId, ...] = field(default=())
    then: Callable[[], Awaitable[None]] | None = field(default=None, compare=False)


def to_html(text: str) -> str:
    escaped = html.escape(text, quote=False)
    with_code = _CODE.sub(lambda m: f"<code>{m.group(1)}</code>", escaped)
    with_bold = _BOLD.sub(lambda m: f"<strong>{m.group(1)}</strong>", with_code)
    return with_bold.replace("\n", "<br>")


def bounded(text: str) -> str:
    """A message body that fits in one event whatever lists it holds."""
    if len(text) <= MAX_BODY:
        return text
    return text[:MAX_BODY].rstrip() + f"… ({len(text) - MAX_BODY} more characters left out)"


def mentions(users: set[UserId] | set[str], first: str | None = None) -> list[str]:
    """Whom a message mentions: never more than MAX_MENTIONS (the first one kept)."""
    ordered = sorted(u for u in users if u != first)
    return ([first] if first else []) + ordered[: MAX_MENTIONS - (1 if first else 0)]


def notice_content(reply: Reply, to: IncomingMessage) -> dict[str, Any]:
    # A reply mentions the person it answers, as Element does for replies.
    text = bounded(reply.text)
    return {
        "msgtype": MsgType.NOTICE,
        "body": text,
        "format": "org.matrix.custom.html",
        "formatted_body": to_html(text),
        RELATES_TO: _relation(to),
        MENTIONS: {"user_ids": sorted(mentions({to.sender, *reply.mentions}, to.sender))},
    }


def _relation(to: IncomingMessage) -> dict[str, Any]:
    """A reply to the command; in the thread the command was sent in, if any."""
    reply = {IN_REPLY_TO: {"event_id": to.event_id}}
    if to.thread is None:
        return reply
    return {"rel_type": THREAD, "event_id": to.thread, "is_falling_back": False, **reply}


def notice(text: str, to_mention: tuple[UserId, ...] = ()) -> dict[str, Any]:
    """A notice that answers no command (a report that something finished)."""
    text = bounded(text)
    return {
        "msgtype": MsgType.NOTICE,
        "body": text,
        "format": "org.matrix.custom.html",
        "formatted_body": to_html(text),
        MENTIONS: {"user_ids": sorted(mentions(set(to_mention)))},
    }


def reply_txn_id(to: IncomingMessage) -> str:
    """One transaction id per command: a resent reply is deduplicated by the homeserver."""
    return f"cohost-reply-{to.event_id}"
