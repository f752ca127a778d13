"""The FastAPI app factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api.audit import install_audit
from api.container import Container
from api.errors import install_error_handlers
from api.routes import auth, cases, field, system


def create_app(container: Container, *, run_background: bool = True) -> FastAPI:
    """Build the app around an already-wired container."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if run_background:
            from api.runtime import start_background

            start_background(container)
        yield
        container.close()

    app = FastAPI(
        title="smartscene",
        version=system.VERSION,
        description="Urban-governance smart scenes: detect, locate, dispatch, verify.",
        lifespan=lifespan,
    )
    app.state.container = container
    if container.settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=container.settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    install_audit(app)
    install_error_handlers(app)
    for module in (system, auth, cases, field):
        app.include_router(module.router)
    return app
