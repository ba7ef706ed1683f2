"""cohost's words as Element shows them: a small Markdown (code, bold and italics, lists,
line breaks) rendered by markdown-it-py with raw HTML off, and every Matrix user id in
the text a pill: a matrix.to link whose text is the person's display name, escaped.

Links written in Markdown are not followed: people's quoted words pass through here,
and a link in them must not read as one cohost offers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

# A user id as it stands in running text: the server name's dots only between labels,
# so that a full stop after it stays outside.
USER_ID_IN_TEXT = re.compile(
    r"@[A-Za-z0-9._=\-/+]+:(?:[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?"
)
MATRIX_TO = "https://matrix.to/#/"
# A room the message names by its id, shown as a link: (its name, its address).
RoomLink = tuple[str, str]


def permalink(matrix_id: str) -> str:
    return MATRIX_TO + quote(matrix_id, safe="@:!$#")


def _pills(state: StateCore) -> None:
    """Split text tokens at user ids (and at the ids of the rooms the message links)
    into link_open / text / link_close."""
    names: Mapping[str, str] = state.env.get("names", {})
    rooms: Mapping[str, RoomLink] = state.env.get("rooms", {})
    pattern = USER_ID_IN_TEXT
    if rooms:
        known = "|".join(re.escape(r) for r in sorted(rooms, key=len, reverse=True))
        pattern = re.compile(f"{known}|{USER_ID_IN_TEXT.pattern}")
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        for token in block.children:
            if token.type != "text" or not pattern.search(token.content):
                children.append(token)
                continue
            at = 0
            for found in pattern.finditer(token.content):
                if found.start() > at:
                    children.append(_text(token.content[at : found.start()]))
                target = found.group(0)
                text, href = rooms.get(target) or (names.get(target) or target, permalink(target))
                opening = Token("link_open", "a", 1)
                opening.attrSet("href", href)
                children += [opening, _text(text), Token("link_close", "a", -1)]
                at = found.end()
            if at < len(token.content):
                children.append(_text(token.content[at:]))
        block.children = children


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


_MD = MarkdownIt("zero", {"html": False, "breaks": True, "linkify": False}).enable(
    ["emphasis", "backticks", "escape", "newline", "list", "entity"]
)
_MD.core.ruler.push("pills", _pills)


def to_html(
    text: str, names: Mapping[str, str] | None = None, rooms: Mapping[str, RoomLink] | None = None
) -> str:
    """The HTML form of a message; `names` gives display names for the pills, `rooms`
    the rooms whose ids in the text become links."""
    html = str(_MD.render(text, {"names": names or {}, "rooms": rooms or {}})).strip()
    # One paragraph needs no <p>: Element shows it as a plain message.
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return html


def users_named(text: str) -> set[str]:
    return set(USER_ID_IN_TEXT.findall(text))


def plain(text: str, rooms: Mapping[str, RoomLink] | None) -> str:
    """The body: the linked rooms' ids read as their names."""
    for room_id, (name, _) in (rooms or {}).items():
        text = text.replace(room_id, name)
    return text
