"""The base of every kind of shared state (`cc.microsolidarity.*`): an event type and
its content as a typed model. Feature schemas derive from it; the one reader that
decides which events count is `handlers.community.facts.SharedFacts`."""

from __future__ import annotations

import re
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

# Proposal and cycle numbers: ASCII decimal, bounded (never "١" or "10⁹⁹").
NUMBER_KEY = re.compile(r"[0-9]{1,9}")


class Fact(BaseModel):
    """A kind of shared state: its event type, and its content as a typed model.
    Unknown fields are kept, so that rewriting a fact loses nothing a newer cohost
    added."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    TYPE: ClassVar[str]

    def content(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


F = TypeVar("F", bound=Fact)


def number_key(key: object) -> int | None:
    """A proposal's or cycle's number from its state key, strictly."""
    if isinstance(key, str) and NUMBER_KEY.fullmatch(key):
        return int(key)
    return None
