"""Every feature, in the order they are installed: a feature may use the engines of
those before it (decisions before the kinds of decision, rhythm and membership before
the crew commands that drive them, the network before its announcements)."""

from __future__ import annotations

from collections.abc import Callable

from handlers.announcements import feature as announcements
from handlers.calendar import feature as calendar
from handlers.community.house import House
from handlers.congregations import feature as congregations
from handlers.crews import feature as crews
from handlers.decisions import feature as decisions
from handlers.feedback import feature as feedback
from handlers.general import feature as general
from handlers.membership import feature as membership
from handlers.network import feature as network
from handlers.pathway import feature as pathway
from handlers.people import feature as people
from handlers.privacy import feature as privacy
from handlers.release import feature as release
from handlers.rhythm import feature as rhythm
from handlers.rounds import feature as rounds
from handlers.upgrades import feature as upgrades

FEATURES: tuple[Callable[[House], None], ...] = (
    general.install,
    decisions.install,
    membership.install,
    rhythm.install,
    congregations.install,
    network.install,
    crews.install,
    announcements.install,
    release.install,
    pathway.install,
    feedback.install,
    calendar.install,
    rounds.install,
    people.install,
    privacy.install,
    upgrades.install,
)
