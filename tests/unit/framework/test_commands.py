"""Every command gets exactly one reply: an answer, a refusal or an apology."""

from __future__ import annotations

from dataclasses import replace

import pytest

from handlers.community.places import Context
from handlers.framework.dispatch import APOLOGY, CommandHandler
from handlers.framework.errors import HomeserverUnavailable
from handlers.framework.registry import CommandRegistry, Kind, Param
from handlers.framework.replies import Reply
from handlers.framework.types import EventId, UserId
from handlers.general.commands import GeneralCommands
from tests import catalogs
from tests.fakes import BOT, FakeGateway, message


def make(registry: CommandRegistry | None = None) -> tuple[CommandHandler, FakeGateway]:
    registry = registry or CommandRegistry()
    if not registry.find("ping"):
        registry.collect(GeneralCommands(registry))
    gateway = FakeGateway()
    return CommandHandler(registry, gateway), gateway


async def test_ping_gets_one_threaded_html_notice_with_mentions() -> None:
    handler, gateway = make()
    msg = message("!ping")
    await handler.on_message(msg)
    [reply] = gateway.replies_to(msg.event_id)
    assert reply["msgtype"] == "m.notice"
    assert "Pong" in reply["body"]
    assert reply["format"] == "org.matrix.custom.html"
    assert reply["m.mentions"] == {"user_ids": [msg.sender]}
    assert len(gateway.sent) == 1


async def test_handling_the_same_command_twice_sends_one_reply() -> None:
    handler, gateway = make()
    msg = message("!ping")
    await handler.on_message(msg)
    await handler.on_message(msg)
    assert len(gateway.sent) == 1


@pytest.mark.parametrize("body", ["hello", "", "! ping", "!", "ping!"])
async def test_ordinary_messages_get_no_reply(body: str) -> None:
    handler, gateway = make()
    await handler.on_message(message(body))
    assert gateway.sent == []


async def test_own_messages_are_ignored() -> None:
    handler, gateway = make()
    await handler.on_message(message("!ping", sender=BOT))
    assert gateway.sent == []


async def test_unknown_command_hints_at_help() -> None:
    handler, gateway = make()
    msg = message("!frobnicate now")
    await handler.on_message(msg)
    [reply] = gateway.replies_to(msg.event_id)
    assert "`!help`" in reply["body"]
    assert "<code>!help</code>" in reply["formatted_body"]


async def test_help_lists_every_registered_command() -> None:
    registry = CommandRegistry()

    @registry.command(
        "crew new",
        Param("name"),
        Param("invitees", Kind.USER, optional=True, repeated=True),
        summary=catalogs.also_one("Start a crew."),
    )
    async def crew_new(ctx: Context, name: str, invitees: list[UserId]) -> Reply:
        return Reply("ok")

    handler, gateway = make(registry)
    msg = message("!help")
    await handler.on_message(msg)
    [reply] = gateway.replies_to(msg.event_id)
    assert "!ping" in reply["body"]
    assert "!crew new <name> [@user…]" in reply["body"]
    assert "!help [command]" in reply["body"]


async def test_help_for_one_command_and_for_a_missing_one() -> None:
    handler, gateway = make()
    one, missing = message("!help ping"), message("!help nothing")
    await handler.on_message(one)
    await handler.on_message(missing)
    assert gateway.replies_to(one.event_id)[0]["body"].startswith("`!ping`")
    assert "There is no command `!nothing`" in gateway.replies_to(missing.event_id)[0]["body"]


async def test_a_crashing_command_gets_an_apology_without_its_exception_text() -> None:
    registry = CommandRegistry()

    @registry.command("boom", summary="Fails.")
    async def boom(ctx: Context) -> Reply:
        raise RuntimeError("secret internal detail")

    handler, gateway = make(registry)
    msg = message("!boom")
    await handler.on_message(msg)
    [reply] = gateway.replies_to(msg.event_id)
    assert reply["body"] == APOLOGY
    assert "secret" not in reply["body"]


async def test_reply_html_escapes_user_text() -> None:
    handler, gateway = make()
    msg = message("!<b>x</b>")
    await handler.on_message(msg)
    [reply] = gateway.replies_to(msg.event_id)
    assert "<b>" not in reply["formatted_body"]
    assert "&lt;b&gt;" in reply["formatted_body"]


async def test_homeserver_unavailable_propagates_so_the_batch_is_retried() -> None:
    handler, gateway = make()
    gateway.offline = True
    with pytest.raises(HomeserverUnavailable):
        await handler.on_message(message("!ping"))


async def test_a_command_in_a_thread_is_answered_in_that_thread() -> None:
    handler, gateway = make()
    msg = replace(message("!ping"), thread=EventId("$root"))
    await handler.on_message(msg)
    [reply] = gateway.replies_to(msg.event_id)
    assert reply["m.relates_to"]["rel_type"] == "m.thread"
    assert reply["m.relates_to"]["event_id"] == "$root"
