"""How the feature is installed into the house (see handlers.community.house)."""

from __future__ import annotations

from handlers.community.house import House
from handlers.decisions.adoption import Adoption
from handlers.decisions.agreements import AGREEMENT, Agreements, Windows
from handlers.decisions.commands import DecisionCommands
from handlers.decisions.engine import OUTCOME_NOTICE, SPEC, Decisions, rebuild_open_proposals
from handlers.decisions.reactions import Reactions
from handlers.decisions.reviews import Reviews, rebuild_reviews
from handlers.decisions.schema import OutcomeNotice
from handlers.framework.types import IncomingMessage, IncomingReaction, IncomingRedaction


def install(house: House) -> None:
    decisions = house.provide(
        Decisions(
            house.gateway,
            house.directory.shared,
            house.stores.decisions,
            house.stores.notices,
            house.runner,
            house.clock,
            house.config.limits,
            house.directory.zone_of,
            house.directory.language_of,
            house.directory.quorum_of,
        )
    )
    house.runner.register(
        OUTCOME_NOTICE, OutcomeNotice, decisions.outcome_notice, decisions.notice_failed
    )
    windows = house.settings(Windows)
    agreements = Agreements(decisions, house.directory, windows, house.config.limits)
    decisions.register_kind(AGREEMENT, agreements.kind())
    reviews = Reviews(decisions)
    house.registry.collect(DecisionCommands(decisions, agreements, reviews))
    reactions = Reactions(decisions)
    house.subscriptions.on(IncomingReaction, reactions.on_reaction)
    house.subscriptions.on(IncomingRedaction, reactions.on_redaction)
    # Proposals opened by the other cohosts of a shared room, also from before this
    # cohost was asked in: those still open are taken on.
    house.subscriptions.on(IncomingMessage, Adoption(decisions).adopt, history=True)
    house.passive(SPEC, notices=True, history=True)
    house.every_tick(decisions.tick)
    house.every_tick(reviews.tick)
    house.on_resync(rebuild_open_proposals, after_index=True)
    house.on_resync(rebuild_reviews, after_index=True)
