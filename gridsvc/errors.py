"""The one error hierarchy of gridsvc.

Errors here know nothing about HTTP. Each class says what kind of problem it is; `api/errors.py`
alone maps the kinds to status codes. `message` is safe to show to the person who sent the
request (a field worker's app shows it as is), `hint` says how to fix it, `field` names the
input that was wrong, and `details` carries machine-readable context (never personal data).
"""

from __future__ import annotations

from typing import Any


class GridsvcError(Exception):
    """Base of every error gridsvc raises on purpose."""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        field: str | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.field = field
        self.details: dict[str, Any] = details

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description: error kind, message, hint, field and details."""
        body: dict[str, Any] = {"error": type(self).__name__, "message": self.message}
        if self.hint:
            body["hint"] = self.hint
        if self.field:
            body["field"] = self.field
        if self.details:
            body["details"] = self.details
        return body


# --- the caller sent something wrong (4xx) -------------------------------------------------


class InvalidInput(GridsvcError):
    """A value the caller sent is malformed or out of range."""


class InvalidCoordinate(InvalidInput):
    """A coordinate is not a finite number in range for its system."""


class UnknownCrs(InvalidInput):
    """A coordinate system name that gridsvc does not accept."""


class DateOutOfRange(InvalidInput):
    """A date or time outside the range gridsvc accepts (:mod:`gridsvc.dates`)."""


class UnknownLevel(InvalidInput):
    """A grid level name that is not one of city/district/sector/street/community/grid."""


class NotFound(GridsvcError):
    """The thing asked for does not exist."""


class Gone(GridsvcError):
    """The thing asked for existed but is withdrawn for good (a revoked or expired embed
    link)."""


class UnknownGrid(NotFound):
    """No grid unit has that code in the active grid version."""


class OutsideAllGrids(NotFound):
    """A point falls in no grid unit, even allowing the snapping tolerance."""


class Conflict(GridsvcError):
    """The request conflicts with the current state of stored data."""


class InvalidGridData(InvalidInput):
    """A grid file failed validation; `details["findings"]` lists every problem."""


# --- gridsvc or its environment cannot serve right now (5xx) --------------------------------


class DatabaseUnavailable(GridsvcError):
    """The database cannot be reached; the request may be retried later."""


class SetupError(GridsvcError):
    """The machine lacks something gridsvc needs (PostgreSQL, PostGIS, a writable folder)."""


class BackupFailed(GridsvcError):
    """pg_dump or pg_restore ran and failed; the message carries their last words."""


class NoActiveGridVersion(GridsvcError):
    """No grid version is loaded and active yet (run `gridsvc grids load-default`)."""


class UnknownCategory(InvalidInput):
    """An event category code that the taxonomy does not have."""


class DuplicateConflict(Conflict):
    """The same client_event_id from the same reporter was sent with different content."""


class PayloadTooLarge(InvalidInput):
    """A request body or uploaded file is larger than the configured limit."""


class UnsupportedMedia(InvalidInput):
    """An uploaded file is not an image of an accepted kind (judged by its content, not its
    name or declared type)."""


class Unauthenticated(GridsvcError):
    """No token, or a token that is unknown or revoked."""


class Forbidden(GridsvcError):
    """A valid token whose role or scope does not allow this."""


class TransitionNotAllowed(Conflict):
    """A workflow action that the event's current state does not allow;
    ``details["allowed"]`` lists the actions that are."""


class StaleVersion(Conflict):
    """The event changed since the caller read it (optimistic locking)."""


class QueryTimeout(GridsvcError):
    """A database statement ran past the statement timeout and was cancelled."""
