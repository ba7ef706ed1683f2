from collections.abc import Iterator

import pytest

from tests import catalogs
from tests.unit.world import world

__all__ = ["world"]

catalogs.check_in_tests()


@pytest.fixture(autouse=True)
def texts_from_the_catalogs() -> Iterator[None]:
    """Every unit test fails on a text it made cohost send outside the catalogs."""
    catalogs.PROBLEMS.clear()
    yield
    found, catalogs.PROBLEMS[:] = list(catalogs.PROBLEMS), []
    assert not found, "\n".join(dict.fromkeys(found))
