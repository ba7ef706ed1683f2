"""Which cohost this is: the version its package was installed as (from the release's
tag in version control, by setuptools-scm: one source)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as installed


def version() -> str:
    try:
        return installed("cohost")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "0+unknown"
