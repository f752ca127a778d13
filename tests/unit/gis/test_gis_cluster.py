"""Same-incident matching and batch clustering over space and time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from scipy.sparse.csgraph import connected_components

from gis.cluster import OpenIncident, SameIncidentRule, Sighting, cluster_events, find_match
from gis.datums import LocalProjection

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
LON, LAT = 114.05, 22.54
DEG_LAT_M = 111_195.0  # metres per degree of latitude


def _north(metres: Any) -> Any:
    return LAT + metres / DEG_LAT_M


RULES = {
    "muck": SameIncidentRule(radius_m=50.0, window_s=600.0),
    "vending": SameIncidentRule(radius_m=20.0, window_s=3600.0),
}
OPEN = [
    OpenIncident("inc-a", "muck", LON, LAT, T0),
    OpenIncident("inc-b", "muck", LON, _north(30.0), T0 - timedelta(seconds=100)),
    OpenIncident("inc-c", "vending", LON, LAT, T0),
    OpenIncident("inc-d", "muck", LON, _north(500.0), T0),
]


@pytest.mark.parametrize(
    ("category", "north_m", "dt_s", "expected"),
    [
        ("muck", 0.0, 10, "inc-a"),  # same spot
        ("muck", 40.0, 10, "inc-b"),  # nearer to b (10 m) than a (40 m)
        ("muck", 15.0, 10, "inc-a"),  # equidistant from a and b: the more recent wins
        ("muck", 49.0, 0, "inc-b"),
        ("muck", 0.0, 599, "inc-a"),  # inside the window
        ("muck", 0.0, 700, None),  # a: gap 700 s > 600 s; b: gap 800 s
        ("muck", 0.0, 801, None),  # both out of window
        ("muck", 0.0, -300, "inc-a"),  # late event from a slow camera still merges
        ("muck", 200.0, 0, None),  # too far from all
        ("muck", 500.0, 0, "inc-d"),
        ("vending", 10.0, 3000, "inc-c"),
        ("vending", 25.0, 0, None),  # beyond the vending radius
        ("dumping", 0.0, 0, None),  # no rule for the category
    ],
)
def test_find_match(category, north_m, dt_s, expected):
    sighting = Sighting(category, LON, _north(north_m), T0 + timedelta(seconds=dt_s))
    assert find_match(sighting, OPEN, RULES) == expected


def test_tie_breaks_on_recency_then_id():
    twins = [
        OpenIncident("z-old", "muck", LON, LAT, T0 - timedelta(seconds=60)),
        OpenIncident("b-new", "muck", LON, LAT, T0),
        OpenIncident("a-new", "muck", LON, LAT, T0),
    ]
    assert find_match(Sighting("muck", LON, LAT, T0), twins, RULES) == "a-new"


def test_default_rule_and_naive_time():
    sighting = Sighting("dumping", LON, LAT, T0)
    incidents = [OpenIncident("x", "dumping", LON, LAT, T0)]
    default = SameIncidentRule(10.0, 60.0)
    assert find_match(sighting, incidents, RULES, default_rule=default) == "x"
    assert find_match(sighting, [], RULES, default_rule=default) is None
    naive = Sighting("muck", LON, LAT, datetime(2025, 3, 1, 8, 0))  # noqa: DTZ001 - the bad input
    with pytest.raises(ValueError, match="naive"):
        find_match(naive, OPEN, RULES)


@pytest.mark.parametrize(("radius_m", "window_s"), [(-1.0, 10.0), (10.0, -1.0)])
def test_rule_validation(radius_m, window_s):
    with pytest.raises(ValueError, match=">= 0"):
        SameIncidentRule(radius_m, window_s)


@pytest.mark.parametrize(
    ("events", "groups"),
    [
        # (north_m, t_s, category) ... ; groups: which events share a cluster
        ([(0, 0, "muck"), (10, 5, "muck")], [[0, 1]]),
        ([(0, 0, "muck"), (60, 5, "muck")], [[0], [1]]),  # too far
        ([(0, 0, "muck"), (10, 700, "muck")], [[0], [1]]),  # too late
        ([(0, 0, "muck"), (10, 5, "vending")], [[0], [1]]),  # different category
        ([(0, 0, "muck"), (40, 300, "muck"), (80, 600, "muck")], [[0, 1, 2]]),  # chain
        ([(0, 0, "dumping"), (0, 0, "dumping")], [[0], [1]]),  # no rule: never merged
        ([(0, 0, "muck"), (50, 600, "muck")], [[0, 1]]),  # limits are inclusive
        ([], []),
    ],
)
def test_cluster_events_table(events, groups):
    north = np.array([e[0] for e in events], dtype=float)
    labels = cluster_events(
        np.full(len(events), LON),
        _north(north),
        np.array([e[1] for e in events], dtype=float),
        [e[2] for e in events],
        RULES,
    )
    got = sorted(sorted(np.flatnonzero(labels == k).tolist()) for k in np.unique(labels))
    assert got == sorted(groups)


def test_cluster_zero_window_merges_simultaneous_only():
    rules = {"muck": SameIncidentRule(radius_m=50.0, window_s=0.0)}
    labels = cluster_events(
        np.full(3, LON), np.full(3, LAT), np.array([0.0, 0.0, 1.0]), ["muck"] * 3, rules
    )
    assert labels[0] == labels[1] != labels[2]


def test_cluster_equals_brute_force_on_random_events():
    rng = np.random.default_rng(2)
    n = 400
    lons = LON + rng.uniform(0, 0.01, n)
    lats = LAT + rng.uniform(0, 0.01, n)
    times = rng.uniform(0, 7200, n)
    cats = rng.choice(["muck", "vending"], n)
    labels = cluster_events(lons, lats, times, cats, RULES)
    x, y = LocalProjection.around(lons, lats).to_metres(lons, lats)
    radius = np.array([RULES[c].radius_m for c in cats])
    window = np.array([RULES[c].window_s for c in cats])
    linked = (
        (cats[:, None] == cats[None, :])
        & (np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :]) <= radius[:, None])
        & (np.abs(times[:, None] - times[None, :]) <= window[:, None])
    )
    _, want = connected_components(linked, directed=False)
    # Same partition: a bijection between label sets.
    pairs = set(zip(labels.tolist(), want.tolist(), strict=True))
    assert len(pairs) == len(set(labels.tolist())) == len(set(want.tolist()))


def test_cluster_length_mismatch():
    with pytest.raises(ValueError, match="same length"):
        cluster_events(np.zeros(2), np.zeros(2), np.zeros(1), ["a", "a"], RULES)
