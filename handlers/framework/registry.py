"""A declarative command registry: commands name their typed parameters and their
preconditions (where, who), and parsing, checking and `!help` are derived from those
declarations."""

from __future__ import annotations

import difflib
import re
import shlex
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from handlers.framework.arguments import ArgKind, Kind
from handlers.framework.errors import UserError
from handlers.framework.language import _
from handlers.framework.replies import Reply
from handlers.framework.types import IncomingMessage, RoomId, UserId

__all__ = ["CommandContext", "CommandRegistry", "Kind", "Param", "Requirement"]

PREFIX = "!"
# `!cohost <command>` always works, as Element users address bots by name.
BOT_WORD = "cohost"
# How close a mistyped command must be for "did you mean" (difflib's ratio).
SIMILAR = 0.75


class Requirement(Protocol):
    """A precondition a command declares (where it may be sent, who may send it): the
    community's places and roles (handlers.community.places), opaque here. None: no
    requirement. Its value is how `!help` names it."""

    @property
    def value(self) -> str: ...


@dataclass(frozen=True)
class Param:
    name: str
    kind: ArgKind = Kind.WORD
    optional: bool = False
    repeated: bool = False
    # A TEXT parameter introduced by a keyword ("intention: …") may follow other
    # parameters; everything after the keyword is its value.
    keyword: str | None = None
    # An option written first, as a flag and one word ("--for P3D").
    flag: str | None = None
    # A word that may be left out in the middle (`every [other] Tuesday`): where the
    # word there is not one of its kind, it is None and the next parameter reads it.
    skippable: bool = False

    def usage(self) -> str:
        if not self.kind.passed:
            return self.kind.label
        if self.flag:
            return f"[{self.flag} {self.kind.label}]"
        shown = self.kind.label if self.kind in (Kind.USER,) else self.name
        inner = f"{shown}…" if self.repeated else shown
        if self.keyword:
            inner = _("{keyword} <text>", keyword=self.keyword)
        return f"[{inner}]" if self.optional else f"<{inner}>"


@dataclass(frozen=True)
class CommandContext:
    """The message a command came in; the preconditions that checked it hand the
    handler a richer one (handlers.community.places.Context)."""

    message: IncomingMessage

    @property
    def sender(self) -> UserId:
        return self.message.sender

    @property
    def room_id(self) -> RoomId:
        return self.message.room_id


# Called as handler(ctx, **typed arguments by parameter name).
Handler = Callable[..., Awaitable[Reply]]


@dataclass(frozen=True)
class Command:
    path: tuple[str, ...]
    params: tuple[Param, ...]
    summary: str
    handler: Handler
    where: Requirement | None = None
    who: Requirement | None = None
    # How to write it, shown when its fixed words are wrong.
    example: str | None = None
    # Where several cohosts share a room, only the one that answers acts on a command,
    # unless every cohost must record it (a vote).
    every_cohost: bool = False

    @property
    def name(self) -> str:
        return " ".join(self.path)

    def usage(self) -> str:
        return " ".join([PREFIX + self.name, *(p.usage() for p in self.params)])

    def parse_args(self, tokens: Sequence[str], raw_rest: str) -> dict[str, Any]:
        args: dict[str, Any] = {}
        pos = 0
        for param in self.params:
            if param.keyword or param.flag:
                continue  # filled by split_keyword and split_flags
            if param.kind.rest_of_line:
                text = raw_rest_after(raw_rest, pos).strip()
                if not text and not param.optional:
                    raise self.missing(param)
                args[param.name] = self.convert(param, text) if text else None
                pos = len(tokens)
                continue
            if param.repeated:
                values = [self.convert(param, t) for t in tokens[pos:]]
                if not values and not param.optional:
                    raise self.missing(param)
                args[param.name] = values
                pos = len(tokens)
                continue
            if pos >= len(tokens):
                if not param.optional:
                    raise self.missing(param)
                args[param.name] = None
                continue
            if param.skippable:
                try:
                    args[param.name] = param.kind.convert(tokens[pos])
                except UserError:
                    args[param.name] = None
                    continue
                pos += 1
                continue
            value = self.convert(param, tokens[pos])
            if param.kind.passed:
                args[param.name] = value
            pos += 1
        if pos < len(tokens):
            raise UserError(
                _("Too many arguments. Usage: `{usage}`", usage=self.usage()), kind="bad_input"
            )
        return args

    def missing(self, param: Param) -> UserError:
        return UserError(
            _("Missing `{name}`. Usage: `{usage}`", name=param.name, usage=self.usage()),
            kind="bad_input",
        )

    def convert(self, param: Param, token: str) -> Any:
        try:
            return param.kind.convert(token)
        except UserError as err:
            if param.kind.passed:
                raise UserError(
                    _("{message} Usage: `{usage}`", message=err.message, usage=self.usage()),
                    kind="bad_input",
                ) from None
            # A fixed word: how the whole command is written says it best.
            shown = (
                _("Write it as `{example}`.", example=self.example) if self.example else err.message
            )
            raise UserError(shown, kind="bad_input") from None


