"""FastAPI dependencies: the container, a DB session per request, the caller and role checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from api.auth import Principal, Role, decode_token, principal_for_api_key
from api.container import Container

oauth2 = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


def get_container(request: Request) -> Container:
    """The app's container."""
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


def get_session(container: ContainerDep) -> Iterator[Session]:
    """One session per request; routes commit explicitly, anything left is rolled back."""
    session = container.sessions()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]


def get_principal(
    request: Request,
    container: ContainerDep,
    session: SessionDep,
    token: Annotated[str | None, Depends(oauth2)],
    x_api_key: Annotated[
        str | None, Header(description="API key for devices/integrations.")
    ] = None,
) -> Principal:
    """The authenticated caller (bearer token or ``X-API-Key``), or 401."""
    principal: Principal | None = None
    if token:
        principal = decode_token(token, secret=container.jwt_secret, now=container.clock.now())
    elif x_api_key:
        principal = principal_for_api_key(session, x_api_key, container.clock.now())
        session.commit()
    if principal is None:
        raise HTTPException(401, "not authenticated", headers={"WWW-Authenticate": "Bearer"})
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency allowing only ``roles`` (admin is always allowed)."""
    allowed = {*roles, "admin"}

    def check(principal: PrincipalDep) -> Principal:
        if principal.role not in allowed:
            raise HTTPException(403, f"role {principal.role!r} may not do this")
        return principal

    return check


def require_staff(principal: PrincipalDep) -> str:
    """The staff id of a field worker, or 403."""
    if principal.role != "field" or not principal.staff_id:
        raise HTTPException(403, "only field staff linked to a staff record may do this")
    return principal.staff_id
