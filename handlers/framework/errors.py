"""The two kinds of error: what the user may read, and everything else."""

from __future__ import annotations


class UserError(Exception):
    """A refusal whose text is shown to the user as the command's reply.

    Raise it before changing anything: a refused command changes nothing.
    """

    def __init__(self, message: str, kind: str = "refused") -> None:
        super().__init__(message)
        self.message = message
        # What the logs say: a short name, never the text (which may quote the person).
        self.kind = kind


class MatrixError(Exception):
    """The homeserver answered with an error (raised by the gateway)."""

    def __init__(
        self, status: int | None, errcode: str, message: str = "", retry_after: float | None = None
    ) -> None:
        super().__init__(f"{errcode} ({status}): {message}")
        self.status = status
        self.errcode = errcode
        self.retry_after = retry_after


class HomeserverUnavailable(Exception):
    """The homeserver could not be reached at all."""


class NotYet(Exception):
    """A step cannot be done yet (an invitation still on its way); try again later, or
    after `retry_after` seconds when the step knows when it will be due."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
