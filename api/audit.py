"""Audit: every state-changing request is recorded (who, what, when, from where, outcome)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from models import AuditEntry

logger = logging.getLogger(__name__)
_MUTATING = {"POST", "PUT", "PATCH", "DELETE"}


def install_audit(app: FastAPI) -> None:
    """Add the audit middleware."""

    @app.middleware("http")
    async def audit(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        if request.method in _MUTATING:
            _record(request, response.status_code)
        return response


def _record(request: Request, status: int) -> None:
    container = request.app.state.container
    principal = getattr(request.state, "principal", None)
    actor = principal.subject if principal else getattr(request.state, "actor", "anonymous")
    route = request.scope.get("route")
    try:
        with container.sessions() as session:
            session.add(
                AuditEntry(
                    at=container.clock.now(),
                    actor=actor,
                    role=principal.role if principal else None,
                    action=f"{request.method} {getattr(route, 'path', request.url.path)}",
                    target_type=None,
                    target_id=str(request.path_params.get("case_id", "")) or None,
                    client_ip=request.client.host if request.client else None,
                    status_code=status,
                    details={"path": request.url.path},
                )
            )
            session.commit()
    except Exception:  # auditing must not turn a handled request into a 500
        logger.exception("audit write failed for %s %s", request.method, request.url.path)
