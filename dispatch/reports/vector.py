"""Every breakdown of a report from ``FactColumns`` with numpy: same numbers as the pure path.

Per case the measures follow ``dispatch.reports.facts`` (0/1 flags, counts, outcome bucket,
clocks and within-target flags against the category's current targets). Groups are summed in
one ``bincount`` per breakdown: the 0/1 columns of a case form a bit signature, the distinct
signatures are few, so a group's counts are (cases per signature) x (bits of the signature).
Percentiles sort each clock's values by (group, value) with one integer sort of
``group << k | microseconds`` (a lexsort when the values are not whole microseconds or the key
would not fit), then interpolate exactly as ``numpy.percentile(..., method="linear")`` does,
which is also PostgreSQL's ``percentile_cont``. Breakdowns run on a small thread pool.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from dispatch.reports.columns import (
    FactColumns,
    FloatArray,
    IntArray,
    KeyColumn,
    dense_codes,
    factorize,
)
from dispatch.reports.config import CLOCKS, Clock, Measure
from dispatch.reports.facts import OUTCOMES, ClockTargets
from dispatch.reports.model import (
    GRID_PREFIXES,
    Breakdown,
    ClockAgg,
    Dimension,
    GroupAgg,
    HistogramBin,
    grid_prefix,
)
from dispatch.reports.store_sql import (
    BIT_DISPATCHED,
    BIT_DUE_PASSED,
    BIT_EXTENDED,
    BIT_FILED,
    BIT_ON_TIME,
    BIT_REWORKED,
    BIT_SELF_HANDLED,
)

BoolArray = npt.NDArray[np.bool_]
M = Measure
_HANDLED = ("handled", "verified", "self_handled", "closed")
_TARGETED: tuple[Clock, ...] = ("discover", "arrive", "resolve")
_MAX_CELLS = 20_000_000  # groups x signatures above which columns are summed one by one
THREADS = 2
_MEASURES = [(m, m.value) for m in Measure]


def _state_in(cols: FactColumns, *states: str) -> BoolArray:
    key = cols.keys["final_state"]
    hit = np.array([label in states for label in key.labels], dtype=bool)
    return hit[key.codes] if len(key.labels) else np.zeros(len(cols), dtype=bool)


def _bit(cols: FactColumns, bit: int) -> BoolArray:
    flags: BoolArray = (cols.bits & bit) != 0
    return flags


def _targets(
    cols: FactColumns, targets: Mapping[str, ClockTargets | None]
) -> dict[Clock, FloatArray]:
    key = cols.keys["category"]
    out: dict[Clock, FloatArray] = {}
    for clock in _TARGETED:
        per_label = [getattr(targets.get(c or ""), f"{clock}_s", None) for c in key.labels]
        table = np.array([np.nan if t is None else float(t) for t in per_label], dtype=np.float64)
        out[clock] = table[key.codes] if len(table) else np.zeros(len(cols))
    return out


@dataclass(frozen=True)
class _Derived:
    zero_one: dict[str, BoolArray]  # measures, outcome buckets, clock n / with target / within
    counted: dict[Measure, IntArray]


def derive(cols: FactColumns, targets: Mapping[str, ClockTargets | None]) -> _Derived:
    """Per-case measures (``facts._measures``), outcome (``facts.outcome_of``) and clock flags."""
    filed, on_time = _bit(cols, BIT_FILED), _bit(cols, BIT_ON_TIME)
    voided, rejected, parked = (_state_in(cols, s) for s in ("voided", "rejected", "parked"))
    closed_state, handled_state = _state_in(cols, "closed"), _state_in(cols, *_HANDLED)
    limits = _targets(cols, targets)
    with np.errstate(invalid="ignore"):
        late_filing = cols.clocks["discover"] > limits["discover"]
    valid = filed & ~voided & ~rejected
    due = _bit(cols, BIT_DISPATCHED) & ~voided & ~parked
    handled = due & handled_state
    for_closure = filed & ~voided & ~parked
    closed = for_closure & closed_state
    camera = _source_is_camera(cols)
    flags = {
        M.FILED: filed, M.VALID_REPORTS: valid, M.FILED_ON_TIME: filed & ~late_filing,
        M.DUE: due, M.HANDLED: handled, M.HANDLED_ON_TIME: handled & on_time,
        M.HANDLED_LATE: handled & ~on_time,
        M.OVERDUE_OPEN: due & ~handled & _bit(cols, BIT_DUE_PASSED),
        M.EXTENDED: due & _bit(cols, BIT_EXTENDED), M.DUE_FOR_CLOSURE: for_closure,
        M.CLOSED: closed, M.CLOSED_ON_TIME: closed & on_time,
        M.REWORKED: for_closure & _bit(cols, BIT_REWORKED), M.VOIDED: voided,
        M.REJECTED: rejected, M.PARKED: parked, M.SELF_HANDLED: _bit(cols, BIT_SELF_HANDLED),
        M.CAMERA_CASES: camera, M.CAMERA_VALID: camera & valid,
    }  # fmt: skip
    zero_one: dict[str, BoolArray] = {m.value: v for m, v in flags.items()}
    outcome = _outcomes(filed, closed_state, voided, parked, handled_state, cols)
    zero_one.update({f"o_{o}": outcome == i for i, o in enumerate(OUTCOMES)})
    zero_one.update(_clock_flags(cols, limits))
    counted = {
        M.MERGED_REPORTS: cols.merged,
        M.DISPATCHES: cols.dispatches,
        M.RETURNS: cols.returns,
    }
    return _Derived(zero_one, counted)


def _source_is_camera(cols: FactColumns) -> BoolArray:
    key = cols.keys["source"]
    hit = np.array([label == "camera" for label in key.labels], dtype=bool)
    return hit[key.codes] if len(key.labels) else np.zeros(len(cols), dtype=bool)


def _outcomes(
    filed: BoolArray,
    closed: BoolArray,
    voided: BoolArray,
    parked: BoolArray,
    handled: BoolArray,
    cols: FactColumns,
) -> IntArray:
    code = {name: i for i, name in enumerate(OUTCOMES)}
    conditions = [~filed, closed, voided, parked, handled, _bit(cols, BIT_DUE_PASSED)]
    choices = [code[o] for o in ("unfiled", "closed", "voided", "parked", "awaiting_closure")]
    choices.append(code["open_overdue"])
    return np.select(conditions, choices, default=code["open"]).astype(np.int64)


def _clock_flags(cols: FactColumns, limits: dict[Clock, FloatArray]) -> dict[str, BoolArray]:
    out: dict[str, BoolArray] = {}
    for clock in CLOCKS:
        values = cols.clocks[clock]
        out[f"{clock}_n"] = ~np.isnan(values)
        if clock in limits:
            with_target = ~np.isnan(values) & ~np.isnan(limits[clock])
            out[f"{clock}_wt"] = with_target
            with np.errstate(invalid="ignore"):
                out[f"{clock}_within"] = with_target & (values <= limits[clock])
    return out


# --- grouping ----------------------------------------------------------------------------------


def _team_key(cols: FactColumns, teams: Mapping[str, str | None]) -> KeyColumn:
    staff = cols.keys["staff"]
    per_staff = factorize(None if s is None else teams.get(s) for s in staff.labels)
    codes = per_staff.codes[staff.codes] if len(staff.labels) else staff.codes
    return KeyColumn(codes, per_staff.labels)


def _groups(
    breakdown: Breakdown, keys: Mapping[str, KeyColumn], n: int
) -> tuple[IntArray, list[dict[str, str | None]]]:
    """Group code of every case and the key values of each code."""
    if not breakdown:
        return np.zeros(n, dtype=np.int64), [{}]
    if len(breakdown) == 1:  # codes are already dense
        key = keys[breakdown[0].value]
        return key.codes, [{breakdown[0].value: label} for label in key.labels]
    parts = [keys[d.value] for d in breakdown]
    combined = np.zeros(n, dtype=np.int64)
    for part in parts:
        combined = combined * max(len(part.labels), 1) + part.codes
    uniq, codes = np.unique(combined, return_inverse=True)
    labels: list[dict[str, str | None]] = []
    for value in uniq.tolist():
        row: dict[str, str | None] = {}
        for dim, part in reversed(list(zip(breakdown, parts, strict=True))):
            value, code = divmod(value, max(len(part.labels), 1))
            row[dim.value] = part.labels[code]
        labels.append(row)
    return codes.astype(np.int64), labels


@dataclass(frozen=True)
class _Signatures:
    codes: IntArray  # signature index per case
    table: IntArray  # signatures x summed columns (zero-one flags, then small counts)
    names: list[str]


_COUNT_BITS = 9


def _signatures(derived: _Derived, n: int) -> _Signatures:
    """Distinct combinations of the zero-one columns (and of the counts when they are small)."""
    names = list(derived.zero_one)
    sig = np.zeros(n, dtype=np.int64)
    for i, name in enumerate(names):
        sig |= derived.zero_one[name].astype(np.int64) << i
    widths = [1] * len(names)
    counts = list(derived.counted.items())
    small = all(len(v) == 0 or (v.min() >= 0 and v.max() < 2**_COUNT_BITS) for _, v in counts)
    flags = len(names)
    if small and flags + _COUNT_BITS * len(counts) <= 63:
        for j, (measure, values) in enumerate(counts):
            sig |= values << (flags + _COUNT_BITS * j)
            names.append(measure.value)
            widths.append(_COUNT_BITS)
    uniq, codes = dense_codes(sig)
    shifts = np.cumsum([0, *widths[:-1]], dtype=np.int64)
    masks = (np.int64(1) << np.array(widths, dtype=np.int64)) - 1
    table = (uniq[:, None] >> shifts[None, :]) & masks[None, :]
    return _Signatures(codes.astype(np.int64), table, names)


def _sums(g: IntArray, size: int, sigs: _Signatures, derived: _Derived) -> dict[str, IntArray]:
    """Per group, every summed column (zero-one flags, outcome buckets, clock flags, counts)."""
    s = sigs.table.shape[0]
    if size * s <= _MAX_CELLS:
        cells = np.bincount(g * s + sigs.codes, minlength=size * s).reshape(size, s)
        matrix = cells @ sigs.table
        out = {name: matrix[:, i] for i, name in enumerate(sigs.names)}
    else:
        out = {name: _count(g, derived.zero_one[name], size) for name in derived.zero_one}
    for measure, values in derived.counted.items():
        if measure.value not in out:
            out[measure.value] = _count(g, values, size)
    return out


def _count(g: IntArray, weights: npt.NDArray[np.generic], size: int) -> IntArray:
    return np.rint(np.bincount(g, weights=weights, minlength=size)).astype(np.int64)


@dataclass(frozen=True)
class _ClockData:
    present: IntArray  # cases with a value
    values: FloatArray  # their values (seconds)
    offset_us: IntArray  # the same in whole microseconds above ``base_us``
    base_us: int
    exact: bool  # every value is a whole number of microseconds


def _clock_data(cols: FactColumns) -> dict[Clock, _ClockData]:
    out: dict[Clock, _ClockData] = {}
    for clock in CLOCKS:
        raw = cols.clocks[clock]
        present = np.flatnonzero(~np.isnan(raw))
        values = raw[present]
        micros = np.rint(values * 1e6).astype(np.int64)
        exact = bool(np.array_equal(micros / 1e6, values))
        base = int(micros.min()) if len(micros) else 0
        out[clock] = _ClockData(present, values, micros - base, base, exact)
    return out


def _clock_stats(g: IntArray, size: int, data: _ClockData) -> tuple[list[Any], ...]:
    """Per group: n, sum of seconds, p50, p90 (None where empty), as lists."""
    gp = g[data.present]
    counts = np.bincount(gp, minlength=size)
    starts = np.cumsum(counts) - counts
    shift = max(int(data.offset_us.max()).bit_length(), 1) if len(gp) else 1
    if data.exact and shift + max(size - 1, 1).bit_length() <= 62:
        key = (gp << shift) | data.offset_us  # one integer sort instead of an argsort
        key.sort()
        grouped_us = key & ((1 << shift) - 1)
        some = counts > 0
        sums_us = np.zeros(size, dtype=np.int64)
        sums_us[some] = np.add.reduceat(grouped_us, starts[some]) if len(gp) else 0
        sums: FloatArray = (sums_us + counts * data.base_us) / 1e6

        def take(index: IntArray) -> FloatArray:
            return (grouped_us[index] + data.base_us) / 1e6  # the stored floats, exactly

    else:
        grouped = data.values[np.lexsort((data.values, gp))]
        sums = np.bincount(gp, weights=data.values, minlength=size).astype(np.float64)

        def take(index: IntArray) -> FloatArray:
            return grouped[index]

    p50, p90 = (quantile(take, starts, counts, q) for q in (0.5, 0.9))
    return counts.tolist(), sums.tolist(), p50, p90


def quantile(
    take: Callable[[IntArray], FloatArray], starts: IntArray, counts: IntArray, q: float
) -> list[float | None]:
    """``numpy.percentile(values, 100 * q)`` (linear) of each group's sorted values; ``take``
    gives the sorted values at positions (groups are consecutive slices from ``starts``)."""
    out: list[float | None] = [None] * counts.shape[0]
    some = np.flatnonzero(counts > 0)
    n = counts[some].astype(np.float64)
    first = starts[some]
    virtual = (n - 1) * q
    below = np.floor(virtual)
    last = virtual >= n - 1
    lo = np.where(last, n - 1, below).astype(np.int64)
    hi = np.where(last, n - 1, below + 1).astype(np.int64)
    t = virtual - np.where(last, -1.0, below)
    a, b = take(first + lo), take(first + hi)
    diff = b - a
    values = np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)
    for i, v in zip(some.tolist(), values.tolist(), strict=True):
        out[i] = v
    return out


def _prefix_key(grid: KeyColumn, digits: int, grid_codes: Mapping[str, str]) -> KeyColumn:
    """Street or community codes from the grid column (only its labels are looked at)."""
    codes = (None if label is None else grid_codes.get(label) for label in grid.labels)
    prefixed = factorize(grid_prefix(code, digits) for code in codes)
    if not len(grid.codes):
        return KeyColumn(grid.codes, prefixed.labels)
    return KeyColumn(prefixed.codes[grid.codes], prefixed.labels)


# --- assembly ----------------------------------------------------------------------------------


def aggregate_columns(
    cols: FactColumns,
    breakdowns: Sequence[Breakdown],
    *,
    targets: Mapping[str, ClockTargets | None],
    teams: Mapping[str, str | None],
    grid_codes: Mapping[str, str] | None = None,
) -> dict[Breakdown, list[GroupAgg]]:
    """One ``GroupAgg`` per non-empty group of every breakdown (``()`` = overall);
    ``grid_codes`` (grid area id -> code) feeds the street and community breakdowns."""
    n = len(cols)
    keys = dict(cols.keys)
    if any(Dimension.TEAM in b for b in breakdowns):
        keys[Dimension.TEAM.value] = _team_key(cols, teams)
    for dim, digits in GRID_PREFIXES.items():
        if any(dim in b for b in breakdowns):
            keys[dim.value] = _prefix_key(keys[Dimension.GRID.value], digits, grid_codes or {})
    derived = derive(cols, targets)
    sigs = _signatures(derived, n)
    clocks = _clock_data(cols)

    def rows(breakdown: Breakdown) -> list[GroupAgg]:
        g, labels = _groups(breakdown, keys, n)
        return _breakdown_rows(g, labels, sigs, derived, clocks)

    if THREADS <= 1 or len(breakdowns) <= 1:
        return {b: rows(b) for b in breakdowns}
    with ThreadPoolExecutor(max_workers=THREADS) as pool:  # numpy releases the GIL
        return dict(zip(breakdowns, pool.map(rows, breakdowns), strict=True))


def _breakdown_rows(
    g: IntArray,
    labels: list[dict[str, str | None]],
    sigs: _Signatures,
    derived: _Derived,
    clocks: dict[Clock, _ClockData],
) -> list[GroupAgg]:
    size = len(labels)
    sizes = np.bincount(g, minlength=size).tolist()
    sums = {name: v.tolist() for name, v in _sums(g, size, sigs, derived).items()}
    correct = [d - r for d, r in zip(sums[M.DISPATCHES.value], sums[M.RETURNS.value], strict=True)]
    sums[M.CORRECT_DISPATCHES.value] = correct
    stats = {c: _clock_stats(g, size, clocks[c]) for c in CLOCKS}
    rows = []
    for i in (i for i in range(size) if sizes[i]):
        counts = {m: sizes[i] if m is M.CASES else sums[key][i] for m, key in _MEASURES}
        rows.append(
            GroupAgg(
                keys=labels[i],
                counts=counts,
                outcomes={o: sums[f"o_{o}"][i] for o in OUTCOMES},
                clocks={c: _clock_agg(stats[c], sums, c, i) for c in CLOCKS},
            )
        )
    return rows


def _clock_agg(
    stats: tuple[list[Any], ...], sums: Mapping[str, list[int]], clock: Clock, i: int
) -> ClockAgg:
    counts, total, p50, p90 = stats
    n = int(counts[i])
    with_target = sums[f"{clock}_wt"][i] if f"{clock}_wt" in sums else 0
    within = sums[f"{clock}_within"][i] if f"{clock}_within" in sums else 0
    if n == 0:
        return ClockAgg.of(0, None, None, None, with_target, within)
    return ClockAgg.of(n, total[i] / n, p50[i], p90[i], with_target, within)


def histogram_columns(cols: FactColumns, edges_s: Sequence[float]) -> dict[str, list[HistogramBin]]:
    """Per clock, cases per bin ``(edge[i-1], edge[i]]``; the last bin has no upper bound."""
    edges = np.asarray(edges_s, dtype=np.float64)
    uppers: list[float | None] = [*edges_s, None]
    out: dict[str, list[HistogramBin]] = {}
    for clock in CLOCKS:
        values = cols.clocks[clock]
        bins = np.searchsorted(edges, values[~np.isnan(values)], side="left")
        counts = np.bincount(bins, minlength=len(uppers))
        out[clock] = [
            HistogramBin(upper_s=u, count=int(c)) for u, c in zip(uppers, counts, strict=True)
        ]
    return out
