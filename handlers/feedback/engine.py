"""Asking crewmates (a persisted operation: a restart asks nobody twice) and passing
each answer on to the asker alone."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from pydantic import BaseModel

from handlers.community.direct import DirectRooms
from handlers.framework.clock import Clock
from handlers.framework.errors import UserError
from handlers.framework.gateway import MatrixGateway
from handlers.framework.language import N_, _
from handlers.framework.names import name_key
from handlers.framework.operations import OperationRunner, Run
from handlers.framework.speech import ask_to_act, tell
from handlers.framework.text import one_line, quoted
from handlers.framework.types import RoomId, UserId
from storage.models import Crew, FeedbackRequest
from storage.pathway import FeedbackStore

ASK = "feedback_ask"
QUESTION = N_("What skills do you think I should develop to be better equipped for this role?")
OPEN_FOR = timedelta(days=30)
ASK_AGAIN_AFTER = timedelta(days=7)
MAX_FEEDBACK = 2000


class Asking(BaseModel):
    """Asking each crewmate, in a direct room, for feedback (request: its id)."""

    request: str
    crew: str


class Feedback:
    def __init__(
        self,
        gateway: MatrixGateway,
        direct_rooms: DirectRooms,
        store: FeedbackStore,
        runner: OperationRunner,
        clock: Clock,
    ) -> None:
        self.gateway = gateway
        self.direct_rooms = direct_rooms
        self.store = store
        self.runner = runner
        self.clock = clock

    async def ask(self, crew: Crew, asker: UserId, crewmates: list[UserId], key: str) -> None:
        """Each crewmate asked in a DM; once a week per crew at most, so that asking
        never becomes a way to flood people's DMs."""
        if await self.store.get(key) is not None:
            return  # this very request, again
        if await self.store.asked_since(asker, crew.room_id, self.clock.now() - ASK_AGAIN_AFTER):
            raise UserError(
                _(
                    "You asked your crewmates in **{name}** less than {days} days ago; "
                    "their answers come to our direct room. Ask again after a week.",
                    name=crew.name,
                    days=ASK_AGAIN_AFTER.days,
                )
            )
        request = FeedbackRequest(
            id=key,
            asker=asker,
            crew_room=crew.room_id,
            crew_name_key=name_key(crew.name),
            asked=sorted(crewmates),
            answered=[],
            created_at=self.clock.now(),
        )
        if await self.store.add(request):
            asking = Asking(request=key, crew=crew.name)
            await self.runner.start(f"feedback-{key}", ASK, asking)

    async def perform_ask(self, run: Run[Asking]) -> None:
        request = await self.store.get(run.params.request)
        if request is None:
            return  # the asker had cohost forget it
        asker = UserId(request.asker)
        await self.direct_rooms.with_person(run, asker)  # where the answers will come
        crew = run.params.crew
        text = _(
            "{asker} asks you, as their crewmate in **{crew}**: “{question}”\nAnswer "
            'here with `!feedback give "{crew}" <your answer>`; it goes to them '
            "alone, marked as from you. To stay anonymous: `!feedback give "
            '"{crew}" anonymous <your answer>`.',
            asker=asker,
            crew=crew,
            question=_(QUESTION),
        )
        for mate in request.asked:
            person = UserId(mate)
            room = await self.direct_rooms.with_person(run, person)
            await run.step(
                f"ask:{mate}",
                partial(
                    ask_to_act,
                    self.gateway,
                    room,
                    text,
                    f"cohost-feedback-ask-{request.id}-{mate}",
                    (person,),
                ),
            )

    async def report_failure(self, run: Run[Asking], reason: str) -> None:
        return None  # the asker can ask again; nothing was half-said

    async def give(
        self,
        giver: UserId,
        crew_name: str,
        anonymous: bool,
        text: str,
        key: str,
        asker: UserId | None = None,
    ) -> UserId:
        """Pass an answer on to whoever asked (the one named, where several did); who
        that was."""
        said = one_line(text, MAX_FEEDBACK + 1)
        if not said:
            raise UserError(_("Say what you would tell them: `!feedback give <crew> <text>`."))
        if len(said) > MAX_FEEDBACK:
            raise UserError(_("Keep it to {limit} characters.", limit=MAX_FEEDBACK))
        since = self.clock.now() - OPEN_FOR
        waiting = await self.store.awaiting(giver, name_key(crew_name), since)
        if asker is not None:
            waiting = [r for r in waiting if r.asker == asker]
        if not waiting:
            raise UserError(
                _(
                    "Nobody in a crew called **{crew_name}** is waiting for your feedback "
                    "(or you have answered already).",
                    crew_name=crew_name,
                )
            )
        askers = sorted({r.asker for r in waiting})
        if len({(r.asker, r.crew_room) for r in waiting}) > 1:
            raise UserError(
                _(
                    "More than one crewmate in a crew called **{crew_name}** asked you: "
                    "{askers}. Name the one you answer first: `!feedback give "
                    '"{crew_name}" {first} <your answer>`.',
                    crew_name=crew_name,
                    askers=", ".join(askers),
                    first=askers[0],
                )
            )
        request = waiting[0]
        asker = UserId(request.asker)
        room = await self.direct_rooms.known(asker)
        if room is None:
            raise UserError(_("I can no longer reach the person who asked."))
        source = _("a crewmate who chose to stay anonymous") if anonymous else giver
        await tell(
            self.gateway,
            RoomId(room),
            _(
                "Feedback for you from {source}: {quoted}",
                source=source,
                quoted=quoted(said, MAX_FEEDBACK),
            ),
            f"cohost-feedback-{request.id}-{key}",
            (asker,),
        )
        await self.store.answered(request.id, giver)
        return asker
