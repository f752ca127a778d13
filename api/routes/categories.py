"""Violation categories and their SLA targets: read by everyone signed in, edited by admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from sqlalchemy import select

from api.deps import SessionDep
from api.errors import ApiError
from api.routes.common import Admin, AnyStaffReader, get_or_404
from api.schemas import Page
from api.schemas_resources import CategoryPublic, CategoryUpdate
from models import Category

router = APIRouter(prefix="/categories", tags=["categories"])
CodePath = Annotated[str, Path(min_length=1, max_length=32, description="Category code.")]
_NOT_NULL = {"name_zh", "name_en", "clock", "deadline_unit", "default_priority",
             "dedup_radius_m", "dedup_window_s", "open311"}  # fmt: skip


@router.get("", response_model=Page[CategoryPublic])
def list_categories(
    session: SessionDep, _: AnyStaffReader, open311: bool | None = None
) -> Page[CategoryPublic]:
    """Every category (a small table: one page)."""
    query = select(Category).order_by(Category.code)
    if open311 is not None:
        query = query.where(Category.open311.is_(open311))
    rows = session.scalars(query).all()
    return Page[CategoryPublic](
        data=[CategoryPublic.model_validate(r) for r in rows], count=len(rows)
    )


@router.get("/{code}", response_model=CategoryPublic)
def get_category(code: CodePath, session: SessionDep, _: AnyStaffReader) -> CategoryPublic:
    """One category with its SLA targets."""
    return CategoryPublic.model_validate(get_or_404(session, Category, code, "category"))


@router.patch("/{code}", response_model=CategoryPublic)
def update_category(
    code: CodePath, body: CategoryUpdate, session: SessionDep, _: Admin
) -> CategoryPublic:
    """Edit names, codes, SLA targets, dedup settings or the Open311 flag.

    New targets apply to due times computed from now on; running clocks keep theirs.
    """
    row = get_or_404(session, Category, code, "category")
    for key, value in body.model_dump(exclude_unset=True).items():
        if value is None and key in _NOT_NULL:
            raise ApiError(422, "invalid_request", f"{key} cannot be null")
        setattr(row, key, value)
    session.commit()
    return CategoryPublic.model_validate(row)
