"""`smartscene gis ...`: validate area files, cache road networks, calibrate cameras, locate points.

Mounted by api/cli.py as a Typer sub-app. Everything here is file-based; DB writing is wired by
the caller on top of :func:`gis.io.load_areas`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

from gis.areas import AreaIndex, AreaKind
from gis.calibration import (
    DEFAULT_MAX_RMSE_M,
    DEFAULT_RANSAC_THRESHOLD_M,
    CalibrationError,
    CameraCalibration,
)
from gis.datums import Datum, to_wgs84

if TYPE_CHECKING:
    from gis.io import AreaImport, InvalidPolicy

gis_app = typer.Typer(help="GIS tools: area files, road networks, camera calibration, lookup.")
console = Console()
err_console = Console(stderr=True)

DatumOpt = Annotated[
    str | None,
    typer.Option(help="Datum of the data: wgs84, gcj02 (Amap), bd09 (Baidu), cgcs2000."),
]


def _datum(value: str | None) -> Datum | None:
    if value is None:
        return None
    try:
        return Datum.parse(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


def _fail(message: str) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code=1)


@contextmanager
def _spinner(text: str) -> Iterator[None]:
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=err_console) as bar:
        bar.add_task(text, total=None)
        yield


def _load_with_progress(path: Path, **kwargs: object) -> AreaImport:
    from gis.io import load_areas

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task(f"validating {path.name}", total=None)
        return load_areas(
            path,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
            **kwargs,  # type: ignore[arg-type]
        )


@gis_app.command("import-areas")
def import_areas(
    path: Annotated[Path, typer.Argument(help="GeoJSON, Shapefile (.shp) or GeoPackage file.")],
    kind: Annotated[str, typer.Option(help="district, street, community, grid, responsibility")],
    datum: DatumOpt = None,
    id_field: Annotated[str | None, typer.Option(help="Feature id column.")] = None,
    code_field: Annotated[str | None, typer.Option(help="Area code column.")] = None,
    name_field: Annotated[str | None, typer.Option(help="Area name column.")] = None,
    layer: Annotated[str | None, typer.Option(help="Layer (GeoPackage).")] = None,
    on_invalid: Annotated[str, typer.Option(help="repair (make_valid) or reject")] = "repair",
    save: Annotated[bool, typer.Option(help="Write the areas to the database.")] = False,
    id_prefix: Annotated[
        str | None, typer.Option(help="Prefix of area ids (default: kind).")
    ] = None,
    parent_id: Annotated[str | None, typer.Option(help="Parent area id.")] = None,
    replace: Annotated[bool, typer.Option(help="Update areas that already exist.")] = False,
) -> None:
    """Validate and summarise an area file; with --save, import it (all or nothing)."""
    if on_invalid not in ("repair", "reject"):
        raise typer.BadParameter("--on-invalid must be repair or reject")
    policy: InvalidPolicy = "repair" if on_invalid == "repair" else "reject"
    from gis.io import GisImportError

    try:
        result = _load_with_progress(
            path,
            kind=kind,
            datum=_datum(datum),
            id_field=id_field,
            code_field=code_field,
            name_field=name_field,
            layer=layer,
            on_invalid=policy,
        )
    except GisImportError as exc:
        for fid, why in exc.rejected:
            err_console.print(f"  rejected {fid}: {why}")
        raise _fail(str(exc)) from exc
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    _print_area_summary(result)
    if save:
        _save_areas(result, id_prefix=id_prefix, parent_id=parent_id, replace=replace)


def _save_areas(
    result: AreaImport, *, id_prefix: str | None, parent_id: str | None, replace: bool
) -> None:
    from api.container import build_container
    from core.settings import Settings
    from dispatch.areas import import_areas
    from dispatch.errors import DispatchError

    container = build_container(Settings())
    try:
        with container.sessions() as session:
            n = import_areas(
                session,
                result,
                now=container.clock.now(),
                id_prefix=id_prefix,
                parent_id=parent_id,
                replace=replace,
            )
    except DispatchError as exc:
        raise _fail(str(exc)) from exc
    finally:
        container.close()
    console.print(f"saved {n} areas to the database")


def _print_area_summary(result: AreaImport) -> None:
    table = Table(title=f"areas: {result.path}", show_header=False)
    table.add_row("features", str(len(result)))
    table.add_row("kind", str(result.frame["kind"].iat[0]))
    table.add_row("file CRS", result.source_crs or "(none)")
    how = "declared" if result.datum_declared else "detected from the file CRS"
    table.add_row("source datum", f"{result.source_datum.value} ({how})")
    table.add_row("repaired", ", ".join(result.repaired_ids) or "none")
    table.add_row("rejected", "none")
    minx, miny, maxx, maxy = result.frame.total_bounds
    table.add_row("bounds (WGS84)", f"{minx:.5f}, {miny:.5f} .. {maxx:.5f}, {maxy:.5f}")
    console.print(table)
    if not result.datum_declared:
        console.print(
            "[yellow]note:[/] files exported from Amap/Baidu are often labelled EPSG:4326 while "
            "in GCJ-02/BD-09: pass --datum if this one is."
        )


@gis_app.command("import-roads")
def import_roads(
    path: Annotated[Path, typer.Argument(help=".graphml (OSMnx), .osm.pbf, GeoJSON lines, .npz")],
    out: Annotated[Path | None, typer.Option(help="Write a compact .npz cache here.")] = None,
) -> None:
    """Load a road network, print its size, optionally save a cache."""
    from gis.road_loaders import RoadImportError
    from gis.roads import RoadNetwork

    try:
        with _spinner(f"loading {path.name}"):
            network = RoadNetwork.from_file(path)
    except (RoadImportError, OSError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    t = network.table
    table = Table(title=f"roads: {path}", show_header=False)
    table.add_row("nodes", str(network.n_nodes))
    table.add_row("directed edges", str(network.n_edges))
    table.add_row("length (km, directed)", f"{t.length_m.sum() / 1000:.1f}")
    table.add_row("metric CRS", f"EPSG:{network.projection.epsg}")
    table.add_row(
        "bounds",
        f"{t.node_lon.min():.5f}, {t.node_lat.min():.5f} .. "
        f"{t.node_lon.max():.5f}, {t.node_lat.max():.5f}",
    )
    console.print(table)
    if out is not None:
        t.save_npz(out)
        console.print(f"cache written: {out} ({out.stat().st_size / 1024:.0f} KiB)")


@gis_app.command("calibrate")
def calibrate(
    points: Annotated[Path, typer.Argument(help="CSV/JSON with px_x, px_y, lon, lat per pair.")],
    out: Annotated[Path, typer.Option(help="Homography JSON to write.")] = Path("homography.json"),
    datum: DatumOpt = None,
    max_rmse_m: Annotated[float, typer.Option(help="Refuse fits above this RMSE.")] = (
        DEFAULT_MAX_RMSE_M
    ),
    ransac_threshold_m: Annotated[float, typer.Option(help="RANSAC inlier threshold.")] = (
        DEFAULT_RANSAC_THRESHOLD_M
    ),
) -> None:
    """Fit a camera homography from pixel/map point pairs and write it as JSON."""
    from gis.io import GisImportError, load_calibration_points

    try:
        pixels, world = load_calibration_points(points)
        cal = CameraCalibration.fit(
            pixels,
            world,
            datum=_datum(datum) or Datum.WGS84,
            max_rmse_m=max_rmse_m,
            ransac_threshold_m=ransac_threshold_m,
        )
    except (GisImportError, CalibrationError) as exc:
        raise _fail(str(exc)) from exc
    out.write_text(json.dumps(cal.to_dict(), indent=2), encoding="utf-8")
    outliers = [str(i) for i, ok in enumerate(cal.inliers) if not ok]
    console.print(
        f"pairs: {len(pixels)}, inliers: {int(cal.inliers.sum())}"
        f"{' (outliers: ' + ', '.join(outliers) + ')' if outliers else ''}"
    )
    console.print(f"reprojection RMSE: {cal.rmse_m:.3f} m in EPSG:{cal.epsg}")
    if len(pixels) == 4:
        console.print("[yellow]note:[/] 4 pairs always fit exactly (RMSE 0): add a 5th to check")
    console.print(f"written: {out}")


@gis_app.command("locate")
def locate(
    lon: Annotated[float, typer.Argument(help="Longitude.")],
    lat: Annotated[float, typer.Argument(help="Latitude.")],
    areas: Annotated[Path, typer.Option(help="Area file to search.")],
    kind: Annotated[str, typer.Option(help="Kind of the areas in the file.")] = "grid",
    datum: DatumOpt = None,
    areas_datum: DatumOpt = None,
    name_field: Annotated[str | None, typer.Option(help="Area name column.")] = None,
    code_field: Annotated[str | None, typer.Option(help="Area code column.")] = None,
) -> None:
    """Which area of the file contains the point (point datum defaults to WGS84)?"""
    from gis.io import GisImportError

    try:
        result = _load_with_progress(
            areas,
            kind=kind,
            datum=_datum(areas_datum),
            name_field=name_field,
            code_field=code_field,
        )
    except (GisImportError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    w_lon, w_lat = to_wgs84(lon, lat, _datum(datum) or Datum.WGS84)
    hits = AreaIndex(result.records()).locate(w_lon, w_lat)
    hit = hits.get(AreaKind.parse(kind))
    if hit is None:
        console.print(f"({w_lon:.6f}, {w_lat:.6f}) WGS84 is outside every {kind} area")
        raise typer.Exit(code=2)
    fid = result.frame["feature_id"].iat[hit.row]
    console.print(
        f"({w_lon:.6f}, {w_lat:.6f}) WGS84 -> {hit.kind.value} {hit.name!r} code={hit.code!r} "
        f"feature={fid}"
    )
