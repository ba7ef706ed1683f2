"""A command as its sender meant it: people picked in Element's composer arrive as pills,
the display name in `body` and the id only in `formatted_body`'s link and in
`m.mentions`. The command is read with each pill as the id it links to; without links,
the display names of the mentioned people in `body` are read as their ids; a name two
mentioned people share is asked about, never guessed."""

from __future__ import annotations

from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote

from handlers.framework.arguments import MAX_USER_ID_LENGTH, USER_ID
from handlers.framework.errors import UserError
from handlers.framework.language import _
from handlers.framework.markdown import MATRIX_TO
from handlers.framework.matrix_names import MENTIONS

HTML_FORMAT = "org.matrix.custom.html"
MAX_FORMATTED = 20_000  # far above any command; a longer formatted body is not read


def linked_user(href: str) -> str | None:
    """The user a link points at: a matrix.to permalink or a `matrix:u/` URI."""
    if href.startswith(MATRIX_TO):
        target = unquote(href[len(MATRIX_TO) :].split("?", 1)[0])
    elif href.startswith("matrix:u/"):
        target = "@" + unquote(href[len("matrix:u/") :].split("?", 1)[0])
    else:
        return None
    if len(target) > MAX_USER_ID_LENGTH or not USER_ID.match(target):
        return None
    return target


class _CommandText(HTMLParser):
    """The text of a formatted body with user links read as ids and the reply fallback
    (`mx-reply`) left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.users: list[str] = []
        self._in_link: str | None = None
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "mx-reply":
            self._skipping += 1
        elif tag == "a" and not self._skipping:
            user = linked_user(dict(attrs).get("href") or "")
            if user is not None:
                self._in_link = user
                self.users.append(user)
                self.parts.append(user)
        elif tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "mx-reply":
            self._skipping = max(0, self._skipping - 1)
        elif tag == "a":
            self._in_link = None
        elif tag in ("p", "div", "li"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping and self._in_link is None:
            self.parts.append(data)


def from_formatted(content: Mapping[str, Any]) -> str | None:
    """The command with its pills as ids; None when the formatted body links nobody."""
    formatted = content.get("formatted_body")
    if content.get("format") != HTML_FORMAT or not isinstance(formatted, str):
        return None
    if len(formatted) > MAX_FORMATTED:
        return None
    reader = _CommandText()
    reader.feed(formatted)
    reader.close()
    if not reader.users:
        return None
    return "".join(reader.parts).strip()


def mentioned(content: Mapping[str, Any]) -> list[str]:
    found = content.get(MENTIONS)
    users = found.get("user_ids") if isinstance(found, dict) else None
    if not isinstance(users, list):
        return []
    return [u for u in users[:50] if isinstance(u, str) and USER_ID.match(u)]


def with_mentioned_names(body: str, names: Mapping[str, str]) -> str:
    """The body with the display names of mentioned people read as their ids; a name
    that two of them share gets a question."""
    by_name: dict[str, list[str]] = {}
    for user, name in names.items():
        by_name.setdefault(name, []).append(user)
    # Longer names first: "Erin Gardener" is not read as "Erin" and a rest.
    for name in sorted(by_name, key=len, reverse=True):
        if name not in body:
            continue
        users = sorted(by_name[name])
        if len(users) > 1:
            raise UserError(
                _(
                    "More than one person you mentioned is called “{name}”: {users}. Write "
                    "the id of the one you mean.",
                    name=name,
                    users=", ".join(users),
                ),
                kind="ambiguous_person",
            )
        body = body.replace(name, users[0])
    return body
