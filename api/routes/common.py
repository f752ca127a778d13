"""Helpers shared by the resource routers: role dependencies, lookups, cursor pages."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import Depends, Path, Query
from sqlalchemy import Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from api.auth import Principal
from api.deps import require
from api.errors import ApiError

T = TypeVar("T")

Admin = Annotated[Principal, Depends(require())]
Reader = Annotated[Principal, Depends(require("operator", "manager"))]
Operator = Annotated[Principal, Depends(require("operator"))]
AnyStaffReader = Annotated[
    Principal, Depends(require("operator", "manager", "field", "integrator"))
]

IdPath = Annotated[str, Path(min_length=1, max_length=64, description="Identifier.")]
IntIdPath = Annotated[int, Path(ge=1, le=2_147_483_647, description="Numeric id.")]
Limit = Annotated[int, Query(ge=1, le=500, description="Page size.")]
StrCursor = Annotated[str | None, Query(max_length=64, description="Last id of the previous page.")]
MAX_INT = 2_147_483_647


def get_or_404(session: Session, model: type[T], key: Any, what: str) -> T:
    """The row with primary key ``key`` or a 404 in the error shape."""
    row = session.get(model, key)
    if row is None:
        raise ApiError(404, "not_found", f"{what} {key} does not exist")
    return row


def page_by_key(
    session: Session,
    query: Select[T],
    key: InstrumentedAttribute[Any],
    *,
    cursor: Any,
    limit: int,
) -> tuple[list[T], int, str | None]:
    """Rows after ``cursor`` in ascending ``key`` order, the total count, the next cursor."""
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if cursor is not None:
        query = query.where(key > cursor)
    rows = list(session.scalars(query.order_by(key).limit(limit)))
    next_cursor = str(getattr(rows[-1], key.key)) if len(rows) == limit else None
    return rows, total, next_cursor
