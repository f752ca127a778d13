"""Expected values of the scenario (``scenario.py``), worked out by hand, not by the code.

Per case: the 0/1 measures (letters below), dispatch/return/merge counts, the four clocks in
seconds with their within-target flags, the staff of the last arrival and the outcome. Totals,
percentiles and indicators for the 28 cases in range follow, with the arithmetic in comments.
"""

from __future__ import annotations

from fractions import Fraction

from dispatch.reports.config import Measure

M = Measure
LETTERS = {
    "F": M.FILED, "V": M.VALID_REPORTS, "T": M.FILED_ON_TIME, "D": M.DUE, "H": M.HANDLED,
    "O": M.HANDLED_ON_TIME, "L": M.HANDLED_LATE, "X": M.OVERDUE_OPEN, "E": M.EXTENDED,
    "C": M.DUE_FOR_CLOSURE, "Z": M.CLOSED, "Q": M.CLOSED_ON_TIME, "R": M.REWORKED,
    "v": M.VOIDED, "j": M.REJECTED, "p": M.PARKED, "s": M.SELF_HANDLED, "K": M.CAMERA_CASES,
    "k": M.CAMERA_VALID,
}  # fmt: skip
Y, N, U = True, False, None
# name: (flags, (dispatches, returns, merged), (discover, arrive, resolve, handling) s,
#        (discover_ok, arrive_ok, resolve_ok), staff, outcome)
# fmt: off
CASES = {
    "c01": ("FVTDHOCZQKk", (1, 0, 0), (120, 480, 1260, 1740), (Y, Y, Y), "s1", "closed"),
    "c02": ("FVDHOCZQKk", (1, 0, 0), (300, 720, 420, 1140), (N, N, Y), "s2", "closed"),
    "c03": ("FVTDHLCZKk", (1, 0, 0), (60, 480, 2100, 2580), (Y, Y, N), "s1", "closed"),
    "c04": ("FVTDHOCZQRKk", (2, 0, 0), (180, 300, 840, 2340), (Y, Y, Y), "s1", "closed"),
    "c05": ("FVTDHOECZQ", (1, 0, 0), (60, 420, 2520, 2940), (Y, Y, N), "s2", "closed"),
    "c06": ("FVTDHLECZ", (1, 0, 0), (120, 480, 3660, 4140), (Y, Y, N), "s3", "closed"),
    "c07": ("FTvK", (0, 0, 0), (60, U, U, U), (Y, U, U), None, "voided"),
    "c08": ("j", (0, 0, 0), (U, U, U, U), (U, U, U), None, "unfiled"),
    "c09": ("FVTDHOCZQKk", (1, 0, 2), (120, 420, 780, 1200), (Y, Y, Y), "s3", "closed"),
    "c10": ("FVTCZQs", (0, 0, 0), (900, U, U, U), (U, U, U), None, "closed"),
    "c11": ("FVTDHOCZQ", (2, 1, 0), (4800, 3000, 4800, 10200), (U, U, U), "s3", "closed"),
    "c12": ("FTv", (1, 1, 0), (2400, U, U, U), (U, U, U), None, "voided"),
    "c13": ("FVTp", (0, 0, 0), (300, U, U, U), (U, U, U), None, "parked"),
    "c14": ("FVTDHLCZ", (2, 0, 0), (60, 600, 1200, 7740), (Y, Y, Y), "s2", "closed"),
    "c15": ("FVTDHOCZQKk", (1, 0, 0), (120, 420, 900, 1440), (Y, Y, Y), "s2", "closed"),
    "c16": ("FVTDCKk", (1, 0, 0), (60, U, U, U), (Y, U, U), None, "open"),
    "c17": ("FVTDXCKk", (1, 0, 0), (120, 660, U, U), (Y, N, U), "s1", "open_overdue"),
    "c18": ("FVTDHOCKk", (1, 0, 0), (180, 300, 780, 1080), (Y, Y, Y), "s2", "awaiting_closure"),
    "c19": ("", (0, 0, 0), (U, U, U, U), (U, U, U), None, "unfiled"),
    "c20": ("FVTDHOCZQ", (1, 0, 0), (600, 3000, 3600, 6600), (U, U, U), "s1", "closed"),
    "c21": ("FVTDHLCZ", (1, 0, 0), (3600, 3600, 36000, 39600), (U, U, U), "s3", "closed"),
    "c22": ("FVTDHOCRKk", (3, 0, 0), (60, 360, 420, 2340), (Y, Y, Y), "s1", "awaiting_closure"),
    "c23": ("FVTDXCKk", (1, 1, 0), (120, U, U, U), (Y, U, U), None, "open_overdue"),
    "c24": ("FVTDHOCZQKk", (1, 0, 0), (120, 300, 900, 1200), (Y, Y, Y), "s3", "closed"),
    "c25": ("FVTDHLCZ", (1, 0, 0), (60, 600, 1800, 2400), (Y, Y, Y), "s2", "closed"),
    "c26": ("vK", (0, 0, 0), (U, U, U, U), (U, U, U), None, "unfiled"),
    "c27": ("FVTDEC", (1, 0, 0), (600, 1500, U, U), (U, U, U), "s3", "open"),
    "c30": ("FVTCs", (0, 0, 0), (300, U, U, U), (U, U, U), None, "awaiting_closure"),
}
# fmt: on
OUT_OF_RANGE = ("c28", "c29")

