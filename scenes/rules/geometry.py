"""Small planar geometry in relative image coordinates (x, y in [0, 1], y down)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import Polygon

Point = tuple[float, float]


class ZoneShape:
    """A prepared polygon answering "which anchors are inside?" in one vectorised call."""

    def __init__(self, polygon_rel: Sequence[Point]) -> None:
        self._geom = Polygon(polygon_rel)
        shapely.prepare(self._geom)

    def contains(self, points_rel: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
        """Boolean per row of ``points_rel`` (N, 2); points on the border count as inside."""
        if len(points_rel) == 0:
            return np.zeros(0, dtype=bool)
        inside = shapely.intersects_xy(self._geom, points_rel[:, 0], points_rel[:, 1])
        return np.asarray(inside, dtype=bool)

    def contains_point(self, point: Point) -> bool:
        """True when ``point`` is inside or on the border."""
        return bool(shapely.intersects_xy(self._geom, point[0], point[1]))


def distance(p: Point, q: Point) -> float:
    """Euclidean distance."""
    return math.hypot(p[0] - q[0], p[1] - q[1])


def boxes_overlap(
    a: tuple[float, float, float, float], b: tuple[float, float, float, float]
) -> bool:
    """True when boxes (x1, y1, x2, y2) share some area (touching edges do not count)."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def box_iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection over union of two boxes."""
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def side_of_line(a: Point, b: Point, p: Point) -> float:
    """Positive when ``p`` is right of a->b as seen on screen (y down), negative when left."""
    return (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0])


def segments_intersect(p1: Point, p2: Point, a: Point, b: Point) -> bool:
    """True when segment p1-p2 properly crosses segment a-b (touching an end point counts)."""
    d1, d2 = side_of_line(a, b, p1), side_of_line(a, b, p2)
    d3, d4 = side_of_line(p1, p2, a), side_of_line(p1, p2, b)
    return d1 * d2 <= 0 and d3 * d4 <= 0 and not (d1 == 0 and d2 == 0)


def point_segment_distance(p: Point, a: Point, b: Point) -> float:
    """Distance from ``p`` to the segment a-b."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    length2 = dx * dx + dy * dy
    if length2 == 0:
        return distance(p, a)
    u = max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length2))
    return distance(p, (a[0] + u * dx, a[1] + u * dy))


def polyline_distance(p: Point, path: Sequence[Point]) -> float:
    """Distance from ``p`` to a polyline (a single point is a degenerate polyline)."""
    if not path:
        return math.inf
    if len(path) == 1:
        return distance(p, path[0])
    return min(point_segment_distance(p, a, b) for a, b in itertools.pairwise(path))
