"""A declarative command registry: commands name their typed parameters, and both
parsing and `!help` are derived from those declarations."""

from __future__ import annotations

import re
import shlex
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from handlers.framework.errors import UserError
from handlers.framework.replies import Reply
from handlers.framework.types import IncomingMessage, UserId

PREFIX = "!"
# A permissive form of the Matrix user id grammar: historical localparts are allowed,
# whitespace is not, and the server name may carry a port.
_USER_ID = re.compile(
    r"^@[^\s:@]+:[A-Za-z0-9.\-]+(:\d{1,5})?$|^@[^\s:@]+:\[[0-9A-Fa-f:.]+\](:\d{1,5})?$"
)
MAX_USER_ID_LENGTH = 255


class Kind(Enum):
    WORD = "word"
    USER = "user"
    INT = "int"
    TEXT = "text"  # the rest of the line, verbatim


@dataclass(frozen=True)
class Param:
    name: str
    kind: Kind = Kind.WORD
    optional: bool = False
    repeated: bool = False
    # A TEXT parameter introduced by a keyword ("intention: …") may follow other
    # parameters; everything after the keyword is its value.
    keyword: str | None = None

    def usage(self) -> str:
        shown = "@user" if self.kind is Kind.USER else self.name
        inner = f"{shown}…" if self.repeated else shown
        if self.keyword:
            inner = f"{self.keyword} <text>"
        return f"[{inner}]" if self.optional else f"<{inner}>"


@dataclass(frozen=True)
class CommandContext:
    message: IncomingMessage

    @property
    def sender(self) -> UserId:
        return self.message.sender


Args = Mapping[str, Any]
Handler = Callable[[CommandContext, Args], Awaitable[Reply]]


@dataclass(frozen=True)
class Command:
    path: tuple[str, ...]
    params: tuple[Param, ...]
    summary: str
    handler: Handler

    @property
    def name(self) -> str:
        return " ".join(self.path)

    def usage(self) -> str:
        return " ".join([PREFIX + self.name, *(p.usage() for p in self.params)])

    def parse_args(self, tokens: Sequence[str], raw_rest: str) -> dict[str, Any]:
        args: dict[str, Any] = {}
        pos = 0
        for param in self.params:
            if param.keyword:
                continue  # filled by split_keyword
            if param.kind is Kind.TEXT:
                text = raw_rest_after(raw_rest, pos).strip()
                if not text and not param.optional:
                    raise UserError(
                        f"Missing {param.name}. Usage: {self.usage()}", kind="bad_input"
                    )
                args[param.name] = text or None
                pos = len(tokens)
                continue
            if param.repeated:
                values = [convert(param, t, self) for t in tokens[pos:]]
                if not values and not param.optional:
                    raise UserError(
                        f"Missing {param.name}. Usage: {self.usage()}", kind="bad_input"
                    )
                args[param.name] = values
                pos = len(tokens)
                continue
            if pos >= len(tokens):
                if not param.optional:
                    raise UserError(
                        f"Missing {param.name}. Usage: {self.usage()}", kind="bad_input"
                    )
                args[param.name] = None
                continue
            args[param.name] = convert(param, tokens[pos], self)
            pos += 1
        if pos < len(tokens):
            raise UserError(f"Too many arguments. Usage: {self.usage()}", kind="bad_input")
        return args


def raw_rest_after(raw: str, skip_tokens: int) -> str:
    """The raw text after `skip_tokens` whitespace-separated words (keeps inner spacing)."""
    rest = raw
    for _ in range(skip_tokens):
        rest = rest.lstrip()
        cut = re.search(r"\s", rest)
        rest = rest[cut.start() :] if cut else ""
    return rest


def convert(param: Param, token: str, command: Command) -> Any:
    if param.kind is Kind.USER:
        if len(token) > MAX_USER_ID_LENGTH or not _USER_ID.match(token):
            raise UserError(
                f"`{token}` is not a Matrix user id (like @alice:example.org). "
                f"Usage: {command.usage()}",
                kind="bad_input",
            )
        return UserId(token)
    if param.kind is Kind.INT:
        try:
            return int(token)
        except ValueError:
            raise UserError(
                f"{param.name} must be a whole number, not `{token}`.", kind="bad_input"
            ) from None
    return token


@dataclass
class ParsedCommand:
    command: Command
    args: dict[str, Any]


@dataclass
class CommandRegistry:
    _commands: dict[tuple[str, ...], Command] = field(default_factory=dict)

    def command(self, name: str, *params: Param, summary: str) -> Callable[[Handler], Handler]:
        path = tuple(name.split())

        def register(handler: Handler) -> Handler:
            if path in self._commands:
                raise ValueError(f"command {name!r} registered twice")
            self._commands[path] = Command(path, params, summary, handler)
            return handler

        return register

    @property
    def commands(self) -> list[Command]:
        return sorted(self._commands.values(), key=lambda c: c.path)

    def find(self, name: str) -> list[Command]:
        """Commands whose name is `name` or starts with it (`crew` finds `crew new`…)."""
        path = tuple(name.lower().lstrip(PREFIX).split())
        return [c for c in self.commands if c.path[: len(path)] == path]

    def parse(self, body: str) -> ParsedCommand | None:
        """None when the message is not a command at all; UserError when it is a
        command that cannot be understood."""
        if not looks_like_command(body):
            return None
        line = body.strip()[len(PREFIX) :]
        words = line.split()
        # Longest registered path wins: `crew new x` before `crew`.
        for length in range(min(len(words), 3), 0, -1):
            path = tuple(w.lower() for w in words[:length])
            command = self._commands.get(path)
            if command is None:
                continue
            rest = raw_rest_after(line, length)
            rest, keyword_args = split_keyword(command, rest)
            tokens = tokenize(rest) if not _only_text(command) else rest.split()
            return ParsedCommand(command, {**command.parse_args(tokens, rest), **keyword_args})
        family = self.find(words[0])
        if family:
            listing = ", ".join(f"`{c.usage()}`" for c in family)
            raise UserError(
                f"I don't know that form of `!{words[0]}`. Try one of: {listing}.", kind="bad_input"
            )
        raise UserError(
            f"I don't know `!{words[0]}`. Send `!help` to see what I can do.", kind="bad_input"
        )


def _only_text(command: Command) -> bool:
    return any(p.kind is Kind.TEXT and not p.keyword for p in command.params)


def split_keyword(command: Command, rest: str) -> tuple[str, dict[str, Any]]:
    values: dict[str, Any] = {}
    for param in command.params:
        if not param.keyword:
            continue
        found = re.search(rf"(^|\s){re.escape(param.keyword)}", rest, re.IGNORECASE)
        if found is None:
            values[param.name] = None
            continue
        values[param.name] = rest[found.end() :].strip() or None
        rest = rest[: found.start()]
    return rest, values


def tokenize(text: str) -> list[str]:
    """Split on whitespace; quotes group words ("Tuesday crew")."""
    try:
        return shlex.split(text)
    except ValueError:
        raise UserError(
            'A quote is not closed. Put names with spaces in "double quotes".', kind="bad_input"
        ) from None


def looks_like_command(body: str) -> bool:
    """Whether a message is meant for cohost at all (`!` then a word)."""
    text = body.strip()
    return text.startswith(PREFIX) and len(text) > len(PREFIX) and not text[1].isspace()
