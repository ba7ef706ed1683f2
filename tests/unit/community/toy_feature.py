"""A toy feature, installed from the test tree the way every feature is: through
`install(house)` alone. It brings a command, a kind of shared state, an operation
kind and the step that rebuilds its state in `cohost resync`; no other file knows it.

`!toy plant <word>` plants a word in the room: a persisted operation that waits a
minute (so that a test can restart cohost in the middle), then writes the word as a
shared fact of the room and says so."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from pydantic import BaseModel

from handlers.community.house import House
from handlers.community.places import Context
from handlers.community.rebuild import Rebuild
from handlers.framework.errors import NotYet
from handlers.framework.fact import Fact
from handlers.framework.language import N_, _
from handlers.framework.operations import Run
from handlers.framework.registry import Kind, Param, command
from handlers.framework.replies import Reply
from handlers.framework.speech import tell
from handlers.framework.types import RoomId, UserId
from tests import catalogs

PLANT = "toy_plant"
# Its texts, as a feature of its own would bring them in a catalog of its own.
PLANT_SUMMARY = "Plant a word in this room."
PLANTING = "Planting **{word}**; it grows in a minute."
GREW = "**{word}** grew."
catalogs.also(PLANT_SUMMARY, PLANTING, GREW)
GROWS_IN = timedelta(minutes=1)


class Planted(Fact):
    """A word planted in a room (state key: who planted it)."""

    TYPE = "cc.microsolidarity.toy"
    word: str


class Planting(BaseModel):
    """The operation's parameters: its contract, checked when it is read back."""

    room: RoomId
    by: UserId
    word: str
    at: datetime  # when it has grown


class Toys:
    def __init__(self, house: House) -> None:
        self.house = house
        self.rebuilt: dict[str, str] = {}  # what `cohost resync` found, by planter

    @command("toy plant", Param("word", Kind.WORD), summary=N_(PLANT_SUMMARY))
    async def plant(self, ctx: Context, word: str) -> Reply:
        ready = self.house.clock.now() + GROWS_IN
        params = Planting(room=ctx.room_id, by=ctx.sender, word=word, at=ready)
        await self.house.runner.start(f"toy-{ctx.message.event_id}", PLANT, params)
        return Reply(_(PLANTING, word=word))

    async def grow(self, run: Run[Planting]) -> None:
        if self.house.clock.now() < run.params.at:
            raise NotYet("not grown yet")
        room, word = run.params.room, run.params.word
        fact = Planted(word=word)
        shared = self.house.directory.shared
        await run.step("fact", partial(shared.write, room, fact, run.params.by))
        await run.step(
            "said", partial(tell, self.house.gateway, room, _(GREW, word=word), f"toy-{run.id}")
        )

    async def failed(self, run: Run[Planting], reason: str) -> None:
        return None

    async def rebuild(self, rebuild: Rebuild) -> None:
        for room in rebuild.rooms:
            for planter, fact in (await rebuild.facts.all(room, Planted)).items():
                self.rebuilt[planter] = fact.word
                rebuild.counts["toys"] += 1


def install(house: House) -> None:
    toys = house.provide(Toys(house))
    house.registry.collect(toys)  # its commands, declared on the methods
    house.runner.register(PLANT, Planting, toys.grow, toys.failed)
    house.on_resync(toys.rebuild, after_index=True)
