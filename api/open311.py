"""Open311 GeoReport v2 formats: categories as services, cases as service requests, errors,
and the XML rendering of the spec's Spark-convention JSON.

Statuses: every open case state is ``open``; closed, voided and rejected are ``closed``, with
``status_notes`` saying which (and the operator's note when there is one).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.responses import Response
from pydantic import BaseModel

from dispatch.states import TERMINAL, CaseState
from models import Case, Category

PREFIX = "/open311/v2"
Format = Literal["json", "xml"]
XML_TYPE = "text/xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"
_PLURALS = {"attributes": "attribute", "values": "value"}
STATUS_NOTES = {
    "reported": "Received; awaiting verification by the city management center.",
    "filed": "Accepted and filed.",
    "dispatched": "Dispatched to field staff.",
    "accepted": "Field staff accepted the task.",
    "en_route": "Field staff on the way.",
    "on_site": "Field staff on site.",
    "handled": "Handled; awaiting verification.",
    "verified": "Handling verified.",
    "closed": "Resolved and closed.",
    "voided": "Voided (duplicate or not actionable).",
    "rejected": "Not accepted as a case.",
    "returned": "Being reassigned to the responsible unit.",
    "reworked": "Handling is being redone.",
    "parked": "On hold.",
    "self_handled": "Handled on the spot by an inspector.",
}


class Open311Error(Exception):
    """An error in the spec's format: ``[{"code", "description"}]`` with an HTTP status."""

    def __init__(self, status: int, description: str, fmt: str = "json") -> None:
        super().__init__(description)
        self.status, self.description, self.fmt = status, description, fmt


class ServicePublic(BaseModel):
    """GET services: one service type."""

    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: Literal["realtime", "batch", "blackbox"]
    keywords: str
    group: str


class ServiceDefinitionPublic(BaseModel):
    """GET services/{code}: the attributes of a service (none for our categories)."""

    service_code: str
    attributes: list[dict[str, Any]]


class RequestCreatedPublic(BaseModel):
    """POST requests: the id of the new service request."""

    service_request_id: str
    service_notice: str | None
    account_id: str | None


class RequestPublic(BaseModel):
    """GET requests: one service request."""

    service_request_id: str
    status: Literal["open", "closed"]
    status_notes: str | None
    service_name: str | None
    service_code: str
    description: str | None
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str | None
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None


class ErrorItem(BaseModel):
    """One entry of an error response."""

    code: int
    description: str


def w3(instant: datetime | None) -> str | None:
    """W3C date-time in UTC (``2010-01-01T00:00:00Z``)."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if instant else None


def parse_w3(value: str, name: str) -> datetime:
    """Parse a W3C date-time that carries a zone; 400 otherwise."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(
            400, f"{name} must be a W3C date-time, e.g. 2010-01-01T00:00:00Z"
        ) from None
    if parsed.tzinfo is None:
        raise Open311Error(400, f"{name} must include a time zone (Z or +HH:MM)")
    return parsed.astimezone(UTC)


def service_of(category: Category) -> ServicePublic:
    """A category as an Open311 service."""
    keywords = ", ".join(
        k for k in (category.national_code, category.local_code, category.name_en) if k
    )
    return ServicePublic(
        service_code=category.code, service_name=category.name_zh, description=category.name_en,
        metadata=False, type="realtime", keywords=keywords, group=category.class_zh or "",
    )  # fmt: skip


def status_of(case: Case, note: str | None) -> tuple[Literal["open", "closed"], str]:
    """Open311 status and status notes of a case."""
    status: Literal["open", "closed"] = "closed" if CaseState(case.state) in TERMINAL else "open"
    notes = STATUS_NOTES.get(case.state, case.state)
    if case.merged_into_id is not None:
        notes = f"Duplicate of request {case.merged_into_id}."
    return status, f"{notes} {note}".strip() if note else notes


def request_of(
    case: Case, category: Category | None, agency: str | None, note: str | None
) -> RequestPublic:
    """A case as an Open311 service request."""
    status, notes = status_of(case, note)
    expected = case.handling_due_at or case.resolve_due_at
    return RequestPublic(
        service_request_id=str(case.id), status=status, status_notes=notes,
        service_name=category.name_zh if category else None, service_code=case.category_code,
        description=case.description or None, agency_responsible=agency, service_notice=None,
        requested_datetime=w3(case.reported_at) or "", updated_datetime=w3(case.updated_at) or "",
        expected_datetime=w3(expected), address=case.address, address_id=None, zipcode=None,
        lat=case.lat, long=case.lon, media_url=None,
    )  # fmt: skip


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _element(parent: ET.Element, tag: str, value: Any) -> None:
    node = ET.SubElement(parent, tag)
    if isinstance(value, dict):
        for key, item in value.items():
            _element(node, key, item)
    elif isinstance(value, list):
        for item in value:
            _element(node, _PLURALS.get(tag, "item"), item)
    else:
        node.text = _text(value)


def to_xml(root_tag: str, item_tag: str | None, body: Any) -> bytes:
    """The spec's XML: a root element holding one ``item_tag`` element per list item."""
    root = ET.Element(root_tag)
    if item_tag is None:
        for key, value in body.items():
            _element(root, key, value)
    else:
        for item in body:
            _element(root, item_tag, item)
    return (
        b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode").encode()
    )


def render(
    fmt: str, body: Any, root_tag: str, item_tag: str | None, status_code: int = 200
) -> Response:
    """A JSON or XML response (UTF-8, the spec's content types)."""
    if fmt == "xml":
        return Response(to_xml(root_tag, item_tag, body), status_code, media_type=XML_TYPE)
    text = json.dumps(body, ensure_ascii=False)
    return Response(text.encode(), status_code, media_type=JSON_TYPE)


def error_response(fmt: str, status: int, description: str) -> Response:
    """An error in the spec's format."""
    body = [{"code": status, "description": description}]
    return render("xml" if fmt == "xml" else "json", body, "errors", "error", status)


def format_of(path: str) -> str:
    """``xml`` when the path asks for XML, else ``json``."""
    return "xml" if path.endswith(".xml") else "json"


def install_open311_errors(app: FastAPI) -> None:
    """Map :class:`Open311Error` to the spec's error format."""

    @app.exception_handler(Open311Error)
    async def _open311(request: Request, exc: Open311Error) -> Response:
        return error_response(format_of(request.url.path), exc.status, exc.description)
