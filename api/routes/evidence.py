"""Evidence files: download by id; field staff upload photos of their own cases.

Uploads are limited in size (``MAX_PHOTO_BYTES``) and type (JPEG or PNG, recognised by their
first bytes, not by the name or the declared type), stored under the evidence directory by
content hash, and recorded with their SHA-256 for custody and in the case timeline.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path as FsPath
from typing import Annotated

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import FileResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import Principal
from api.deps import ContainerDep, PrincipalDep, SessionDep, require_staff
from api.errors import ApiError
from api.routes.common import IntIdPath, get_or_404
from api.schemas import EvidencePublic
from dispatch import field
from dispatch.actors import Actor
from dispatch.lifecycle import append_event
from dispatch.states import OPEN_STATES, CaseState
from models import Dispatch, Evidence

router = APIRouter(tags=["evidence"])
MAX_PHOTO_BYTES = 10 * 1024 * 1024
_CHUNK = 256 * 1024
_SIGNATURES = {b"\xff\xd8\xff": ("image/jpeg", "jpg"), b"\x89PNG\r\n\x1a\n": ("image/png", "png")}
StaffId = Annotated[str, Depends(require_staff)]


def _may_see(session: Session, who: Principal, case_id: int | None) -> bool:
    if who.role in ("admin", "operator", "manager"):
        return True
    if who.role != "field" or not who.staff_id or case_id is None:
        return False
    case = field.get_case(session, case_id)
    if case.assigned_staff_id == who.staff_id:
        return True
    offered = select(Dispatch.id).where(
        Dispatch.case_id == case_id, Dispatch.staff_id == who.staff_id
    )
    return session.scalar(offered) is not None


def _resolve(base: FsPath, relative: str) -> FsPath:
    root = base.resolve()
    target = (root / relative).resolve()
    if root not in target.parents or not target.is_file():
        raise ApiError(404, "not_found", "the evidence file is not available")
    return target


@router.get(
    "/evidence/{evidence_id}",
    response_class=FileResponse,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "video/mp4": {}}}},
)
def get_evidence(
    evidence_id: IntIdPath, container: ContainerDep, session: SessionDep, who: PrincipalDep
) -> FileResponse:
    """The evidence file with its media type (field staff: only for their own cases)."""
    row = get_or_404(session, Evidence, evidence_id, "evidence")
    if not _may_see(session, who, row.case_id):
        raise ApiError(403, "forbidden", "this evidence belongs to another worker's case")
    path = _resolve(container.settings.resolved_evidence_dir(), row.path)
    return FileResponse(path, media_type=row.media_type, headers={"X-SHA256": row.sha256})


def _sniff(head: bytes) -> tuple[str, str]:
    for magic, kind in _SIGNATURES.items():
        if head.startswith(magic):
            return kind
    raise ApiError(415, "unsupported_media_type", "photos must be JPEG or PNG")


def _read_limited(upload: UploadFile) -> bytes:
    parts: list[bytes] = []
    size = 0
    while chunk := upload.file.read(_CHUNK):
        size += len(chunk)
        if size > MAX_PHOTO_BYTES:
            raise ApiError(413, "too_large", f"photos are limited to {MAX_PHOTO_BYTES} bytes")
        parts.append(chunk)
    if size == 0:
        raise ApiError(422, "empty_file", "the uploaded file is empty")
    return b"".join(parts)


def _store(base: FsPath, relative: str, data: bytes) -> None:
    target = base / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, target)


@router.post("/me/cases/{case_id}/photos", response_model=EvidencePublic, status_code=201)
def upload_photo(
    case_id: IntIdPath,
    request: Request,
    container: ContainerDep,
    session: SessionDep,
    staff_id: StaffId,
    file: Annotated[UploadFile, File(description="A JPEG or PNG photo, at most 10 MB.")],
) -> EvidencePublic:
    """Attach a photo to one of my open cases (e.g. before/after handling)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_PHOTO_BYTES + 64 * 1024:
        raise ApiError(413, "too_large", f"photos are limited to {MAX_PHOTO_BYTES} bytes")
    case = field.own_case(session, case_id=case_id, staff_id=staff_id)
    if CaseState(case.state) not in OPEN_STATES:
        raise ApiError(409, "case_closed", f"case {case_id} is {case.state}")
    data = _read_limited(file)
    media_type, ext = _sniff(data[:16])
    sha = hashlib.sha256(data).hexdigest()
    relative = f"photos/{case_id}/{sha}.{ext}"
    _store(container.settings.resolved_evidence_dir(), relative, data)
    now = container.clock.now()
    row = Evidence(
        case_id=case_id, kind="photo", path=relative, sha256=sha, media_type=media_type,
        size_bytes=len(data), created_at=now, uploaded_by=staff_id,
    )  # fmt: skip
    session.add(row)
    session.flush()
    append_event(
        session, case=case, action="photo_added", before=case.state,
        actor=Actor("user", staff_id, "field"), at=now,
        details={"evidence_id": row.id, "sha256": sha, "bytes": len(data)},
    )  # fmt: skip
    session.commit()
    container.dispatch.notify_case(case_id, "photo_added")
    return EvidencePublic.model_validate(row)
