"""Parsing typed arguments from the declarations."""

from __future__ import annotations

import pytest

from handlers.community.places import Context
from handlers.framework.errors import UserError
from handlers.framework.registry import CommandRegistry, Kind, Param
from handlers.framework.replies import Reply
from tests import catalogs


async def _noop(ctx: Context, **args: object) -> Reply:
    return Reply("")


def registry() -> CommandRegistry:
    r = CommandRegistry()
    r.command(
        "crew new",
        Param("name"),
        Param("invitees", Kind.USER, optional=True, repeated=True),
        summary="s",
    )(_noop)
    r.command("crew info", Param("name", optional=True), summary="s")(_noop)
    r.command("crew", summary="s")(_noop)
    r.command("object", Param("n", Kind.INT), Param("reason", Kind.TEXT), summary="s")(_noop)
    return r


def test_longest_path_wins_and_arguments_are_typed() -> None:
    parsed = registry().parse('!crew new "Tuesday crew" @bob:example.org @carol:other.net:8448')
    assert parsed is not None
    assert parsed.command.name == "crew new"
    assert parsed.args == {
        "name": "Tuesday crew",
        "invitees": ["@bob:example.org", "@carol:other.net:8448"],
    }


def test_commands_are_case_insensitive_and_optional_args_default_to_none() -> None:
    parsed = registry().parse("!CREW Info")
    assert parsed is not None and parsed.args == {"name": None}


def test_text_parameter_keeps_the_rest_verbatim() -> None:
    parsed = registry().parse('!object 3   it would  harm "us"')
    assert parsed is not None
    assert parsed.args == {"n": 3, "reason": 'it would  harm "us"'}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("!crew new", "Missing `name`"),
        ("!crew new x bob", "not a Matrix user id"),
        ("!crew new x @bob", "not a Matrix user id"),
        ("!crew new x @bo b:example.org", "not a Matrix user id"),
        ('!crew new "unclosed', "quote is not closed"),
        ("!crew info a b", "Too many arguments"),
        ("!object three reasons", "whole number"),
        ("!object 3", "Missing `reason`"),
        ("!crew frob", "Too many arguments"),
        ("!nope", "I don't know `!nope`"),
    ],
)
def test_bad_input_is_a_clear_user_error(body: str, expected: str) -> None:
    with pytest.raises(UserError) as err:
        registry().parse(body)
    assert expected in catalogs.unmarked(err.value.message)


def test_a_command_name_registered_twice_is_a_programming_error() -> None:
    r = registry()
    with pytest.raises(ValueError):
        r.command("crew new", summary="again")(_noop)


def test_non_commands_parse_to_none() -> None:
    assert registry().parse("just chatting") is None