# A word, or words in quotes ("Tuesday circle"), as the names before free text are written.
_WORD = re.compile(r'\s*("[^"]*"|“[^”]*”|\S+)')


def words_of(raw: str) -> list[str]:
    """The words of a command's arguments, a name in quotes being one word (quotes kept:
    names drop them); what follows is the raw text (`raw_rest_after`)."""
    return [found.group(1) for found in _WORD.finditer(raw)]


def raw_rest_after(raw: str, skip_tokens: int) -> str:
    """The raw text after `skip_tokens` words (keeps inner spacing)."""
    rest = raw
    for _skipped in range(skip_tokens):
        found = _WORD.match(rest)
        rest = rest[found.end() :] if found else ""
    return rest


@dataclass
class ParsedCommand:
    command: Command
    args: dict[str, Any]


@dataclass(frozen=True)
class Declared:
    """A command as declared on the method that handles it (see `command`)."""

    name: str
    params: tuple[Param, ...]
    summary: str
    where: Requirement | None
    who: Requirement | None
    example: str | None
    every_cohost: bool


DECLARED = "__cohost_command__"
F = TypeVar("F", bound=Callable[..., Any])


def command(
    name: str,
    *params: Param,
    summary: str,
    where: Requirement | None = None,
    who: Requirement | None = None,
    example: str | None = None,
    every_cohost: bool = False,
) -> Callable[[F], F]:
    """Declare the command a method handles, with its typed parameters, its `!help`
    line and where and by whom it may be sent (as maubot's `@command.new` does); the
    registry collects it from the object (`CommandRegistry.collect`)."""

    def declare(method: F) -> F:
        spec = Declared(name, params, summary, where, who, example, every_cohost)
        setattr(method, DECLARED, spec)
        return method

    return declare


