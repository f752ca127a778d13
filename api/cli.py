"""The ``smartscene`` command line (Typer)."""

from __future__ import annotations

import getpass
import os
import sys
from typing import Annotated, cast

import typer
from rich.console import Console

from api.auth import Role
from api.cli_detectors import detectors_app
from api.cli_gis import gis_app
from api.cli_reports import report
from core.settings import Settings

app = typer.Typer(help="smartscene: urban-governance smart scenes.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
users_app = typer.Typer(help="Users and API keys.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(gis_app, name="gis")
app.add_typer(detectors_app, name="detectors")
app.command("report")(report)
console = Console()
ROLES = ["admin", "operator", "field", "manager", "integrator", "device"]


def _settings() -> Settings:
    return Settings()


@app.command()
def version() -> None:
    """Print the version."""
    from api.routes.system import VERSION

    console.print(f"smartscene {VERSION}")


@db_app.command("rebuild-report-facts")
def db_rebuild_facts() -> None:
    """Rebuild the report cache (per-case facts) from the timeline."""
    from dispatch.reports.store import rebuild_cli

    cases = rebuild_cli(_settings().resolved_database_url())
    console.print(f"report facts rebuilt for {cases} cases")


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Create or migrate the database to the latest schema."""
    from api import db

    settings = _settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    db.upgrade(settings.resolved_database_url(), revision)
    console.print(
        f"database at [bold]{_safe_url(settings.resolved_database_url())}[/] is up to date"
    )


def _safe_url(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password (12+ characters): ")
    if first != getpass.getpass("again: "):
        raise typer.BadParameter("passwords differ")
    return first


@users_app.command("create-admin")
def create_admin(
    username: Annotated[str, typer.Option(help="Login name.")] = "admin",
    password_stdin: Annotated[bool, typer.Option(help="Read the password from stdin.")] = False,
) -> None:
    """Create an administrator (there is no default account or password)."""
    create_user(username=username, role="admin", staff_id=None, password_stdin=password_stdin)


@users_app.command("create")
def create_user(
    username: Annotated[str, typer.Option(help="Login name.")],
    role: Annotated[str, typer.Option(help=f"One of {', '.join(ROLES)}.")],
    staff_id: Annotated[str | None, typer.Option(help="Staff record of a field worker.")] = None,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from stdin.")] = False,
) -> None:
    """Create a user with a role."""
    from api.auth import create_user as add_user
    from api.container import build_container

    if role not in ROLES:
        raise typer.BadParameter(f"role must be one of {ROLES}")
    checked_role = cast(Role, role)
    password = _read_password(password_stdin)
    container = build_container(_settings())
    try:
        with container.sessions() as session:
            add_user(
                session,
                username=username,
                password=password,
                role=checked_role,
                staff_id=staff_id,  # type: ignore[arg-type]
                now=container.clock.now(),
            )
            session.commit()
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    finally:
        container.close()
    console.print(f"user [bold]{username}[/] ({role}) created")


@users_app.command("api-key")
def create_key(
    name: Annotated[str, typer.Option(help="What the key is for.")],
    role: Annotated[str, typer.Option(help="device or integrator (or another role).")] = "device",
) -> None:
    """Create an API key; it is shown once."""
    from api.auth import create_api_key
    from api.container import build_container

    container = build_container(_settings())
    with container.sessions() as session:
        _, plain = create_api_key(session, name=name, role=role, now=container.clock.now())  # type: ignore[arg-type]
        session.commit()
    container.close()
    console.print(plain)


@app.command()
def seed(demo: Annotated[bool, typer.Option(help="Also add the demo district.")] = True) -> None:
    """Load the category table (and the demo district)."""
    from api.container import build_container
    from api.seed_data import seed_categories, seed_demo_city

    container = build_container(_settings())
    with container.sessions() as session:
        added = seed_categories(session)
        city = seed_demo_city(session, container.clock.now()) if demo else False
        session.commit()
    container.close()
    console.print(f"categories added: {added}; demo district added: {city}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Listen address.")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port.")] = None,
) -> None:
    """Run the API with its background loops (intake, offer time-outs, camera pipelines)."""
    import uvicorn

    from api.app import create_app
    from api.container import build_container
    from core.logging import configure_logging

    settings = _settings()
    configure_logging(settings.log_level)
    container = build_container(settings)
    uvicorn.run(
        create_app(container), host=host or settings.api_host, port=port or settings.api_port
    )


@app.command()
def worker(
    cameras: Annotated[bool, typer.Option(help="Run the camera pipelines (of --shard).")] = True,
    intake: Annotated[
        bool, typer.Option(help="Turn scene events into cases (workers share the stream).")
    ] = False,
    sweeps: Annotated[
        bool, typer.Option(help="Offer time-outs and SLA sweeps (run in one process only).")
    ] = False,
    sensors: Annotated[
        bool, typer.Option(help="The configured JT/T 808 server and MQTT subscriber.")
    ] = False,
    shard: Annotated[
        str | None,
        typer.Option(help="Run only cameras of shard I/N (0 <= I < N); default: camera_shard."),
    ] = None,
) -> None:
    """Run background parts without the HTTP server until SIGINT/SIGTERM (shares work via Redis)."""
    from api.worker import WorkerConfigError, WorkerPlan, check_plan, run_until_signalled
    from core.logging import configure_logging
    from core.sharding import parse_shard

    settings = _settings()
    if shard is not None and not cameras:
        raise typer.BadParameter("a shard only applies with --cameras", param_hint="--shard")
    try:
        chosen = parse_shard(shard) if shard is not None else settings.resolved_camera_shard()
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--shard") from exc
    plan = WorkerPlan(cameras, intake, sweeps, sensors, chosen if cameras else None)
    try:
        check_plan(plan, settings)
    except WorkerConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    configure_logging(settings.log_level)
    run_until_signalled(settings, plan)


@app.command()
def demo(
    exit_after: Annotated[bool, typer.Option(help="Exit when the video ends (CI).")] = False,
    port: Annotated[int | None, typer.Option(help="Listen port.")] = None,
) -> None:
    """Set up the demo district and camera, run the loop on the generated video, serve the API."""
    from api.demo import run_demo

    settings = _settings()
    if port:
        settings.api_port = port
    run_demo(settings, console=console, exit_after=exit_after)


def _mount_optional() -> None:
    """Sub-apps of other packages (GIS, detectors) when present."""
    for module, attr, name in (
        ("api.cli_gis", "gis_app", "gis"),
        ("api.cli_detectors", "detectors_app", "detectors"),
    ):
        try:
            mod = __import__(module, fromlist=[attr])
        except ImportError:
            continue
        app.add_typer(getattr(mod, attr), name=name)


def main() -> None:
    """Entry point of the console script."""
    os.environ.setdefault("YOLO_OFFLINE", "1")
    app()
