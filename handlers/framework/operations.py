"""Persisted, resumable multi-step operations (create a crew: room, links, invites).

Each step's result is saved as soon as it is done, so an operation interrupted by a
crash resumes where it stopped and never repeats a finished step. Creating a room is
the one step Matrix cannot make idempotent; it is marked as started before the
request, and on resume the room is looked up by the operation marker it carries."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

import structlog
from pydantic import BaseModel, ValidationError

from handlers.framework import language
from handlers.framework.clock import Clock
from handlers.framework.errors import HomeserverUnavailable, MatrixError, NotYet
from handlers.framework.language import _
from handlers.framework.types import RoomId
from storage.operations import DONE, FAILED, PENDING, NewOperation, OperationStore

log = structlog.get_logger(__name__)

LANGUAGE = "language"  # in an operation's progress: the language it speaks

RETRY_DELAY = 2.0
P = TypeVar("P", bound=BaseModel)


class Run(Generic[P]):
    """One execution of an operation: its typed parameters and its recorded progress."""

    def __init__(
        self,
        op_id: str,
        kind: str,
        params: P,
        progress: dict[str, Any],
        save: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        self.id = op_id
        self.kind = kind
        self.params = params
        self.progress = dict(progress)
        self._save = save

    async def step(self, name: str, work: Callable[[], Awaitable[Any]]) -> Any:
        if name in self.progress:
            return self.progress[name]
        value = await work()
        self.progress[name] = True if value is None else value
        await self._save(self.progress)
        return self.progress[name]

    async def create_room(
        self,
        name: str,
        create: Callable[[], Awaitable[RoomId]],
        find: Callable[[], Awaitable[RoomId | None]],
    ) -> RoomId:
        """A step Matrix cannot make idempotent: marked as started before the request,
        and on resume `find` looks for the room the interrupted request made."""
        if name in self.progress:
            return RoomId(self.progress[name])
        started = f"{name}:started"
        if started in self.progress:
            found = await find()
            if found is not None:
                log.info("operation_room_recovered", operation=self.id, step=name)
                self.progress[name] = found
                await self._save(self.progress)
                return found
        self.progress[started] = True
        await self._save(self.progress)
        room_id = await create()
        self.progress[name] = room_id
        await self._save(self.progress)
        return room_id


@dataclass(frozen=True)
class Kind(Generic[P]):
    """A kind of operation: the model of its parameters (the contract between who
    starts it and who performs it), how it is performed, and how a failure is told."""

    params: type[P]
    perform: Callable[[Run[P]], Awaitable[None]]
    on_failure: Callable[[Run[P], str], Awaitable[None]]


class OperationRunner:
    """Runs operations one at a time, off the sync path, in the order they came."""

    def __init__(
        self,
        store: OperationStore,
        clock: Clock,
        retry_delay: float = RETRY_DELAY,
    ) -> None:
        self._store = store
        self._clock = clock
        self._kinds: dict[str, Kind[Any]] = {}
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self.retry_delay = retry_delay

    def register(
        self,
        kind: str,
        params: type[P],
        perform: Callable[[Run[P]], Awaitable[None]],
        on_failure: Callable[[Run[P], str], Awaitable[None]],
    ) -> None:
        self._kinds[kind] = Kind(params, perform, on_failure)

    async def start(self, op_id: str, kind: str, params: BaseModel) -> bool:
        """Persist and queue an operation; False when it already existed."""
        added = await self._store.add(self.new(op_id, kind, params), self._clock.now())
        if added:
            self.queue(op_id)
        return added

    async def start_now(self, op_id: str, kind: str, params: BaseModel) -> None:
        """Persist an operation and run it at once, here; if it must wait, it is
        retried from the queue like any other."""
        if await self._store.add(self.new(op_id, kind, params), self._clock.now()):
            await self.run_one(op_id)

    @staticmethod
    def new(op_id: str, kind: str, params: BaseModel) -> NewOperation:
        """An operation as it is persisted (with a unit of work that calls for it)."""
        return NewOperation(
            op_id, kind, params.model_dump(mode="json"), {LANGUAGE: language.current()}
        )

    def queue(self, op_id: str) -> None:
        """Run an operation persisted elsewhere (with the unit of work calling for it)."""
        self._queue.put_nowait(op_id)

    async def pending(self, kind: str, params: type[P]) -> list[P]:
        """The parameters of the operations of a kind still to do."""
        return [params.model_validate(op.params) for op in await self._store.pending_of_kind(kind)]

    async def resume_pending(self) -> int:
        pending = await self._store.pending()
        for op in pending:
            self._queue.put_nowait(op.id)
        if pending:
            log.info("operations_resumed", count=len(pending))
        return len(pending)

    async def run_forever(self) -> None:
        await self.resume_pending()
        while True:
            await self.run_one(await self._queue.get())

    async def run_queued(self) -> None:
        """Run what is queued now, once each (tests drive the runner this way)."""
        for _queued in range(self._queue.qsize()):
            await self.run_one(self._queue.get_nowait())

    async def run_one(self, op_id: str) -> None:
        op = await self._store.get(op_id)
        if op is None or op.status != PENDING:
            return
        kind = self._kinds[op.kind]
        try:
            params = kind.params.model_validate(op.params)
        except ValidationError:
            log.error("operation_unreadable", operation=op_id, kind=op.kind)
            await self._save(op_id, op.progress, FAILED)
            return
        run = Run(op.id, op.kind, params, op.progress, lambda p: self._save(op_id, p, PENDING))
        spoken = op.progress.get(LANGUAGE)
        with (
            structlog.contextvars.bound_contextvars(operation=op_id, kind=op.kind),
            language.speaking(spoken if isinstance(spoken, str) else None),
        ):
            try:
                await kind.perform(run)
            except (HomeserverUnavailable, NotYet) as err:
                due = err.retry_after if isinstance(err, NotYet) else None
                if due is None:
                    log.warning("operation_waiting", error=str(err))
                # Back in the queue after a while, without holding up other operations.
                asyncio.get_running_loop().call_later(
                    self.retry_delay if due is None else due, self._queue.put_nowait, op_id
                )
                return
            except Exception as err:
                log.exception("operation_failed")
                await self._save(op_id, run.progress, FAILED)
                reason = err.errcode if isinstance(err, MatrixError) else _("an internal error")
                try:
                    await kind.on_failure(run, reason)
                except Exception:
                    log.exception("operation_failure_report_failed")
                return
            await self._save(op_id, run.progress, DONE)
            log.info("operation_done")

    async def settle(self, op_id: str) -> bool:
        """Mark a pending operation done without running it (what it waited for came
        another way), forgetting its parameters; False when it was not pending."""
        return await self._store.settle(op_id, self._clock.now())

    async def prune(self, kind: str, older_than: timedelta) -> int:
        """Forget finished operations of a kind (a record kept only while useful)."""
        return await self._store.prune(kind, self._clock.now() - older_than)

    async def _save(self, op_id: str, progress: dict[str, Any], status: str) -> None:
        await self._store.save(op_id, progress, status, self._clock.now())
