"""Authentication (OAuth2 password flow with JWTs, API keys) and role checks.

No default credentials exist: the first admin is created with ``smartscene users create-admin``.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.ids import new_id
from models import ApiKey, User

Role = Literal["admin", "operator", "field", "manager", "integrator", "device"]
JWT_ALG = "HS256"
_hasher = PasswordHasher()


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    subject: str
    name: str
    role: Role
    staff_id: str | None = None
    kind: Literal["user", "api_key"] = "user"


def hash_password(password: str) -> str:
    """Argon2id hash of a password (refuses weak ones)."""
    if len(password) < 12:
        raise ValueError("passwords need at least 12 characters")
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True when ``password`` matches; never raises on a bad hash."""
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def load_or_create_secret(path: Path) -> str:
    """Read the token-signing secret, creating a random one (mode 0600) on first use."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.write_text(secret)
    path.chmod(0o600)
    return secret


def issue_token(user: User, *, secret: str, now: datetime, ttl_s: int) -> str:
    """A signed access token for ``user``."""
    claims: dict[str, Any] = {
        "sub": user.id,
        "name": user.username,
        "role": user.role,
        "staff_id": user.staff_id,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl_s)).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=JWT_ALG)


def decode_token(token: str, *, secret: str, now: datetime) -> Principal | None:
    """The principal in a valid token, or None (expired, forged, malformed).

    Expiry is checked against the injected clock, not PyJWT's wall clock.
    """
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[JWT_ALG],
            options={"require": ["exp", "sub"], "verify_exp": False, "verify_iat": False},
        )
    except jwt.PyJWTError:
        return None
    if int(claims["exp"]) <= int(now.timestamp()):
        return None
    return Principal(claims["sub"], claims.get("name", ""), claims["role"], claims.get("staff_id"))


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role,
    staff_id: str | None,
    now: datetime,
) -> User:
    """Add a user with a hashed password."""
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise ValueError(f"user {username!r} already exists")
    user = User(
        id=new_id(),
        username=username,
        password_hash=hash_password(password),
        role=role,
        staff_id=staff_id,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None."""
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    if user is None:
        _hasher.hash(password)  # spend the same time as a real check: no user enumeration
        return None
    return user if verify_password(user.password_hash, password) else None


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(session: Session, *, name: str, role: Role, now: datetime) -> tuple[ApiKey, str]:
    """Create a key; the plain key is returned once and never stored."""
    prefix = secrets.token_hex(4)
    plain = f"ss_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKey(
        id=new_id(), name=name, prefix=prefix, key_hash=_key_hash(plain), role=role, created_at=now
    )
    session.add(row)
    session.flush()
    return row, plain


def principal_for_api_key(session: Session, key: str, now: datetime) -> Principal | None:
    """The principal of a valid, active key."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != "ss":
        return None
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1], ApiKey.active.is_(True)))
    if row is None or not secrets.compare_digest(row.key_hash, _key_hash(key)):
        return None
    row.last_used_at = now
    return Principal(row.id, row.name, row.role, None, "api_key")  # type: ignore[arg-type]


class LoginLimiter:
    """Refuses logins after ``max_failures`` failures for a (client, username) within a window."""

    def __init__(self, max_failures: int = 5, window_s: float = 300.0) -> None:
        self.max_failures, self.window_s = max_failures, window_s
        self._failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def blocked(self, client: str, username: str) -> bool:
        """True when this pair has failed too often lately."""
        with self._lock:
            q = self._prune(client, username)
            return len(q) >= self.max_failures

    def failed(self, client: str, username: str) -> None:
        """Count a failure."""
        with self._lock:
            self._prune(client, username).append(time.monotonic())

    def succeeded(self, client: str, username: str) -> None:
        """Forget failures after a good login."""
        with self._lock:
            self._failures.pop((client, username), None)

    def _prune(self, client: str, username: str) -> deque[float]:
        q = self._failures[(client, username)]
        limit = time.monotonic() - self.window_s
        while q and q[0] < limit:
            q.popleft()
        return q