@dataclass
class CommandRegistry:
    _commands: dict[tuple[str, ...], Command] = field(default_factory=dict)

    def command(
        self,
        name: str,
        *params: Param,
        summary: str,
        where: Requirement | None = None,
        who: Requirement | None = None,
        example: str | None = None,
        every_cohost: bool = False,
    ) -> Callable[[Handler], Handler]:
        path = tuple(name.split())

        def register(handler: Handler) -> Handler:
            if path in self._commands:
                raise ValueError(f"command {name!r} registered twice")
            self._commands[path] = Command(
                path, params, summary, handler, where, who, example, every_cohost
            )
            return handler

        return register

    def collect(self, handlers: object) -> None:
        """Register every command declared on the methods of `handlers`."""
        for attribute in dir(type(handlers)):
            spec = getattr(getattr(type(handlers), attribute), DECLARED, None)
            if isinstance(spec, Declared):
                self.command(
                    spec.name,
                    *spec.params,
                    summary=spec.summary,
                    where=spec.where,
                    who=spec.who,
                    example=spec.example,
                    every_cohost=spec.every_cohost,
                )(getattr(handlers, attribute))

    @property
    def commands(self) -> list[Command]:
        return sorted(self._commands.values(), key=lambda c: c.path)

    def find(self, name: str) -> list[Command]:
        """Commands whose name is `name` or starts with it (`crew` finds `crew new`…)."""
        path = tuple(name.lower().lstrip(PREFIX).split())
        return [c for c in self.commands if c.path[: len(path)] == path]

    def parse(self, body: str) -> ParsedCommand | None:
        """None when the message is not a command at all; UserError when it is a
        command that cannot be understood (UnknownCommand when it is none of cohost's)."""
        if not looks_like_command(body):
            return None
        line = body.strip()[len(PREFIX) :]
        words = line.split()
        if words[0].lower() == BOT_WORD:  # `!cohost crew new …`: cohost addressed by name
            line = raw_rest_after(line, 1).strip() or "help"
            words = line.split()
        # Longest registered path wins: `crew new x` before `crew`.
        for length in range(min(len(words), 3), 0, -1):
            path = tuple(w.lower() for w in words[:length])
            command = self._commands.get(path)
            if command is None:
                continue
            rest = raw_rest_after(line, length)
            rest, flag_args = split_flags(command, rest)
            rest, keyword_args = split_keyword(command, rest)
            tokens = tokenize(rest) if not _only_text(command) else words_of(rest)
            args = command.parse_args(tokens, rest)
            return ParsedCommand(command, {**args, **keyword_args, **flag_args})
        family = self.find(words[0])
        if family:
            listing = ", ".join(f"`{c.usage()}`" for c in family)
            raise UserError(
                _(
                    "I don't know that form of `!{words}`. Try one of: {listing}.",
                    words=words[0],
                    listing=listing,
                ),
                kind="bad_input",
            )
        raise UnknownCommand(words[0], self.closest(words[0]))

    def closest(self, word: str) -> str | None:
        """The command word nearest to a mistyped one, if any is close."""
        known = sorted({c.path[0] for c in self.commands})
        found = difflib.get_close_matches(word.lower(), known, n=1, cutoff=SIMILAR)
        return found[0] if found else None


class UnknownCommand(UserError):
    """A `!word` that is none of cohost's: in a room shared with people (and other
    bots) it is left alone unless it is close to one of cohost's."""

    def __init__(self, word: str, suggestion: str | None) -> None:
        hint = _(" Did you mean `!{suggestion}`?", suggestion=suggestion) if suggestion else ""
        super().__init__(
            _(
                "I don't know `!{word}`.{hint} Send `!help` to see what I can do.",
                word=word,
                hint=hint,
            ),
            "unknown_command",
        )
        self.suggestion = suggestion


def _only_text(command: Command) -> bool:
    return any(p.kind.rest_of_line and not p.keyword for p in command.params)


def split_flags(command: Command, rest: str) -> tuple[str, dict[str, Any]]:
    """Options at the start of the arguments, each a flag and one word."""
    values: dict[str, Any] = {p.name: None for p in command.params if p.flag}
    flags = {p.flag.lower(): p for p in command.params if p.flag}
    while True:
        found = re.match(r"\s*(--\S+)(?:\s+(\S+))?", rest)
        if found is None or found.group(1).lower() not in flags:
            return rest, values
        param = flags[found.group(1).lower()]
        if found.group(2) is None:
            raise command.missing(param)
        values[param.name] = command.convert(param, found.group(2))
        rest = rest[found.end() :]


def split_keyword(command: Command, rest: str) -> tuple[str, dict[str, Any]]:
    values: dict[str, Any] = {}
    for param in command.params:
        if not param.keyword:
            continue
        # A keyword that is a word ("for") is only that word, not the start of another.
        ending = r"(?=\s|$)" if param.keyword[-1].isalnum() else ""
        found = re.search(rf"(^|\s){re.escape(param.keyword)}{ending}", rest, re.IGNORECASE)
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
            _('A quote is not closed. Put names with spaces in "double quotes".'), kind="bad_input"
        ) from None


def looks_like_command(body: str) -> bool:
    """Whether a message is meant for cohost at all (`!` then a word)."""
    text = body.strip()
    return text.startswith(PREFIX) and len(text) > len(PREFIX) and not text[1].isspace()
