"""Turns a message into exactly one reply: the command's answer, a refusal, or an apology."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence

import structlog

from handlers.framework.errors import MatrixError, UserError
from handlers.framework.gateway import MatrixGateway
from handlers.framework.language import N_, _, speaking
from handlers.framework.matrix_names import EventType
from handlers.framework.memo import forgetting, remembering
from handlers.framework.pills import from_formatted, mentioned, with_mentioned_names
from handlers.framework.registry import (
    Command,
    CommandContext,
    CommandRegistry,
    UnknownCommand,
    looks_like_command,
)
from handlers.framework.replies import Reply, notice_content, reply_txn_id
from handlers.framework.speech import display_names, names_in
from handlers.framework.stand_in import AT_ONCE, StandIns, Turn
from handlers.framework.types import IncomingMessage, RoomId, UserId

log = structlog.get_logger(__name__)

APOLOGY = N_(
    "Sorry, something went wrong on my side. The hosts of this cohost can "
    "find the details in its log."
)


RoomFilter = Callable[[RoomId], Awaitable[bool]]


async def never(room_id: RoomId) -> bool:
    return False


Answers = Callable[[RoomId, UserId], Awaitable[Turn]]


async def always(room_id: RoomId, sender: UserId) -> Turn:
    return AT_ONCE


async def shared_with_people(gateway: MatrixGateway, room_id: RoomId) -> bool:
    """A room of more than cohost and one person: not a direct message, whether or not
    cohost keeps anything about it (unreadable counts as a direct message)."""
    try:
        return len(await gateway.joined_members(room_id)) > 2
    except MatrixError:
        return False


# Checks a command's declared preconditions (where, who) against Matrix state and
# finds what it acts for; raises UserError when they do not hold.
Preconditions = Callable[[Command, IncomingMessage], Awaitable[CommandContext]]


async def anywhere_only(command: Command, message: IncomingMessage) -> CommandContext:
    if command.where is not None or command.who is not None:
        raise UserError(_("`!{name}` cannot be checked here.", name=command.name))
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
        # Told of each command whose handling failed (the service counts them).
        self.failed: Callable[[str], None] = lambda name: None
        self._registry = registry
        self._gateway = gateway
        self._preconditions = preconditions
        self._released = released
        self._answers = answers
        self._stand_ins: StandIns | None = None

    def answer_only_when(self, answers: Answers, stand_ins: StandIns) -> None:
        """In rooms several cohosts share, one answers each command (see the network),
        and the others stand in when it does not."""
        self._answers = answers
        self._stand_ins = stand_ins

    async def on_message(self, message: IncomingMessage) -> None:
        if message.sender == self._gateway.user_id:
            return
        if message.notice:
            if self._stand_ins is not None:
                await self._stand_ins.answered(message)
            return
        if not looks_like_command(message.body):
            return
        started = time.perf_counter()
        # The checks before the command runs read where the room belongs once.
        with remembering():
            if await self._released(message.room_id):
                return  # cohost never acts again where it was released
            turn = await self._answers(message.room_id, message.sender)
            stand_ins = self._stand_ins
            at_once = turn.now and (
                stand_ins is None or not turn.shared or not stand_ins.late(message)
            )
            name, reply = await self._answer(message, at_once)
        if at_once:
            if reply is not None:
                await self._send(message, reply)
                self.timed(name or "unknown", time.perf_counter() - started)
                if reply.then is not None:
                    await reply.then()
            return
        # In a room several cohosts share: another answers; or this one was away, and
        # another may have answered meanwhile (handlers.framework.stand_in).
        if turn.now and reply is not None and reply.then is not None:
            await reply.then()  # a vote counted now: what follows from it too
        if stand_ins is None or (name is None and reply is None):
            return
        place = 0 if turn.now else None if turn.place is None else turn.place + 1
        if place is not None:
            await stand_ins.wait(message, place, None if reply is None else reply.text)

    async def forget(self, user: UserId) -> dict[str, int]:
        """`!forget me`: what the dispatcher keeps of the person (stand-ins' waits)."""
        return {} if self._stand_ins is None else await self._stand_ins.forget(user)

    async def answer_standing_in(self, message: IncomingMessage, worked_out: str | None) -> None:
        """Answer a command no cohost answered: with the reply worked out when it came
        (a vote every cohost counted then), or by running it now."""
        if worked_out is not None:
            await self._send(message, Reply(worked_out))
            return
        _name, reply = await self._answer(message, True)
        if reply is not None:
            await self._send(message, reply)
            if reply.then is not None:
                await reply.then()

    async def _send(self, message: IncomingMessage, reply: Reply) -> None:
        with speaking(reply.language):
            await self._gateway.send_event(
                message.room_id,
                EventType.MESSAGE,
                notice_content(
                    reply, message, await names_in(self._gateway, message.room_id, reply.text)
                ),
                reply_txn_id(message),
            )

    async def permitted(
        self, commands: Sequence[Command], message: IncomingMessage
    ) -> list[Command]:
        """The commands the sender of `message` may send where they sent it (their
        declared preconditions hold): what `!help` lists. One read of the room serves
        them all."""
        allowed = []
        with remembering():
            for command in commands:
                try:
                    await self._preconditions(command, message)
                except UserError:
                    continue
                allowed.append(command)
        return allowed

    async def _command_text(self, message: IncomingMessage) -> str:
        """The command with the people picked in Element's composer as their ids
        (handlers.framework.pills)."""
        formatted = from_formatted(message.content)
        if formatted is not None:
            return formatted
        named = {u for u in mentioned(message.content) if u not in message.body}
        named.discard(self._gateway.user_id)
        if not named:
            return message.body
        names = await display_names(self._gateway, message.room_id, named)
        return with_mentioned_names(message.body, names)

    async def _answer(
        self, message: IncomingMessage, answering: bool
    ) -> tuple[str | None, Reply | None]:
        name: str | None = None
        try:
            parsed = self._registry.parse(await self._command_text(message))
            if parsed is None:
                return None, None
            name = parsed.command.name
            log.info("command_received", command=name)
            if not answering and not parsed.command.every_cohost:
                return name, None  # a shared room: the cohost that answers acts
            ctx = await self._preconditions(parsed.command, message)
            with forgetting():  # the command may change what the checks read
                return name, await parsed.command.handler(ctx, **parsed.args)
        except UnknownCommand as unknown:
            shared = await shared_with_people(self._gateway, message.room_id)
            if unknown.suggestion is None and shared:
                log.info("command_unknown_ignored")  # another bot's, most likely
                return None, None
            log.info("command_refused", command=name, kind=unknown.kind)
            return name, Reply(unknown.message)
        except UserError as refusal:
            # The kind of refusal, never its text: it quotes what the person wrote.
            log.info("command_refused", command=name, kind=refusal.kind)
            return name, Reply(refusal.message)
        except Exception:
            log.exception("command_failed")
            self.failed(name or "unknown")
            return name, Reply(_(APOLOGY))
