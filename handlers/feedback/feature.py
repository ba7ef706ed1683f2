"""How the feature is installed into the house (see handlers.community.house)."""

from __future__ import annotations

from handlers.community.house import House
from handlers.feedback.commands import FeedbackCommands
from handlers.feedback.engine import ASK, Asking, Feedback


def install(house: House) -> None:
    feedback = house.provide(
        Feedback(
            house.gateway, house.direct_rooms, house.stores.feedback, house.runner, house.clock
        )
    )
    house.runner.register(ASK, Asking, feedback.perform_ask, feedback.report_failure)
    house.registry.collect(FeedbackCommands(feedback, house.directory))
