"""The catalogs: the template in step with the code, every language in step with the
template, translations true to the English placeholders, and complete but for the
gaps the README names. (Every text a unit test makes cohost send is checked against
the catalogs by the fake homeserver: tests/catalogs.py.)"""

from __future__ import annotations

import re
from pathlib import Path
from string import Formatter

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from handlers.framework import language
from handlers.framework.language import _, _n, speaking
from tests import catalogs

TRANSLATED = [code for code in language.LANGUAGES if code != language.SOURCE]
README = Path(__file__).resolve().parents[3] / "README.md"


def catalog(code: str) -> Catalog:
    with (language.LOCALE_DIR / code / "LC_MESSAGES" / f"{language.DOMAIN}.po").open("rb") as po:
        return read_po(po, locale=code)


def ids(messages: Catalog) -> set[str | tuple[str, ...]]:
    return {m.id for m in messages if m.id}


def fields(text: str) -> set[str]:
    """The names of a message's placeholders (a format spec may differ by language)."""
    return {field for _, field, _, _ in Formatter().parse(text) if field is not None}


def mismatches(messages: Catalog) -> list[str]:
    """Translations whose placeholders are not the English ones: a missing one loses
    what it says, an unknown one fails when the message is sent."""
    found = []
    for m in messages:
        if not m.id or not m.string:
            continue
        if isinstance(m.id, tuple):
            singular, plural = m.id
            for form in m.string:
                if form and not (
                    fields(singular) - {"count"}
                    <= fields(form)
                    <= fields(singular) | fields(plural)
                ):
                    found.append(f"{plural!r}: {form!r}")
        elif fields(m.string) != fields(m.id):
            found.append(f"{m.id!r}: {m.string!r}")
    return found


def known_gaps(code: str) -> set[str]:
    """The README's list of messages not yet translated: `- de: <the English>`."""
    section = README.read_text().split("### Known gaps in the translations", 1)[-1]
    section = section.split("\n#", 1)[0]
    return set(re.findall(rf"^- {code}: (.+)$", section, re.MULTILINE))


def test_the_template_holds_exactly_the_messages_of_the_code() -> None:
    with catalogs.TEMPLATE.open("rb") as pot:
        template = ids(read_po(pot))
    assert ids(catalogs.extracted()) == template, "run `make messages`"


@pytest.mark.parametrize("code", TRANSLATED)
def test_each_language_holds_the_messages_of_the_template(code: str) -> None:
    with catalogs.TEMPLATE.open("rb") as pot:
        template = ids(read_po(pot))
    assert ids(catalog(code)) == template, "run `make messages`"


@pytest.mark.parametrize("code", TRANSLATED)
def test_translations_keep_the_placeholders_of_the_english(code: str) -> None:
    assert mismatches(catalog(code)) == []


def test_a_translation_that_drops_or_invents_a_placeholder_is_found() -> None:
    wrong = Catalog(locale="de")
    wrong.add("Proposal #{number} is open.", "Vorschlag ist offen.")
    wrong.add("Hosts: {hosts}", "Hosts: {gastgeber}")
    wrong.add(("{count} room", "{count} rooms"), ("ein Raum", "{count} Räume {extra}"))
    wrong.add("Fine: {name}", "Gut: {name}")
    assert len(mismatches(wrong)) == 3


@pytest.mark.parametrize("code", TRANSLATED)
def test_untranslated_messages_are_the_known_gaps_the_readme_lists(code: str) -> None:
    untranslated = {
        m.id if isinstance(m.id, str) else m.id[0]
        for m in catalog(code)
        if m.id and (m.fuzzy or not m.string or (isinstance(m.string, tuple) and not all(m.string)))
    }
    assert untranslated == known_gaps(code)


def test_the_compiled_catalogs_speak_with_their_plural_rules() -> None:
    with speaking("de"):
        assert _("Pong! cohost is here.") == "Pong! cohost ist da."
        assert language.current() == "de"
        with speaking("es"):
            assert _("Pong! cohost is here.") == "¡Pong! cohost está aquí."
        one = _n(
            "the {count} person of this room when it opened",
            "the {count} people of this room when it opened",
            1,
        )
        many = _n(
            "the {count} person of this room when it opened",
            "the {count} people of this room when it opened",
            12,
        )
    assert (one, many) == (
        "die 1 Person dieses Raums bei der Eröffnung",
        "die 12 Menschen dieses Raums bei der Eröffnung",
    )
    with speaking("klingon"):  # not a language cohost speaks: the one spoken now holds
        assert language.current() == catalogs.CHECKING