# Totals over the 28 cases (counted from the table above, letter by letter).
COUNTS = {
    M.CASES: 28, M.MERGED_REPORTS: 2, M.FILED: 25, M.VALID_REPORTS: 23, M.FILED_ON_TIME: 24,
    M.DISPATCHES: 26, M.RETURNS: 3, M.CORRECT_DISPATCHES: 23, M.DUE: 20, M.HANDLED: 16,
    M.HANDLED_ON_TIME: 11, M.HANDLED_LATE: 5, M.OVERDUE_OPEN: 2, M.EXTENDED: 3,
    M.DUE_FOR_CLOSURE: 22, M.CLOSED: 15, M.CLOSED_ON_TIME: 10, M.REWORKED: 2, M.VOIDED: 3,
    M.REJECTED: 1, M.PARKED: 1, M.SELF_HANDLED: 2, M.CAMERA_CASES: 14, M.CAMERA_VALID: 12,
}  # fmt: skip
OUTCOMES = {
    "unfiled": 3, "closed": 15, "voided": 2, "parked": 1, "awaiting_closure": 3,
    "open_overdue": 2, "open": 2,
}  # fmt: skip
INDICATORS = {
    "valid_report_rate": Fraction(23, 28),
    "on_time_filing_rate": Fraction(24, 25),
    "accurate_dispatch_rate": Fraction(23, 26),
    "handling_rate": Fraction(16, 20),
    "on_time_handling_rate": Fraction(11, 20),
    "late_handling_rate": Fraction(5, 20),
    "overdue_pending_rate": Fraction(2, 20),
    "rework_rate": Fraction(2, 22),
    "extension_rate": Fraction(3, 20),
    "closure_rate": Fraction(15, 22),
    "on_time_closure_rate": Fraction(10, 22),
    "mean_handling_s": Fraction(88680, 16),  # = 5542.5
    "ai_precision": Fraction(12, 14),
}
# 30*16/20 + 20*11/20 + 20*(1-2/22) + 20*(1-2/20) + 10*(1-3/20) = 24 + 11 + 400/22 + 18 + 8.5
COMPOSITE = 61.5 + 400 / 22  # 79.681818...

