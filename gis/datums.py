"""Chinese map datums (WGS84, GCJ-02, BD-09, CGCS2000), UTM helpers and great-circle distance.

GCJ-02 ("Mars coordinates", Amap/Tencent) is an obfuscated offset of WGS84 applied inside a
bounding box around China; BD-09 (Baidu) is a further rotation/scaling of GCJ-02. pyproj does not
know either, so the published forward formulas are implemented here, vectorised over numpy
arrays. The inverses are solved by fixed-point iteration to well under a centimetre (the common
one-step inverse is off by up to ~1-2 m). CGCS2000 (Tianditu, EPSG:4490) differs from WGS84 by
centimetres and is treated as WGS84.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import overload

import numpy as np
import numpy.typing as npt
from pyproj import Transformer

FloatArray = npt.NDArray[np.float64]
Coord = float | Sequence[float] | FloatArray

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius
_KRASOVSKY_A_M = 6_378_245.0  # semi-major axis used by the GCJ-02 algorithm
_KRASOVSKY_EE = 0.00669342162296594323  # its first eccentricity squared
_BD_X_PI = math.pi * 3000.0 / 180.0
_BD_DLON = 0.0065
_BD_DLAT = 0.006
_INVERSE_TOL_DEG = 1e-10  # ~0.01 mm
_INVERSE_MAX_ITER = 30


class Datum(StrEnum):
    """Geodetic datum of a lon/lat pair."""

    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    BD09 = "bd09"
    CGCS2000 = "cgcs2000"

    @property
    def frame(self) -> Datum:
        """The datum this one is equivalent to for our purposes (CGCS2000 -> WGS84)."""
        return Datum.WGS84 if self is Datum.CGCS2000 else self

    @classmethod
    def parse(cls, value: str | Datum) -> Datum:
        """Parse a datum name or EPSG code ("gcj-02", "EPSG:4326", "bd09", "4490" ...)."""
        if isinstance(value, Datum):
            return value
        key = value.strip().lower().replace("-", "").replace("_", "").replace(" ", "")
        key = key.removeprefix("epsg:")
        aliases = {"4326": cls.WGS84, "4490": cls.CGCS2000, "wgs": cls.WGS84, "gcj": cls.GCJ02}
        aliases |= {"amap": cls.GCJ02, "baidu": cls.BD09, "bd": cls.BD09}
        if key in aliases:
            return aliases[key]
        try:
            return cls(key)
        except ValueError:
            names = ", ".join(d.value for d in cls)
            raise ValueError(f"unknown datum {value!r}; expected one of {names}") from None


class DatumMismatch(ValueError):
    """Coordinates in different datums were combined without converting first."""


def require_same_datum(first: Datum, second: Datum, *, what: str = "coordinates") -> Datum:
    """Return the common frame of two datums or raise :class:`DatumMismatch`."""
    if first.frame is not second.frame:
        raise DatumMismatch(
            f"cannot combine {what} in {first.value} with {what} in {second.value}; "
            f"convert one of them first (gis.datums.convert / to_wgs84)"
        )
    return first.frame


def _arrays(lon: Coord, lat: Coord) -> tuple[FloatArray, FloatArray]:
    lon_a = np.asarray(lon, dtype=np.float64)
    lat_a = np.asarray(lat, dtype=np.float64)
    if lon_a.shape != lat_a.shape:
        raise ValueError(f"lon and lat shapes differ: {lon_a.shape} vs {lat_a.shape}")
    return lon_a, lat_a


def in_china_bbox(lon: Coord, lat: Coord) -> npt.NDArray[np.bool_]:
    """True where GCJ-02 applies (the rectangle used by the published algorithm)."""
    lon_a, lat_a = _arrays(lon, lat)
    return (lon_a >= 72.004) & (lon_a <= 137.8347) & (lat_a >= 0.8293) & (lat_a <= 55.8271)


def _gcj_offset_deg(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 minus WGS84 at a WGS84 position, in degrees (zero outside China)."""
    x = lon - 105.0
    y = lat - 35.0
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x + common
    d_lat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    d_lat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x + common
    d_lon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    d_lon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad_lat = np.radians(lat)
    magic = 1.0 - _KRASOVSKY_EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = d_lat * 180.0 / ((_KRASOVSKY_A_M * (1 - _KRASOVSKY_EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = d_lon * 180.0 / (_KRASOVSKY_A_M / sqrt_magic * np.cos(rad_lat) * np.pi)
    inside = in_china_bbox(lon, lat)
    return np.where(inside, d_lon, 0.0), np.where(inside, d_lat, 0.0)


def wgs84_to_gcj02(lon: Coord, lat: Coord) -> tuple[FloatArray, FloatArray]:
    """WGS84 -> GCJ-02 (identity outside China). Returns arrays."""
    lon_a, lat_a = _arrays(lon, lat)
    d_lon, d_lat = _gcj_offset_deg(lon_a, lat_a)
    return lon_a + d_lon, lat_a + d_lat


def gcj02_to_wgs84(lon: Coord, lat: Coord) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 -> WGS84 by fixed-point iteration of the forward formula (error << 1 cm)."""
    gcj_lon, gcj_lat = _arrays(lon, lat)
    wgs_lon, wgs_lat = gcj_lon.copy(), gcj_lat.copy()
    for _ in range(_INVERSE_MAX_ITER):
        fwd_lon, fwd_lat = wgs84_to_gcj02(wgs_lon, wgs_lat)
        err_lon, err_lat = fwd_lon - gcj_lon, fwd_lat - gcj_lat
        wgs_lon, wgs_lat = wgs_lon - err_lon, wgs_lat - err_lat
        if max(_nanmax_abs(err_lon), _nanmax_abs(err_lat)) < _INVERSE_TOL_DEG:
            break
    return wgs_lon, wgs_lat


def gcj02_to_bd09(lon: Coord, lat: Coord) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 -> BD-09 (Baidu). Applied everywhere, as Baidu does."""
    x, y = _arrays(lon, lat)
    radius = np.hypot(x, y) + 0.00002 * np.sin(y * _BD_X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _BD_X_PI)
    return radius * np.cos(theta) + _BD_DLON, radius * np.sin(theta) + _BD_DLAT


def bd09_to_gcj02(lon: Coord, lat: Coord) -> tuple[FloatArray, FloatArray]:
    """BD-09 -> GCJ-02: the published closed-form inverse refined by iteration."""
    bd_lon, bd_lat = _arrays(lon, lat)
    x, y = bd_lon - _BD_DLON, bd_lat - _BD_DLAT
    radius = np.hypot(x, y) - 0.00002 * np.sin(y * _BD_X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _BD_X_PI)
    g_lon, g_lat = radius * np.cos(theta), radius * np.sin(theta)
    for _ in range(_INVERSE_MAX_ITER):
        fwd_lon, fwd_lat = gcj02_to_bd09(g_lon, g_lat)
        err_lon, err_lat = fwd_lon - bd_lon, fwd_lat - bd_lat
        g_lon, g_lat = g_lon - err_lon, g_lat - err_lat
        if max(_nanmax_abs(err_lon), _nanmax_abs(err_lat)) < _INVERSE_TOL_DEG:
            break
    return g_lon, g_lat


def _nanmax_abs(values: FloatArray) -> float:
    finite = np.abs(values[np.isfinite(values)]) if values.ndim else np.abs(values)
    return float(np.max(finite)) if finite.size else 0.0


def _to_frame_wgs(lon: Coord, lat: Coord, src: Datum) -> tuple[FloatArray, FloatArray]:
    if src.frame is Datum.WGS84:
        return _arrays(lon, lat)
    if src is Datum.GCJ02:
        return gcj02_to_wgs84(lon, lat)
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def _from_frame_wgs(lon: FloatArray, lat: FloatArray, dst: Datum) -> tuple[FloatArray, FloatArray]:
    if dst.frame is Datum.WGS84:
        return lon, lat
    if dst is Datum.GCJ02:
        return wgs84_to_gcj02(lon, lat)
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def _scalar_or_array(
    lon: FloatArray, lat: FloatArray, scalar: bool
) -> tuple[float, float] | tuple[FloatArray, FloatArray]:
    if scalar:
        return float(lon), float(lat)
    return lon, lat


@overload
def convert(lon: float, lat: float, src: Datum, dst: Datum) -> tuple[float, float]: ...
@overload
def convert(
    lon: Sequence[float] | FloatArray, lat: Sequence[float] | FloatArray, src: Datum, dst: Datum
) -> tuple[FloatArray, FloatArray]: ...
def convert(
    lon: Coord, lat: Coord, src: Datum, dst: Datum
) -> tuple[float, float] | tuple[FloatArray, FloatArray]:
    """Convert lon/lat from ``src`` to ``dst``: floats in, floats out; arrays in, arrays out."""
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    if src.frame is dst.frame:
        lon_a, lat_a = _arrays(lon, lat)
        return _scalar_or_array(lon_a, lat_a, scalar)
    if src is Datum.BD09 and dst is Datum.GCJ02:
        return _scalar_or_array(*bd09_to_gcj02(lon, lat), scalar)
    if src is Datum.GCJ02 and dst is Datum.BD09:
        return _scalar_or_array(*gcj02_to_bd09(lon, lat), scalar)
    wgs_lon, wgs_lat = _to_frame_wgs(lon, lat, src)
    return _scalar_or_array(*_from_frame_wgs(wgs_lon, wgs_lat, dst), scalar)


@overload
def to_wgs84(lon: float, lat: float, datum: Datum) -> tuple[float, float]: ...
@overload
def to_wgs84(
    lon: Sequence[float] | FloatArray, lat: Sequence[float] | FloatArray, datum: Datum
) -> tuple[FloatArray, FloatArray]: ...
def to_wgs84(
    lon: Coord, lat: Coord, datum: Datum
) -> tuple[float, float] | tuple[FloatArray, FloatArray]:
    """Convert lon/lat in ``datum`` to WGS84 (scalar-friendly, vectorised)."""
    return convert(lon, lat, datum, Datum.WGS84)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class GeoPoints:
    """Lon/lat arrays that carry their datum, so mixing datums is caught, not silently wrong."""

    lon: FloatArray
    lat: FloatArray
    datum: Datum = Datum.WGS84

    @classmethod
    def of(cls, lon: Coord, lat: Coord, datum: Datum = Datum.WGS84) -> GeoPoints:
        """Build from scalars, sequences or arrays."""
        lon_a, lat_a = _arrays(lon, lat)
        return cls(np.atleast_1d(lon_a), np.atleast_1d(lat_a), datum)

    def to(self, datum: Datum) -> GeoPoints:
        """The same points expressed in another datum."""
        lon, lat = convert(self.lon, self.lat, self.datum, datum)
        return GeoPoints(lon, lat, datum)

    def distance_m(self, other: GeoPoints) -> FloatArray:
        """Element-wise great-circle distance; raises :class:`DatumMismatch` across datums."""
        require_same_datum(self.datum, other.datum, what="points")
        return haversine_m(self.lon, self.lat, other.lon, other.lat)


@overload
def haversine_m(  # type: ignore[overload-overlap]  # floats are Coords too
    lon1: float, lat1: float, lon2: float, lat2: float
) -> float: ...
@overload
def haversine_m(lon1: Coord, lat1: Coord, lon2: Coord, lat2: Coord) -> FloatArray: ...
def haversine_m(lon1: Coord, lat1: Coord, lon2: Coord, lat2: Coord) -> FloatArray | float:
    """Great-circle distance in metres on the mean sphere (broadcasts like numpy).

    All-scalar input gives a float, anything else an array.
    """
    phi1, phi2 = np.radians(np.asarray(lat1, float)), np.radians(np.asarray(lat2, float))
    d_phi = phi2 - phi1
    d_lambda = np.radians(np.asarray(lon2, float) - np.asarray(lon1, float))
    h = np.sin(d_phi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(d_lambda / 2) ** 2
    dist = 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return float(dist) if np.ndim(dist) == 0 else np.asarray(dist, dtype=np.float64)


def utm_epsg_for(lon: float, lat: float) -> int:
    """EPSG code of the WGS84 UTM zone containing (lon, lat), e.g. 32650 for Shenzhen."""
    if not (-180.0 <= lon <= 180.0 and -80.0 <= lat <= 84.0):
        raise ValueError(f"no UTM zone for lon={lon}, lat={lat} (UTM covers 80S..84N)")
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    if 56.0 <= lat < 64.0 and 3.0 <= lon < 12.0:  # Norway exception
        zone = 32
    return (32600 if lat >= 0 else 32700) + zone


@functools.lru_cache(maxsize=64)
def _transformers(epsg: int) -> tuple[Transformer, Transformer]:
    forward = Transformer.from_crs(4326, epsg, always_xy=True)
    inverse = Transformer.from_crs(epsg, 4326, always_xy=True)
    return forward, inverse


@dataclass(frozen=True, slots=True)
class LocalProjection:
    """A WGS84 <-> projected (metres) transform, usually the local UTM zone."""

    epsg: int

    @classmethod
    def around(cls, lon: Coord, lat: Coord) -> LocalProjection:
        """The UTM zone of the mean position of the given WGS84 points."""
        lon_a, lat_a = _arrays(lon, lat)
        return cls(utm_epsg_for(float(np.nanmean(lon_a)), float(np.nanmean(lat_a))))

    def to_metres(self, lon: Coord, lat: Coord) -> tuple[FloatArray, FloatArray]:
        """WGS84 lon/lat -> projected x/y in metres (arrays)."""
        lon_a, lat_a = _arrays(lon, lat)
        x, y = _transformers(self.epsg)[0].transform(lon_a, lat_a)
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)

    def to_lonlat(self, x_m: Coord, y_m: Coord) -> tuple[FloatArray, FloatArray]:
        """Projected x/y in metres -> WGS84 lon/lat (arrays)."""
        x_a, y_a = _arrays(x_m, y_m)
        lon, lat = _transformers(self.epsg)[1].transform(x_a, y_a)
        return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
