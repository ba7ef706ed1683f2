"""The languages cohost speaks (SPEC §4b): every text it sends is a message of the
gettext catalogs in `handlers/locale` (Babel extracts them; `make` compiles them), in
the language of the room it is meant for. Commands stay English words in every
language: they are what the help shows and what people share.

The language is the one being spoken *now*: `speaking(code)` sets it for the work of
one room (a command, a reminder, an operation), and `_`/`_n` read it. A context
variable keeps concurrent rooms apart: each room's work runs in its own task.

Messages are `str.format` templates with named placeholders, so that a translation can
put them in its own order: `_("Proposal #{number} is open.", number=3)`."""

from __future__ import annotations

import gettext
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

import structlog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

log = structlog.get_logger(__name__)

DOMAIN = "cohost"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
SOURCE = "en"
# The languages with a catalog; the first is the one messages are written in.
LANGUAGES: dict[str, str] = {"en": "English", "de": "Deutsch", "es": "Español"}

_speaking: ContextVar[str] = ContextVar("cohost_language")
_default = SOURCE  # spoken where no work set a language

Translation = gettext.NullTranslations
# A test may put a language of its own in place of the catalogs (see tests/unit).
_overrides: dict[str, Callable[[], Translation]] = {}


def known(code: str) -> bool:
    return code in LANGUAGES or code in _overrides


def current() -> str:
    """The language being spoken now."""
    return _speaking.get(_default)


def speak_by_default(code: str) -> None:
    """The language spoken where no work set one (tests speak one that checks)."""
    global _default
    _default = code


@contextmanager
def speaking(code: str | None) -> Iterator[None]:
    """Speak `code` within the block (None: keep the language spoken now)."""
    if code is None or not known(code):
        yield
        return
    token = _speaking.set(code)
    try:
        yield
    finally:
        _speaking.reset(token)


def _(message: str, /, **values: Any) -> str:
    """The message in the language spoken now, its placeholders filled."""
    return _translation(current()).gettext(message).format(**values)


def _n(singular: str, plural: str, count: int, /, **values: Any) -> str:
    """The form for `count` by the language's plural rules; `{count}` is filled too."""
    text = _translation(current()).ngettext(singular, plural, count)
    return text.format(count=count, **values)


def N_(message: str) -> str:
    """Marks a message for the catalogs where it is defined (a command's summary);
    it is translated with `_` where it is shown."""
    return message


def install(code: str, make: Callable[[], Translation]) -> None:
    """A language of the caller's in place of a catalog (tests check every text sent
    against the catalogs through one)."""
    _overrides[code] = make
    _translation.cache_clear()


@cache
def _translation(code: str) -> Translation:
    if code in _overrides:
        return _overrides[code]()
    if code == SOURCE:
        return gettext.NullTranslations()
    return load(code)


def load(code: str) -> Translation:
    """The compiled catalog of a language; compiled here from its .po when the build
    did not (a checkout run in place), so that a stale .mo never speaks."""
    po = LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo = po.with_suffix(".mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as compiled:
            return gettext.GNUTranslations(compiled)
    if not po.exists():
        log.warning("language_missing", language=code)
        return gettext.NullTranslations()
    log.info("language_compiled_in_memory", language=code)
    with po.open("rb") as source:
        catalog = read_po(source, locale=code)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)
