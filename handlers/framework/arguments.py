"""Kinds of command arguments: each turns a word of the command into a typed value or
refuses it with a clear error, so that handlers receive a weekday, a zone, a duration
or a user id, never the raw word."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import TypeAdapter, ValidationError

from handlers.framework import language
from handlers.framework.errors import UserError
from handlers.framework.language import _
from handlers.framework.names import clean_name
from handlers.framework.types import UserId

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
# A permissive form of the Matrix user id grammar: historical localparts are allowed,
# whitespace is not, and the server name may carry a port.
USER_ID = re.compile(
    r"^@[^\s:@]+:[A-Za-z0-9.\-]+(:\d{1,5})?$|^@[^\s:@]+:\[[0-9A-Fa-f:.]+\](:\d{1,5})?$"
)
MAX_USER_ID_LENGTH = 255
_DURATION = TypeAdapter(timedelta)


@dataclass(frozen=True)
class ArgKind:
    """How one kind of argument reads: `convert` raises UserError for a bad word."""

    label: str
    convert: Callable[[str], Any]
    rest_of_line: bool = False  # TEXT: everything after the words before it
    passed: bool = True  # False for fixed words ("meetings", "every"): checked, not passed


def parse_user(token: str) -> UserId:
    if len(token) > MAX_USER_ID_LENGTH or not USER_ID.match(token):
        raise UserError(
            _(
                "`{token}` is not a Matrix user id (like @alice:example.org). Pick the "
                "person from the suggestions as you type `@`, or write their id.",
                token=token,
            )
        )
    return UserId(token)


def parse_int(token: str) -> int:
    if not re.fullmatch(r"[+-]?[0-9]{1,9}", token):
        raise UserError(_("`{token}` is not a whole number.", token=token))
    return int(token)


def parse_weekday(word: str) -> int:
    """Monday = 0; any unambiguous prefix of three letters or more."""
    key = word.lower()
    for i, name in enumerate(WEEKDAYS):
        if len(key) >= 3 and name.startswith(key):
            return i
    raise UserError(_("`{word}` is not a weekday; try Monday … Sunday.", word=word))


def parse_time(word: str) -> time:
    found = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", word)
    if found is None:
        raise UserError(
            _("`{word}` is not a time of day; write it as HH:MM, e.g. 19:00.", word=word)
        )
    return time(int(found.group(1)), int(found.group(2)))


@cache
def known_zones() -> frozenset[str]:
    """The IANA zone names this machine has (tzdata's where the system has none)."""
    return frozenset(available_timezones())


def parse_zone(name: str) -> ZoneInfo:
    """Only a known zone's name is looked up: a person's word never becomes a path
    (a directory such as `Europe`, or an overlong name, is refused like any unknown)."""
    if name in known_zones():
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    shown = name if len(name) <= 64 else name[:63] + "…"
    raise UserError(
        _(
            "`{shown}` is not a time zone I know; use an IANA name like Europe/Berlin or UTC.",
            shown=shown,
        )
    )


def parse_language(word: str) -> str:
    """One of the languages cohost speaks, by its code (`de`) or its own name."""
    for code, name in language.LANGUAGES.items():
        if word.lower() in (code, name.lower()):
            return code
    if language.known(word.lower()):
        return word.lower()
    choices = ", ".join(f"`{code}` ({name})" for code, name in language.LANGUAGES.items())
    raise UserError(
        _("I do not speak `{word}`; choose one of {choices}.", word=word[:16], choices=choices)
    )


OFTEN = ("other", "first", "second", "third", "fourth", "last")


def parse_often(word: str) -> str:
    if word.lower() not in OFTEN:
        raise UserError(_("`{word}` is not other, first … fourth or last.", word=word[:16]))
    return word.lower()


def parse_duration(word: str) -> timedelta:
    """An ISO 8601 duration (P3D, PT12H, P1W), as pydantic reads it."""
    try:
        duration = _DURATION.validate_python(word.upper())
    except ValidationError:
        duration = None
    if not isinstance(duration, timedelta) or not word.upper().startswith("P"):
        raise UserError(
            _("`{word}` is not a duration; write it like P3D (three days) or PT12H.", word=word)
        )
    return duration


def _unquoted(text: str) -> str:
    """A whole name in quotes, as people write names with spaces: the quotes go."""
    stripped = text.strip()
    if len(stripped) >= 2 and stripped[0] == stripped[-1] and stripped[0] in "\"'“”":
        return stripped[1:-1]
    if len(stripped) >= 2 and stripped[0] == "“" and stripped[-1] == "”":
        return stripped[1:-1]
    return stripped


def _literal(words: tuple[str, ...], refusal: str | None) -> Callable[[str], str]:
    def convert(token: str) -> str:
        if token.lower() not in words:
            raise UserError(
                _(refusal)
                if refusal
                else _("Expected `{words}` here, not `{token}`.", words=words[0], token=token)
            )
        return token.lower()

    return convert


class Kind:
    WORD = ArgKind("word", str)
    USER = ArgKind("@user", parse_user)
    INT = ArgKind("n", parse_int)
    TEXT = ArgKind("text", str, rest_of_line=True)
    WEEKDAY = ArgKind("weekday", parse_weekday)
    TIME = ArgKind("HH:MM", parse_time)
    ZONE = ArgKind("zone", parse_zone)
    LANGUAGE = ArgKind("language", parse_language)
    # How often, before a weekday: every `other` week, or the `first` … `last` of a month.
    OFTEN = ArgKind("other|first|…|last", lambda w: parse_often(w))
    DURATION = ArgKind("duration", parse_duration)

    @staticmethod
    def name(what: str, *, rest_of_line: bool = False) -> ArgKind:
        """The name of a crew, congregation or network: one word or words in quotes, or
        the rest of the line."""
        return ArgKind("name", lambda raw: clean_name(_unquoted(raw), what), rest_of_line)

    @staticmethod
    def literal(*words: str, refusal: str | None = None) -> ArgKind:
        """A fixed word (any of `words`), checked and not passed to the handler."""
        return ArgKind(words[0], _literal(words, refusal), passed=False)
