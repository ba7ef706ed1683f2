from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from service.admin.devserver import Homeserver
from tests.integration.cohost_process import CohostProcess
from tests.integration.matrix_user import User

_names = itertools.count()


def unique(prefix: str) -> str:
    return f"{prefix}{next(_names)}"


@pytest.fixture(scope="session")
def homeserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Homeserver]:
    hs = Homeserver(tmp_path_factory.mktemp("synapse"))
    hs.start()
    yield hs
    hs.stop()


@pytest.fixture
def cohost(homeserver: Homeserver, tmp_path: Path) -> Iterator[CohostProcess]:
    bot = CohostProcess(homeserver, unique("cohost"), tmp_path / "cohost")
    bot.start()
    yield bot
    bot.kill()


@pytest.fixture
async def alice(homeserver: Homeserver) -> AsyncIterator[User]:
    user = await User.create(homeserver, unique("alice"))
    yield user
    await user.close()


@pytest.fixture
async def alice_e2ee(homeserver: Homeserver, tmp_path: Path) -> AsyncIterator[User]:
    user = await User.create(homeserver, unique("alicex"), store=tmp_path / "alice-crypto")
    yield user
    await user.close()
