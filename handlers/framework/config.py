"""What the operator's settings say to the features: built once by the composition
root from the service's settings, so that no feature reads settings of its own.

Each feature declares the section it reads as a model of its own (one class per area,
as Synapse's config does), and gets it from the house (`house.settings(Model)`): the
model's fields, read by name from the settings and validated. The framework knows no
feature's settings; what every feature shares (limits, who may create and invite, the
default zone) stays here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel

from handlers.framework.limits import Limits
from handlers.framework.patterns import UserPatterns

NOBODY = UserPatterns(frozenset(), frozenset())
S = TypeVar("S", bound=BaseModel)


@dataclass(frozen=True)
class Config:
    # The operator's settings by name (the sections are read from them).
    values: Mapping[str, Any] = field(default_factory=dict)
    # Where a congregation has chosen no zone, the one its times are shown in.
    zone: str = "UTC"
    # Where a congregation has chosen no language, the one cohost speaks in its rooms.
    language: str = "en"
    limits: Limits = field(default_factory=Limits)
    creators: UserPatterns = NOBODY
    allowed_inviters: UserPatterns = NOBODY

    def section(self, model: type[S]) -> S:
        """A feature's section: its fields read from the settings (defaults where the
        settings say nothing)."""
        return model.model_validate(
            {k: self.values[k] for k in model.model_fields if k in self.values}
        )
