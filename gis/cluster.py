"""Same-incident tests: is a new event the same incident as an open one, and batch merging.

Two sightings are the same incident when they share a category, lie within ``radius_m`` of each
other and within ``window_s`` in time. :func:`find_match` checks one candidate against open
incidents; :func:`cluster_events` merges many events at once (single-linkage, i.e. DBSCAN with
``min_samples=1`` over space *and* time), e.g. the same truck seen by several cameras.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from core.clock import ensure_utc
from gis.datums import FloatArray, LocalProjection, haversine_m


@dataclass(frozen=True, slots=True)
class SameIncidentRule:
    """Merge sightings within ``radius_m`` metres and ``window_s`` seconds."""

    radius_m: float
    window_s: float

    def __post_init__(self) -> None:
        if not (self.radius_m >= 0 and self.window_s >= 0):
            raise ValueError("radius_m and window_s must be >= 0")


@dataclass(frozen=True, slots=True)
class Sighting:
    """A new event to be matched (WGS84, aware datetime)."""

    category_code: str
    lon: float
    lat: float
    seen_at: datetime


@dataclass(frozen=True, slots=True)
class OpenIncident:
    """An incident still open for merging."""

    incident_id: str
    category_code: str
    lon: float
    lat: float
    last_seen: datetime


def find_match(
    candidate: Sighting,
    open_incidents: Sequence[OpenIncident],
    rules: Mapping[str, SameIncidentRule],
    *,
    default_rule: SameIncidentRule | None = None,
) -> str | None:
    """The open incident ``candidate`` belongs to, or None.

    Same category, distance <= radius, ``|seen_at - last_seen|`` <= window (late events from
    slow cameras still merge). Several matches: the nearest, then the most recent, then the
    smallest id. A category with no rule (and no ``default_rule``) never merges.
    """
    rule = rules.get(candidate.category_code, default_rule)
    if rule is None:
        return None
    seen_at = ensure_utc(candidate.seen_at)
    same = [i for i in open_incidents if i.category_code == candidate.category_code]
    if not same:
        return None
    lons = np.asarray([i.lon for i in same])
    lats = np.asarray([i.lat for i in same])
    dist = np.asarray(haversine_m(candidate.lon, candidate.lat, lons, lats))
    gaps = np.asarray([abs((seen_at - ensure_utc(i.last_seen)).total_seconds()) for i in same])
    ok = (dist <= rule.radius_m) & (gaps <= rule.window_s)
    if not ok.any():
        return None
    best = min(
        (float(dist[k]), -ensure_utc(same[k].last_seen).timestamp(), same[k].incident_id)
        for k in np.flatnonzero(ok)
    )
    return best[2]


def cluster_events(
    lons: FloatArray,
    lats: FloatArray,
    times_s: FloatArray,
    categories: Sequence[str] | npt.NDArray[np.str_],
    rules: Mapping[str, SameIncidentRule],
) -> npt.NDArray[np.int64]:
    """Cluster label per event (0..k-1); events of categories without a rule stay alone.

    Linked when same category, within ``radius_m`` and ``|dt| <= window_s``; clusters are the
    connected components of that relation (chains merge, as an incident's last_seen moves on).
    """
    lon_a, lat_a = np.asarray(lons, float), np.asarray(lats, float)
    t_a = np.asarray(times_s, float)
    cats = np.asarray(categories, dtype=str)
    n = len(lon_a)
    if not (len(lat_a) == len(t_a) == len(cats) == n):
        raise ValueError("lons, lats, times_s and categories must have the same length")
    if n == 0:
        return np.empty(0, dtype=np.int64)
    rows: list[npt.NDArray[np.int64]] = []
    cols: list[npt.NDArray[np.int64]] = []
    x, y = LocalProjection.around(lon_a, lat_a).to_metres(lon_a, lat_a)
    for cat in np.unique(cats):
        rule = rules.get(str(cat))
        members = np.flatnonzero(cats == cat)
        if rule is None or len(members) < 2:
            continue
        pairs = _linked_pairs(x[members], y[members], t_a[members], rule)
        rows.append(members[pairs[:, 0]])
        cols.append(members[pairs[:, 1]])
    i = np.concatenate(rows) if rows else np.empty(0, dtype=np.int64)
    j = np.concatenate(cols) if cols else np.empty(0, dtype=np.int64)
    graph = coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    _, first_seen_order = np.unique(labels, return_inverse=True)
    return np.asarray(first_seen_order, dtype=np.int64)


def _linked_pairs(
    x: FloatArray, y: FloatArray, t: FloatArray, rule: SameIncidentRule
) -> npt.NDArray[np.int64]:
    """Index pairs within radius and window, via a KD-tree on (x, y, scaled t)."""
    # Scaling time so that window_s maps to radius_m makes both limits fit one ball of
    # radius sqrt(2) * radius_m; exact limits are checked on the candidate pairs.
    t_scaled = t * (rule.radius_m / rule.window_s) if rule.window_s > 0 else np.zeros_like(t)
    tree = cKDTree(np.column_stack([x, y, t_scaled]))
    pairs = tree.query_pairs(r=rule.radius_m * np.sqrt(2.0) + 1e-9, output_type="ndarray")
    if len(pairs) == 0:
        return np.empty((0, 2), dtype=np.int64)
    a, b = pairs[:, 0], pairs[:, 1]
    dist_ok = np.hypot(x[a] - x[b], y[a] - y[b]) <= rule.radius_m
    dt = np.abs(t[a] - t[b])
    time_ok = dt <= rule.window_s
    return np.asarray(pairs[dist_ok & time_ok], dtype=np.int64)
