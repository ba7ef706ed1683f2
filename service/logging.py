"""structlog set-up: console on a terminal, JSON otherwise (or as `log_format` says)."""

from __future__ import annotations

import logging
import sys
from typing import Literal

import structlog

# Keys whose values are never written, whatever a caller passes.
SECRET_KEYS = frozenset({"access_token", "password", "token", "body", "formatted_body"})


def _redact(
    logger: object, method: str, event: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    for key in SECRET_KEYS & event.keys():
        event[key] = "[redacted]"
    return event


Level = Literal["debug", "info", "warning", "error"]


def configure_logging(fmt: Literal["console", "json"] | None, level: Level = "info") -> None:
    if fmt is None:
        fmt = "console" if sys.stderr.isatty() else "json"
    renderer: structlog.typing.Processor = (
        structlog.dev.ConsoleRenderer() if fmt == "console" else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact,
            structlog.processors.StackInfoRenderer(),
            *([structlog.processors.format_exc_info] if fmt == "json" else []),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level.upper())),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
    # nio logs request paths (which may carry tokens) at debug/info: keep it to warnings.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    for noisy in ("nio", "peewee", "aiosqlite", "sqlalchemy"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def warn_of_unknown_variables() -> None:
    """A `COHOST_*` variable that names no setting is most likely a typo: said at
    start, by name only."""
    from service.settings import unknown_variables

    for name in unknown_variables():
        structlog.get_logger(__name__).warning("unknown_setting_variable", variable=name)
