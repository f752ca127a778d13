"""The numpy building blocks of the facts path against numpy's own reference functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from dispatch.reports.columns import FactColumns, dense_codes, factorize, micros_of, period_key
from dispatch.reports.model import Dimension
from dispatch.reports.store_sql import BIT_DISPATCHED, BIT_FILED
from dispatch.reports.vector import _clock_data, _clock_stats, aggregate_columns, quantile

RNG = np.random.default_rng(7)
T0 = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "values",
    [
        [5.0],
        [1.0, 2.0],
        [3.0, 1.0, 2.0],
        [1.0, 1.0, 1.0, 7.0],
        [0.5, 0.25, 10.0, 3.0, 3.0, 8.0, 1e6, 2.0, 2.0, 4.0, 9.5],
        list(RNG.random(97) * 3600),
    ],
)
def test_quantile_is_numpy_percentile_per_group(values: list[float]) -> None:
    data = np.sort(np.array(values))
    # two groups: the values, and the same values shifted (group 1 starts after group 0)
    grouped = np.concatenate([data, data + 100.0])
    starts = np.array([0, len(data), 2 * len(data)])
    counts = np.array([len(data), len(data), 0])
    for q in (0.5, 0.9):
        got = quantile(lambda i: grouped[i], starts, counts, q)
        want = [float(np.percentile(data, 100 * q)), float(np.percentile(data + 100, 100 * q))]
        assert got == [*want, None], q


@pytest.mark.parametrize(
    ("values", "exact"),
    [
        ([60.0, 120.5, 0.000001, 3600.25, 3600.25], True),  # whole microseconds: integer sort
        ([0.1234567, 1.0000001, 2.5, 0.3], False),  # finer than a microsecond: lexsort
        ([-30.0, 12.0, 7.0], True),  # negative durations (clock skew) still sort
    ],
)
def test_clock_stats_match_numpy_on_both_sort_paths(values: list[float], exact: bool) -> None:
    clocks = {c: np.array(values) for c in ("discover", "arrive", "resolve", "handling")}
    cols = _columns(len(values), clocks)
    data = _clock_data(cols)["arrive"]
    assert data.exact is exact
    groups = np.array([i % 2 for i in range(len(values))])
    counts, sums, p50, p90 = _clock_stats(groups, 2, data)
    for g in (0, 1):
        member = np.array(values)[groups == g]
        assert counts[g] == len(member)
        assert sums[g] == pytest.approx(member.sum(), rel=1e-12)
        assert (p50[g], p90[g]) == (np.percentile(member, 50), np.percentile(member, 90))


@pytest.mark.parametrize(
    "values",
    [
        RNG.integers(-(2**63), 2**63 - 1, 300, dtype=np.int64)[RNG.integers(0, 300, 50_000)],
        np.concatenate([np.zeros(10_000, dtype=np.int64), np.arange(5, dtype=np.int64) << 40]),
        np.array([7, -7, 7, 0], dtype=np.int64),
        np.zeros(0, dtype=np.int64),
    ],
    ids=["hashes", "rare values the sample misses", "tiny", "empty"],
)
def test_dense_codes_equal_numpy_unique(values: np.ndarray) -> None:
    uniq, codes = dense_codes(values)
    want_uniq, want_codes = np.unique(values, return_inverse=True)
    assert np.array_equal(uniq, want_uniq)
    assert np.array_equal(codes, want_codes)


@pytest.mark.parametrize(
    ("offset", "label"),
    [(timedelta(0), "a"), (timedelta(hours=24) - timedelta(microseconds=1), "a"),
     (timedelta(hours=24), "b"), (timedelta(days=9), "b")],
)  # fmt: skip
def test_period_key_takes_the_last_period_started(offset: timedelta, label: str) -> None:
    key = period_key(np.array([micros_of(T0 + offset)]), [(T0, "a"), (T0 + timedelta(days=1), "b")])
    assert key.labels[int(key.codes[0])] == label


def _columns(n: int, clocks: dict[str, np.ndarray]) -> FactColumns:
    zeros = np.zeros(n, dtype=np.int64)
    keys = {
        "category": factorize(["MT_SPILL"] * n),
        "source": factorize(["camera" if i % 2 else "citizen" for i in range(n)]),
        "final_state": factorize(["closed"] * n),
        "staff": factorize([f"s{i % 3}" if i % 4 else None for i in range(n)]),
    }
    bits = np.full(n, BIT_FILED | BIT_DISPATCHED, dtype=np.int64)
    return FactColumns(keys, bits, zeros + 1, zeros, zeros, clocks)  # type: ignore[arg-type]


def test_team_breakdown_maps_staff_to_their_current_team() -> None:
    clocks = {c: np.full(8, np.nan) for c in ("discover", "arrive", "resolve", "handling")}
    cols = _columns(8, clocks)
    teams = {"s1": "T1", "s2": "T1"}  # s0 is in no team; two cases have no staff at all
    out = aggregate_columns(cols, [(Dimension.TEAM,)], targets={}, teams=teams)
    sizes = {row.keys["team"]: row.counts["cases"] for row in out[(Dimension.TEAM,)]}
    staff = [f"s{i % 3}" if i % 4 else None for i in range(8)]
    want: dict[str | None, int] = {}
    for s in staff:
        team = None if s is None else teams.get(s)
        want[team] = want.get(team, 0) + 1
    assert sizes == want
