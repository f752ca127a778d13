"""Login: OAuth2 password flow issuing JWTs, rate limited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.security import OAuth2PasswordRequestForm

from api.auth import authenticate, issue_token
from api.deps import ContainerDep, SessionDep
from api.schemas import Token

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token", response_model=Token)
def login(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    container: ContainerDep,
    session: SessionDep,
) -> Token:
    """Exchange username and password for a bearer token."""
    client = request.client.host if request.client else "unknown"
    if container.limiter.blocked(client, form.username):
        raise HTTPException(429, "too many failed logins; wait a few minutes")
    user = authenticate(session, form.username, form.password)
    if user is None:
        container.limiter.failed(client, form.username)
        raise HTTPException(
            401, "wrong username or password", headers={"WWW-Authenticate": "Bearer"}
        )
    container.limiter.succeeded(client, form.username)
    request.state.actor = user.username
    ttl = container.settings.jwt_ttl_s
    token = issue_token(user, secret=container.jwt_secret, now=container.clock.now(), ttl_s=ttl)
    return Token(access_token=token, expires_in=ttl, role=user.role)
