"""Errors the dispatch service raises; the API maps them to 4xx responses."""

from __future__ import annotations


class DispatchError(Exception):
    """Base class: ``code`` is stable for clients, the message is for people."""

    code = "dispatch_error"
    status = 400


class NotFound(DispatchError):
    """A referenced case, offer, staff member or category does not exist."""

    code, status = "not_found", 404


class Conflict(DispatchError):
    """The request is valid but the case has moved on (lost race, stale version, wrong state)."""

    code, status = "conflict", 409


class Forbidden(DispatchError):
    """The actor may not touch this case (e.g. another worker's case)."""

    code, status = "forbidden", 403


class ArrivalRefused(DispatchError):
    """Check-in refused: the worker is not close enough to the case."""

    code, status = "arrival_refused", 422
