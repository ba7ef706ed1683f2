"""What a reply looks like on Matrix: an HTML m.notice, threaded as a reply, with m.mentions."""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from handlers.types import IncomingMessage, UserId

_CODE = re.compile(r"`([^`]+)`")
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


def notice_content(reply: Reply, to: IncomingMessage) -> dict[str, Any]:
    # A reply mentions the person it answers, as Element does for replies.
    mentioned = sorted({to.sender, *reply.mentions})
    return {
        "msgtype": "m.notice",
        "body": reply.text,
        "format": "org.matrix.custom.html",
        "formatted_body": to_html(reply.text),
        "m.relates_to": {"m.in_reply_to": {"event_id": to.event_id}},
        "m.mentions": {"user_ids": mentioned},
    }


def notice(text: str, mentions: tuple[UserId, ...] = ()) -> dict[str, Any]:
    """A notice that answers no command (a report that something finished)."""
    return {
        "msgtype": "m.notice",
        "body": text,
        "format": "org.matrix.custom.html",
        "formatted_body": to_html(text),
        "m.mentions": {"user_ids": sorted(set(mentions))},
    }


def reply_txn_id(to: IncomingMessage) -> str:
    """One transaction id per command: a resent reply is deduplicated by the homeserver."""
    return f"cohost-reply-{to.event_id}"
