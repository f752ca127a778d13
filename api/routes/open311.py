"""Open311 GeoReport v2: services are our Open311-enabled categories; a posted request becomes
a case through the same intake as camera events (``source="citizen"``, filed after checking)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Header, Path, Query, Request, Response
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from api.auth import principal_for_api_key
from api.container import Container
from api.deps import ContainerDep, SessionDep
from api.open311 import (
    PREFIX,
    ErrorItem,
    Format,
    Open311Error,
    RequestCreatedPublic,
    RequestPublic,
    ServiceDefinitionPublic,
    ServicePublic,
    parse_w3,
    render,
    request_of,
    service_of,
)
from dispatch.actors import Actor
from dispatch.lifecycle import append_event
from dispatch.states import OPEN_STATES, TERMINAL
from models import Case, CaseEvent, Category, Unit
from scenes.events import GroundPoint, SceneEvent

router = APIRouter(prefix=PREFIX, tags=["open311"])
FmtPath = Annotated[Format, Path(description="Response format.")]
Jurisdiction = Annotated[str | None, Query(description="Optional: one jurisdiction served.")]
MAX_RESULTS = 1000
MAX_SPAN = timedelta(days=90)
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": list[ErrorItem], "content": {"text/xml": {"schema": {"type": "string"}}}}
    for code in (400, 403, 404)
}


def _doc(model: Any) -> dict[int | str, dict[str, Any]]:
    ok = {"model": model, "content": {"text/xml": {"schema": {"type": "string"}}}}
    return {200: ok, **_ERRORS}


def _check_jurisdiction(container: Container, jurisdiction_id: str | None) -> None:
    ours = container.settings.open311_jurisdiction_id
    if ours and jurisdiction_id and jurisdiction_id != ours:
        raise Open311Error(404, f"jurisdiction_id {jurisdiction_id!r} not found")


def _service(session: Session, code: str) -> Category:
    category = session.get(Category, code)
    if category is None or not category.open311:
        raise Open311Error(404, f"service_code {code!r} not found")
    return category


@router.get("/services.{fmt}", response_class=Response, responses=_doc(list[ServicePublic]))
def services(
    fmt: FmtPath, container: ContainerDep, session: SessionDep, jurisdiction_id: Jurisdiction = None
) -> Response:
    """GET Service List: the categories citizens may report."""
    _check_jurisdiction(container, jurisdiction_id)
    rows = session.scalars(
        select(Category).where(Category.open311.is_(True)).order_by(Category.code)
    )
    body = [service_of(c).model_dump() for c in rows]
    return render(fmt, body, "services", "service")


@router.get(
    "/services/{service_code}.{fmt}",
    response_class=Response,
    responses=_doc(ServiceDefinitionPublic),
)
def service_definition(
    service_code: Annotated[str, Path(max_length=32)],
    fmt: FmtPath,
    container: ContainerDep,
    session: SessionDep,
    jurisdiction_id: Jurisdiction = None,
) -> Response:
    """GET Service Definition: our services take no extra attributes."""
    _check_jurisdiction(container, jurisdiction_id)
    category = _service(session, service_code)
    body = ServiceDefinitionPublic(service_code=category.code, attributes=[]).model_dump()
    return render(fmt, body, "service_definition", None)


def _location(lat: str | None, long: str | None) -> GroundPoint | None:
    if not lat and not long:
        return None
    try:
        return GroundPoint(lat=float(lat or ""), lon=float(long or ""))
    except ValueError:
        raise Open311Error(400, "lat and long must both be given, in WGS84 degrees") from None


def _authorise(session: Session, container: Container, key: str | None) -> str:
    principal = principal_for_api_key(session, key, container.clock.now()) if key else None
    if principal is None or principal.role not in ("integrator", "admin"):
        raise Open311Error(403, "Invalid api_key received -- can't proceed with create_request.")
    session.commit()  # last_used_at
    return principal.subject


def _contact(form: dict[str, Any]) -> dict[str, Any]:
    keys = ("account_id", "device_id", "email", "first_name", "last_name", "phone",
            "media_url", "address_string", "address_id")  # fmt: skip
    contact = {k: form[k] for k in keys if form.get(k)}
    attributes = {k: v for k, v in form.items() if k.startswith("attribute[")}
    if attributes:
        contact["attributes"] = attributes
    return contact


async def _form(request: Request) -> dict[str, str]:
    """Every form field, including ``attribute[code]`` ones (parsed once, cached by Starlette)."""
    media = request.headers.get("content-type", "")
    if not media.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return {}
    return {k: str(v) for k, v in (await request.form()).items()}


@router.post("/requests.{fmt}", response_class=Response, responses=_doc(list[RequestCreatedPublic]))
def create_request(
    fmt: FmtPath,
    form: Annotated[dict[str, str], Depends(_form)],
    container: ContainerDep,
    service_code: Annotated[str | None, Form()] = None,
    api_key: Annotated[str | None, Form()] = None,
    jurisdiction_id: Annotated[str | None, Form()] = None,
    lat: Annotated[str | None, Form()] = None,
    long: Annotated[str | None, Form()] = None,
    address_string: Annotated[str | None, Form()] = None,
    address_id: Annotated[str | None, Form()] = None,
    description: Annotated[str | None, Form()] = None,
    x_api_key: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """POST Service Request (form-encoded): becomes a case, returned as its request id."""
    with container.sessions() as session:
        actor = _authorise(session, container, api_key or x_api_key)
        _check_jurisdiction(container, jurisdiction_id)
        if not service_code:
            raise Open311Error(400, "service_code is required")
        category = _service(session, service_code)
    point = _location(lat, long)
    if point is None and not (address_string or address_id):
        raise Open311Error(400, "a location is required: lat & long, address_string or address_id")
    if description and len(description) > 4000:
        raise Open311Error(400, "description is limited to 4000 characters")
    now = container.clock.now()
    event = SceneEvent(
        source="citizen", occurred_at=now, detected_at=now, rule_id="open311",
        category_code=category.code, location=point,
        description=(description or category.name_zh)[:2000],
    )  # fmt: skip
    result = container.dispatch.ingest(event)
    if result.case_id is None:
        raise Open311Error(400, f"the request was not accepted: {result.reason}")
    _record(container, result.case_id, address_string, actor, _contact(form))
    container.dispatch.notify_case(result.case_id, "open311_request")
    body = RequestCreatedPublic(
        service_request_id=str(result.case_id),
        service_notice=f"Received by the city management center ({result.outcome}).",
        account_id=form.get("account_id") or None,
    ).model_dump()
    return render(fmt, [body], "service_requests", "request")


def _record(
    container: Container, case_id: int, address: str | None, actor: str, contact: dict[str, Any]
) -> None:
    with container.sessions() as session:
        case = session.get(Case, case_id)
        if case is None:
            return
        if address and not case.address:
            case.address = address[:300]
        append_event(
            session, case=case, action="open311_request", before=case.state,
            actor=Actor("user", actor, "open311"), at=container.clock.now(), details=contact,
        )  # fmt: skip
        session.commit()


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _filtered(
    container: Container, ids: str | None, codes: str | None, start: str | None,
    end: str | None, status: str | None,
) -> Select[Case]:  # fmt: skip
    query = select(Case).where(Case.source == "citizen")
    if ids:
        try:
            wanted = [int(v) for v in _split(ids)][:MAX_RESULTS]
        except ValueError:
            raise Open311Error(400, "service_request_id must be comma-separated ids") from None
        return query.where(Case.id.in_(wanted))  # overrides every other argument
    if codes:
        query = query.where(Case.category_code.in_(_split(codes)))
    until = parse_w3(end, "end_date") if end else container.clock.now()
    since = parse_w3(start, "start_date") if start else until - MAX_SPAN
    if since > until or until - since > MAX_SPAN:
        raise Open311Error(400, "start_date..end_date must be ordered and span at most 90 days")
    query = query.where(Case.reported_at >= since, Case.reported_at <= until)
    statuses = set(_split(status))
    if statuses - {"open", "closed"}:
        raise Open311Error(400, "status must be open, closed or both")
    if statuses == {"open"}:
        query = query.where(Case.state.in_([s.value for s in OPEN_STATES]))
    elif statuses == {"closed"}:
        query = query.where(Case.state.in_([s.value for s in TERMINAL]))
    return query


def _requests(session: Session, query: Select[Case]) -> list[dict[str, Any]]:
    cases = session.scalars(query.order_by(Case.id.desc()).limit(MAX_RESULTS)).all()
    categories = {c.code: c for c in session.scalars(select(Category))}
    units = {u.id: u.name for u in session.scalars(select(Unit))}
    notes: dict[int, str] = {}
    closing = select(CaseEvent).where(
        CaseEvent.case_id.in_([c.id for c in cases if c.state in {s.value for s in TERMINAL}]),
        CaseEvent.action.in_(["close", "void", "reject"]),
    )
    for event in session.scalars(closing.order_by(CaseEvent.seq)):
        note = str((event.details or {}).get("note") or "")
        if note:
            notes[event.case_id] = note
    return [
        request_of(
            c, categories.get(c.category_code), units.get(c.unit_id or ""), notes.get(c.id)
        ).model_dump()
        for c in cases
    ]


@router.get("/requests.{fmt}", response_class=Response, responses=_doc(list[RequestPublic]))
def list_requests(
    fmt: FmtPath,
    container: ContainerDep,
    session: SessionDep,
    jurisdiction_id: Jurisdiction = None,
    service_request_id: Annotated[str | None, Query(max_length=8000)] = None,
    service_code: Annotated[str | None, Query(max_length=2000)] = None,
    start_date: Annotated[str | None, Query(max_length=40)] = None,
    end_date: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """GET Service Requests (citizen reports; the last 90 days unless dates are given)."""
    _check_jurisdiction(container, jurisdiction_id)
    query = _filtered(container, service_request_id, service_code, start_date, end_date, status)
    return render(fmt, _requests(session, query), "service_requests", "request")


@router.get(
    "/requests/{service_request_id}.{fmt}",
    response_class=Response,
    responses=_doc(list[RequestPublic]),
)
def get_request(
    service_request_id: Annotated[int, Path(ge=1, le=2_147_483_647)],
    fmt: FmtPath,
    container: ContainerDep,
    session: SessionDep,
    jurisdiction_id: Jurisdiction = None,
) -> Response:
    """GET Service Request: one request (as a list of one, per the spec)."""
    _check_jurisdiction(container, jurisdiction_id)
    query = select(Case).where(Case.source == "citizen", Case.id == service_request_id)
    found = _requests(session, query)
    if not found:
        raise Open311Error(404, f"service_request_id {service_request_id} not found")
    return render(fmt, found, "service_requests", "request")
