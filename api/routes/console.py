"""The operator console: a static single-page app served by the API itself, offline.

``/console/`` is the page, ``/console/static/...`` its JS, CSS and the vendor libraries that
``scripts/install`` copies from npm packages, ``/console/config.json`` the map settings. Nothing
here needs a login: the page logs in against ``/auth/token`` and every data call carries the token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from api.deps import ContainerDep
from api.seed_data import DEMO_ORIGIN
from core.settings import Settings

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
STATIC_DIR = WEB_DIR / "static"
VENDOR_MARKER = STATIC_DIR / "vendor" / ".complete"
MapDatum = Literal["wgs84", "gcj02"]

router = APIRouter(tags=["console"], include_in_schema=False)
_static = StaticFiles(directory=STATIC_DIR, check_dir=False)


class ConsoleConfig(BaseModel):
    """What the page needs before it draws the map."""

    tile_url: str | None = Field(None, description="XYZ tile URL template; none draws no tiles.")
    tile_attribution: str = Field("", description="Attribution shown for the tiles.")
    datum: MapDatum = Field("wgs84", description="Datum of the base map; data is stored WGS84.")
    center: tuple[float, float] = Field(description="Initial map centre (lon, lat), WGS84.")
    zoom: int = Field(16, ge=1, le=20, description="Initial zoom level.")
    reports_url: str = Field("/reports", description="Where the reports pages live.")
    vendor_ready: bool = Field(description="False when scripts/install has not built the libs.")


def console_config(settings: Settings) -> ConsoleConfig:
    """The console settings; optional ``map_*`` settings are read when the Settings have them."""
    tile_url: str | None = settings.map_tile_url or None
    datum: str = settings.map_datum
    center = settings.map_center or DEMO_ORIGIN
    return ConsoleConfig(
        tile_url=tile_url,
        tile_attribution=settings.map_tile_attribution,
        datum="gcj02" if datum.lower().replace("-", "") == "gcj02" else "wgs84",
        center=(float(center[0]), float(center[1])),
        zoom=settings.map_zoom,
        vendor_ready=VENDOR_MARKER.exists(),
    )


def content_security_policy(tile_url: str | None) -> str:
    """Same-origin only (plus the tile server when one is configured): a stray CDN link fails."""
    img = "'self' blob: data:"
    if tile_url:
        parts = urlsplit(tile_url.replace("{s}", "a"))
        if parts.scheme in ("http", "https") and parts.netloc:
            host = parts.netloc.replace("a.", "*.", 1) if "{s}" in tile_url else parts.netloc
            img += f" {parts.scheme}://{host}"
    return "; ".join(
        [
            "default-src 'self'",
            f"img-src {img}",
            "media-src 'self' blob:",
            "style-src 'self' 'unsafe-inline'",
            "script-src 'self'",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "frame-ancestors 'self'",
        ]
    )


@router.get("/console")
def console_redirect() -> RedirectResponse:
    """``/console`` -> ``/console/`` so relative paths resolve."""
    return RedirectResponse("/console/", status_code=307)


@router.get("/console/")
def console_page(container: ContainerDep) -> FileResponse:
    """The single-page console."""
    csp = content_security_policy(console_config(container.settings).tile_url)
    return FileResponse(
        WEB_DIR / "index.html",
        media_type="text/html; charset=utf-8",
        headers={"Cache-Control": "no-cache", "Content-Security-Policy": csp},
    )


@router.get("/console/config.json", response_model=ConsoleConfig)
def console_settings(container: ContainerDep) -> ConsoleConfig:
    """Map settings for the page."""
    return console_config(container.settings)


@router.get("/console/static/{path:path}")
async def console_static(path: str, request: Request) -> Response:
    """JS, CSS, images and vendor libraries (path-traversal safe, with ETags)."""
    return await _static.get_response(path, request.scope)
