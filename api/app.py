"""The FastAPI app factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api.audit import install_audit
from api.body_limit import BodyLimit
from api.container import Container
from api.errors import install_error_handlers, install_openapi_errors
from api.live import LiveHub, boot_first_id, db_audience
from api.open311 import install_open311_errors
from api.routes import (
    areas,
    auth,
    cameras,
    cases,
    categories,
    console,
    evidence,
    field,
    live,
    open311,
    ops,
    reports,
    scenes,
    staff,
    system,
)
from api.routes.ops import install_metrics

ROUTERS = (
    ops,
    system,
    auth,
    cases,
    field,
    live,
    cameras,
    scenes,
    categories,
    areas,
    staff,
    evidence,
    open311,
    reports,
    console,
)


def create_app(container: Container, *, run_background: bool = True) -> FastAPI:
    """Build the app around an already-wired container.

    With ``run_background`` the lifespan starts intake, sweeps and the live hub's reader;
    without it (tests) call ``app.state.live_hub.pump()`` or ``.start()`` yourself.
    """
    hub = LiveHub(
        container.bus,
        audience=db_audience(container.sessions),
        first_id=boot_first_id(container.clock.now()),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if run_background:
            from api.runtime import start_background

            start_background(container, hub)
        yield
        hub.stop()
        container.close()

    app = FastAPI(
        title="smartscene",
        version=system.VERSION,
        description="Urban-governance smart scenes: detect, locate, dispatch, verify.",
        lifespan=lifespan,
    )
    app.state.container = container
    app.state.live_hub = hub
    app.state.run_background = run_background
    if container.settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=container.settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    install_audit(app)
    install_metrics(app, container, hub)
    install_error_handlers(app)
    install_open311_errors(app)
    install_openapi_errors(app)
    for module in ROUTERS:
        app.include_router(module.router)
    app.add_middleware(BodyLimit)  # outermost: oversized bodies are refused before anything
    return app
