"""How the feature is installed into the house (see handlers.community.house)."""

from __future__ import annotations

from handlers.community.house import House
from handlers.release.commands import ReleaseCommands
from handlers.release.engine import RELEASE_OP, Release, Releasing


def install(house: House) -> None:
    release = house.provide(Release(house.directory, house.runner, house.clock))
    house.runner.register(RELEASE_OP, Releasing, release.perform, release.report_failure)
    house.registry.collect(ReleaseCommands(release))