# Clocks: (n, mean, p50, p90, with_target, within). Sorted values and positions:
# discover (25): 60x7 120x7 180x2 300x3 600x2 900 2400 3600 4800; sum 15420 -> mean 616.8;
#   p50 = x[12] = 120; p90 = x[21.6] = 900 + 0.6 * (2400 - 900) = 1800; MT filed 17, ok 16.
# arrive (18): 300x3 360 420x3 480x3 600x2 660 720 1500 3000x2 3600; sum 17640 -> 980;
#   p50 = x[8.5] = 480; p90 = x[15.3] = 3000; MT arrived 14, ok 12 (c02 720, c17 660 late).
# resolve (16): 420x2 780x2 840 900x2 1200 1260 1800 2100 2520 3600 3660 4800 36000;
#   sum 61980 -> 3873.75; p50 = x[7.5] = 1230; p90 = x[13.5] = 3660 + 0.5 * 1140 = 4230;
#   MT handled 13, ok 10 (c03, c05, c06 over 1800).
# handling (16): 1080 1140 1200x2 1440 1740 2340x2 2400 2580 2940 4140 6600 7740 10200 39600;
#   sum 88680 -> 5542.5; p50 = x[7.5] = 2370; p90 = x[13.5] = 7740 + 0.5 * 2460 = 8970.
CLOCKS = {
    "discover": (25, 616.8, 120.0, 1800.0, 17, 16),
    "arrive": (18, 980.0, 480.0, 3000.0, 14, 12),
    "resolve": (16, 3873.75, 1230.0, 4230.0, 13, 10),
    "handling": (16, 5542.5, 2370.0, 8970.0, 0, 0),
}
# arrive histogram with the default edges (60, 180, 300, 600, 900, 1800, 3600, ...):
# (180,300]: 3; (300,600]: 360, 420x3, 480x3, 600x2 = 9; (600,900]: 660, 720 = 2;
# (900,1800]: 1500; (1800,3600]: 3000x2, 3600 = 3.
ARRIVE_HISTOGRAM = [0, 0, 3, 9, 2, 1, 3, 0, 0, 0, 0, 0]

# Breakdowns: (cases, due, handled, handled_on_time, overdue_open, due_for_closure, closed,
#              reworked, extended, composite).
# D1 = c01-05, c07, c10, c12, c13, c15, c17, c19, c20, c22, c23, c30;
#   composite 30*8/10 + 20*7/10 + 20*(1-2/12) + 20*(1-2/10) + 10*(1-1/10) = 63 + 50/3.
# D2 = c06, c08, c09, c11, c14, c16, c18, c21, c24-c27;
#   composite 30*8/10 + 20*4/10 + 20 + 20 + 10*(1-2/10) = 80.
DISTRICTS = {
    "D1": (16, 10, 8, 7, 2, 12, 8, 2, 1, 63 + 50 / 3),
    "D2": (12, 10, 8, 4, 0, 10, 7, 0, 2, 80.0),
}
# Day 1 (2026-11-23 local) = c01-c15, c20, c21; day 2 = the rest.
DAYS = {"2026-11-23": (17, 12, 12, 13), "2026-11-24": (11, 8, 4, 2)}  # cases, due, handled, closed
# Staff of the last arrival; s1 arrivals 300 360 480 480 660 3000: p50 = 480, p90 = x[4.5] = 1830.
STAFF = {"s1": 6, "s2": 6, "s3": 6, None: 10}
STAFF_S1_ARRIVE = (480.0, 1830.0)
TEAMS = {"T1": 12, "T2": 6, None: 10}
SOURCES = {"camera": 14, "citizen": 5, "inspector": 8, "sensor": 1}
CATEGORIES = {"06010": 10, "MT_SPILL": 18}
# AI precision per camera: cam1 = c01 c02 c07 c15 c17 c22 c24 (c07 voided); cam2 = c03 c04 c09
# c16 c18 c23 c26 (c26 voided).
CAMERAS = {"cam1": Fraction(6, 7), "cam2": Fraction(6, 7), None: None}
