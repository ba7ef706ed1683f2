"""Checks that every text cohost sends comes from the catalogs: a language of the
tests' own speaks each catalog message wrapped in invisible marks (and notes a message
the template does not hold); the fake homeserver reads every message sent, notes any
letters outside the marks (text assembled in code), and takes the marks out again so
that tests read plain text."""

from __future__ import annotations

import gettext
import html
import re
from functools import cache
from pathlib import Path
from string import Formatter
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from handlers.framework import language

CHECKING = "x-check"
OPEN, CLOSE = "\u2063", "\u2064"  # invisible separator, invisible plus
TEMPLATE = language.LOCALE_DIR / f"{language.DOMAIN}.pot"
# What the tests found: texts sent outside the catalogs, messages not in the template.
PROBLEMS: list[str] = []
# Messages of features the tests bring with them (a feature of its own would bring its
# own catalog).
ALSO: set[str] = set()
_WORD = re.compile(r"[^\W\d_]{2,}")


@cache
def catalog_ids(path: Path = TEMPLATE) -> frozenset[str]:
    with path.open("rb") as source:
        catalog = read_po(source)
    ids: set[str] = set()
    for message in catalog:
        ids.update([message.id] if isinstance(message.id, str) else message.id)
    ids.discard("")
    return frozenset(ids)


def also(*messages: str) -> None:
    ALSO.update(messages)


def also_one(message: str) -> str:
    also(message)
    return message


def _catalogued(*messages: str) -> None:
    for message in messages:
        if message not in catalog_ids() and message not in ALSO:
            PROBLEMS.append(f"not in the catalog template: {message!r}")


def marked(message: str) -> str:
    """The message with its own words marked, not what fills its placeholders: a word
    of cohost's own that fills one (a status, "tomorrow") must come from a catalog too."""
    parts = []
    for literal, field, spec, conversion in Formatter().parse(message):
        if literal:
            parts.append(OPEN + literal.replace("{", "{{").replace("}", "}}") + CLOSE)
        if field is not None:
            parts.append(
                "{"
                + field
                + (f"!{conversion}" if conversion else "")
                + (f":{spec}" if spec else "")
                + "}"
            )
    return "".join(parts)


class Checking(gettext.NullTranslations):
    def gettext(self, message: str) -> str:
        _catalogued(message)
        return marked(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        _catalogued(singular, plural)
        return marked(singular if n == 1 else plural)


def outside_marks(text: str) -> str:
    depth, kept = 0, []
    for ch in text:
        if ch == OPEN:
            depth += 1
        elif ch == CLOSE:
            depth = max(0, depth - 1)
        elif depth == 0:
            kept.append(ch)
    return "".join(kept)


def unmarked(value: Any) -> Any:
    """The value with the marks taken out (strings within dicts and lists too)."""
    if isinstance(value, str):
        return value.replace(OPEN, "").replace(CLOSE, "")
    if isinstance(value, dict):
        return {k: unmarked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unmarked(v) for v in value]
    return value


# What fills placeholders and is no word of cohost's own: code (commands stay English),
# links and pills, names (in bold), people's quoted words, ids; and what Babel formats
# from CLDR (weekdays, months, "in 2 days") with the zone's abbreviation.
_DATA = re.compile(
    r"<code>.*?</code>|<a [^>]*>.*?</a>|<strong>.*?</strong>|“[^”]*”"
    r"|[@!#$][^\s,;()<\u2063\u2064]+|https?://[^\s<\u2063\u2064]+|\b[A-Z]{2,5}\b|\bM_[A-Z_]+\b"
    r"|\b[A-Z][A-Za-z_]+/[A-Za-z_/+-]+"
    r"|\b(" + "|".join(language.LANGUAGES.values()) + r")\b"
    r"|\b(in|ago)\b|\b(second|minute|hour|day|week|month|year)s?\b"
    r"|\b(Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day\b"
    r"|\b(January|February|March|April|May|June|July|August|September|October|November"
    r"|December)\b",
    re.DOTALL,
)


# What the tests' people write that cohost passes on as theirs (an announcement).
PEOPLES_WORDS: set[str] = set()


def peoples_words(text: str) -> str:
    PEOPLES_WORDS.add(text)
    return text


def heard(event_type: str, content: dict[str, Any]) -> dict[str, Any]:
    """What the homeserver keeps of a message cohost sends: checked (its HTML form, as
    Element shows it) when the checking language was spoken, and without the marks."""
    shown = content.get("formatted_body", content.get("body"))
    if event_type.startswith("org.matrix.msc3381.poll."):  # a poll: its text fallback
        shown, event_type = content.get("org.matrix.msc1767.text"), "m.room.message"
    if event_type == "m.room.message" and isinstance(shown, str) and language.current() == CHECKING:
        # The data first (a span may hold marks of its own), then the marked words.
        for words in PEOPLES_WORDS:
            shown = shown.replace(words, " ")
        outside = html.unescape(re.sub(r"<[^>]+>", " ", outside_marks(_DATA.sub(" ", shown))))
        words = _WORD.findall(outside)
        if words:
            PROBLEMS.append(f"text outside the catalogs {words!r} in {unmarked(shown)!r}")
    return unmarked(content)


def check_in_tests() -> None:
    """Unit tests speak the checking language wherever no congregation chose one."""
    language.install(CHECKING, Checking)
    language.speak_by_default(CHECKING)


# -- extraction: what `make messages` writes, and what the tests compare ------------------
SOURCES = ("handlers", "service/crypto")
KEYWORDS = {"_": None, "_n": (1, 2), "N_": None}
ROOT = language.LOCALE_DIR.parent.parent


def extracted() -> Catalog:
    """The messages the code holds now, as Babel extracts them."""
    catalog = Catalog(project="cohost", copyright_holder="cohost")
    for source in SOURCES:
        found = extract_from_dir(
            ROOT / source,
            method_map=[("**.py", "python")],
            keywords=KEYWORDS,
            comment_tags=("Translators:",),
        )
        for _file, _line, message, comments, context in found:
            catalog.add(message, None, auto_comments=comments, context=context)
    return catalog


def write_template() -> None:
    with TEMPLATE.open("wb") as out:
        write_po(out, extracted(), no_location=True, sort_output=True)


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["extract"]:
        write_template()
