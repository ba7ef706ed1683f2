"""Turns a message into exactly one reply: the command's answer, a refusal, or an apology."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import structlog

from handlers.framework.errors import UserError
from handlers.framework.gateway import MatrixGateway
from handlers.framework.matrix_names import EventType
from handlers.framework.registry import (
    Command,
    CommandContext,
    CommandRegistry,
    Where,
    Who,
    looks_like_command,
)
from handlers.framework.replies import Reply, notice_content, reply_txn_id
from handlers.framework.types import IncomingMessage, RoomId, UserId

log = structlog.get_logger(__name__)

APOLOGY = (
    "Sorry, something went wrong on my side. "
    "The hosts of this cohost can find the details in its log."
)


RoomFilter = Callable[[RoomId], Awaitable[bool]]


async def never(room_id: RoomId) -> bool:
    return False


Answers = Callable[[RoomId, UserId], Awaitable[bool]]


async def always(room_id: RoomId, sender: UserId) -> bool:
    return True


# Checks a command's declared preconditions (where, who) against Matrix state and
# finds what it acts for; raises UserError when they do not hold.
Preconditions = Callable[[Command, IncomingMessage], Awaitable[CommandContext]]


async def anywhere_only(command: Command, message: IncomingMessage) -> CommandContext:
    if command.where is not Where.ANYWHERE or command.who is not Who.ANYONE:
        raise UserError(f"`!{command.name}` cannot be checked here.")
    return CommandContext(message)


class CommandHandler:
    def __init__(
        self,
        registry: CommandRegistry,
        gateway: MatrixGateway,
        preconditions: Preconditions = anywhere_only,
        released: RoomFilter = never,
        answers: Answers = always,
    ) -> None:
        # Told how long each answered command took (the service's metrics).
        self.timed: Callable[[str, float], None] = lambda name, seconds: None
        self._registry = registry
        self._gateway = gateway
        self._preconditions = preconditions
        self._released = released
        self._answers = answers

    def answer_only_when(self, answers: Answers) -> None:
        """In rooms several cohosts share, one answers each command (see the network)."""
        self._answers = answers

    async def on_message(self, message: IncomingMessage) -> None:
        if (
            message.notice
            or message.sender == self._gateway.user_id
            or not looks_like_command(message.body)
        ):
            return
        if await self._released(message.room_id):
            return  # cohost never acts again where it was released
        started = time.perf_counter()
        answering = await self._answers(message.room_id, message.sender)
        name, reply = await self._answer(message, answering)
        if reply is None or not answering:
            return  # in rooms shared by several cohosts, another one answers
        await self._gateway.send_event(
            message.room_id,
            EventType.MESSAGE,
            notice_content(reply, message),
            reply_txn_id(message),
        )
        self.timed(name or "unknown", time.perf_counter() - started)
        if reply.then is not None:
            await reply.then()

    async def _answer(
        self, message: IncomingMessage, answering: bool
    ) -> tuple[str | None, Reply | None]:
        name: str | None = None
        try:
            parsed = self._registry.parse(message.body)
            if parsed is None:
                return None, None
            name = parsed.command.name
            log.info("command_received", command=name)
            if not answering and not parsed.command.every_cohost:
                return name, None  # a shared room: the cohost that answers acts
            ctx = await self._preconditions(parsed.command, message)
            return name, await parsed.command.handler(ctx, **parsed.args)
        except UserError as refusal:
            # The kind of refusal, never its text: it quotes what the person wrote.
            log.info("command_refused", command=name, kind=refusal.kind)
            return name, Reply(refusal.message)
        except Exception:
            log.exception("command_failed")
            return name, Reply(APOLOGY)
