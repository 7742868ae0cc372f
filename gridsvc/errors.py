"""The one error hierarchy of gridsvc.

Errors here know nothing about HTTP. Each class says what kind of problem it is; `api/errors.py`
alone maps the kinds to status codes. An error is raised with a message id of the catalogue
(:mod:`gridsvc.messages`) and the values of its placeholders::

    raise InvalidInput("event.not_found", event_id=7, field="id")

so that its words can be shown in the reader's language: ``text(lang)`` and ``to_dict(lang)``
(the API picks the language per request); ``message`` and ``hint`` are the English words (the
CLI and logs use them). The message is safe to show to the person who sent the request (a
field worker's app shows it as is), the hint says how to fix it, ``field`` names the input
that was wrong (a machine name: apps use it to mark the field), and ``details`` carries
machine-readable context (never personal data).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gridsvc.messages import Lang, Msg


class GridsvcError(Exception):
    """Base of every error gridsvc raises on purpose.

    ``message_id``: a catalogue id (or a :class:`Msg` taken from another error, to raise it
    as another kind); ``params``: its placeholders' values. ``field`` is also a placeholder
    (``{field:label}`` says the field the way a form does). ``hint``: another catalogue id
    (rendered with the same params) or a :class:`Msg`, instead of the entry's own hint.
    """

    def __init__(
        self,
        message_id: str | Msg,
        /,
        *,
        hint: str | Msg | None = None,
        field: str | None = None,
        details: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> None:
        if isinstance(message_id, Msg):
            if params:
                raise TypeError("params come with the Msg")
            msg = message_id
        else:
            msg = Msg(message_id, {"field": field, **params} if field else params)
        self.msg = msg
        self.hint_msg: Msg | None = (
            Msg(hint, msg.params) if isinstance(hint, str) else hint or msg.own_hint()
        )
        self.field = field
        self.details: dict[str, Any] = dict(details or {})
        super().__init__(self.message)

    @property
    def message_id(self) -> str:
        return self.msg.id

    @property
    def message(self) -> str:
        """The message in English."""
        return self.msg.render("en")

    @property
    def hint(self) -> str | None:
        """The hint in English, if there is one."""
        return self.hint_msg.render("en") if self.hint_msg is not None else None

    def text(self, lang: Lang) -> tuple[str, str | None]:
        """Message and hint in ``lang``."""
        hint = self.hint_msg.render(lang) if self.hint_msg is not None else None
        return self.msg.render(lang), hint

    def __reduce__(self) -> tuple[Any, ...]:
        # pickle and copy rebuild from the message, not from ``args`` (its English words)
        return (_restore, (type(self), self.msg, self.hint_msg, self.field, self.details))

    def to_dict(self, lang: Lang = "en") -> dict[str, Any]:
        """A JSON-ready description in ``lang``: error kind, message id, message, hint,
        field and details."""
        message, hint = self.text(lang)
        body: dict[str, Any] = {
            "error": type(self).__name__,
            "message_id": self.msg.id,
            "message": message,
        }
        if hint:
            body["hint"] = hint
        if self.field:
            body["field"] = self.field
        if self.details:
            body["details"] = self.details
        return body


def _restore(
    kind: type[GridsvcError],
    msg: Msg,
    hint: Msg | None,
    field: str | None,
    details: dict[str, Any],
) -> GridsvcError:
    return kind(msg, hint=hint, field=field, details=details)


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
