"""Rules about movement: line crossing (image plane) and speed (calibrated ground plane)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime

from pyproj import Geod

from detectors.detections import Detections
from scenes.rule_config import LineCrossingRuleConfig, SpeedRuleConfig
from scenes.rules.base import (
    BuildContext,
    CalibrationRequiredError,
    FrameMeta,
    GroundMapper,
    ObjectView,
    Point,
    RuleHit,
    SceneTime,
    object_views,
    view_matcher,
)
from scenes.rules.geometry import segments_intersect, side_of_line
from scenes.rules.presence import FrameContext, TrackRule
from scenes.rules.state import Episode, FireGate

_MPS_TO_KMH = 3.6


@dataclass
class _LineTrack:
    anchor_rel: Point
    side: float
    last_t: float
    frames: int = 1


class LineCrossingRule:
    """Fires when a track's bottom-centre crosses the line segment in the wanted direction.

    The side is remembered as the last non-zero side, so jitter exactly on the line does not
    count twice; the fire gate stops a track flickering across the line from firing again.
    """

    def __init__(self, config: LineCrossingRuleConfig, ctx: BuildContext) -> None:
        line = ctx.scene.line(config.line_id)
        self.rule_id = config.id
        self._config = config
        self._a, self._b = line.a, line.b
        self._direction = config.direction or line.direction
        self._matches = view_matcher(
            config.object_classes, config.attributes, config.min_confidence
        )
        self._time = SceneTime(ctx.scene.max_frame_gap_s)
        self._gate = FireGate(
            config.cooldown_s, config.id_switch_radius_rel, max(config.exit_grace_s, 2.0)
        )
        self._tracks: dict[int, _LineTrack] = {}

    def step(self, meta: FrameMeta, detections: Detections) -> list[RuleHit]:
        """Consume one frame; return crossings that fired."""
        t = self._time.tick(meta.timestamp)
        views = [v for v in object_views(meta, detections) if v.track_id >= 0 and self._matches(v)]
        self._gate.seen(views, t)
        hits = [hit for v in views if (hit := self._follow(v, t, meta))]
        for track_id in [k for k, tr in self._tracks.items() if t - tr.last_t > self._grace_s]:
            del self._tracks[track_id]
        self._gate.prune(t)
        return hits

    @property
    def _grace_s(self) -> float:
        return self._config.exit_grace_s

    def reset(self) -> None:
        """Forget track positions; cooldowns stay."""
        self._tracks.clear()

    def _follow(self, view: ObjectView, t: float, meta: FrameMeta) -> RuleHit | None:
        side = side_of_line(self._a, self._b, view.anchor_rel)
        track = self._tracks.get(view.track_id)
        if track is None or t - track.last_t > self._grace_s:
            self._tracks[view.track_id] = _LineTrack(view.anchor_rel, side, t)
            return None
        crossed = (
            side != 0
            and track.side != 0
            and (side > 0) != (track.side > 0)
            and segments_intersect(track.anchor_rel, view.anchor_rel, self._a, self._b)
        )
        seen_frames = track.frames
        track.anchor_rel, track.last_t, track.frames = view.anchor_rel, t, track.frames + 1
        if side != 0:
            track.side = side
        if not crossed or seen_frames < self._config.min_frames:
            return None
        if not self._direction_ok(side) or not self._gate.allow(view, t):
            return None
        self._gate.record(view, t)
        return self._hit(view, meta.timestamp)

    def _direction_ok(self, side_after: float) -> bool:
        if self._direction == "left_to_right":
            return side_after > 0
        if self._direction == "right_to_left":
            return side_after < 0
        return True

    def _hit(self, view: ObjectView, at: datetime) -> RuleHit:
        label = self._config.name or self._config.kind
        return RuleHit(
            rule_id=self.rule_id,
            category_code=self._config.category_code,
            occurred_at=at,
            detected_at=at,
            track_id=view.track_id,
            object_class=view.class_name,
            confidence=view.confidence,
            anchor_px=view.anchor_px,
            anchor_rel=view.anchor_rel,
            box_xyxy_px=view.box_xyxy_px,
            attributes={**view.attributes, "direction": self._direction},
            description=f"{label}: {view.class_name} #{view.track_id} crossed",
        )


class SpeedRule(TrackRule):
    """Ground speed over a sliding window above ``max_speed_kmh`` for ``min_frames``.

    Speed is the ground displacement between the oldest and newest sample inside ``window_s``
    divided by their time span (robust to anchor jitter), measured on the WGS84 ellipsoid. The
    ground length of ``anchor_uncertainty_px`` at each end is taken off the displacement first:
    far from the camera one pixel is metres of road, and box jitter must not make speed.
    """

    def __init__(self, config: SpeedRuleConfig, ctx: BuildContext) -> None:
        if ctx.ground is None:
            raise CalibrationRequiredError(
                f"rule {config.id!r} measures speed and needs a calibrated camera "
                f"(pixel -> ground mapping) for camera {ctx.scene.camera_id!r}; "
                "calibrate the camera or remove the rule"
            )
        super().__init__(config, ctx, config.zone_id)
        self._ground: GroundMapper = ctx.ground
        self._speed_config = config
        self._geod = Geod(ellps="WGS84")
        self._history: dict[int, deque[tuple[float, float, float, float]]] = {}
        self._speed_kmh: dict[int, float] = {}

    def _before(self, views: list[ObjectView], frame: FrameContext) -> None:
        self._speed_kmh.clear()
        for view in views:
            if self._matches(view):
                self._sample(view, frame.t)
        horizon_s = self._speed_config.window_s + self._speed_config.exit_grace_s
        for track_id in [k for k, h in self._history.items() if frame.t - h[-1][0] > horizon_s]:
            del self._history[track_id]

    def _sample(self, view: ObjectView, t: float) -> None:
        try:
            lon, lat = self._ground.to_ground(view.anchor_px)
            slack_m = self._ground_slack_m(view.anchor_px, lon, lat)
        except (ValueError, ArithmeticError):
            return
        history = self._history.setdefault(view.track_id, deque())
        if history and history[-1][0] >= t:
            history.clear()  # rule time did not advance (clock went back): start afresh
        history.append((t, lon, lat, slack_m))
        while t - history[0][0] > self._speed_config.window_s:
            history.popleft()
        span_s = t - history[0][0]
        if span_s >= self._speed_config.min_span_s:
            _, _, dist_m = self._geod.inv(history[0][1], history[0][2], lon, lat)
            moved_m = max(0.0, float(dist_m) - history[0][3] - slack_m)
            self._speed_kmh[view.track_id] = moved_m / span_s * _MPS_TO_KMH

    def _ground_slack_m(self, px: tuple[float, float], lon: float, lat: float) -> float:
        """Ground length of ``anchor_uncertainty_px`` straight up the image from ``px``: the
        direction in which a pixel covers the most road (towards the horizon)."""
        jitter_px = self._speed_config.anchor_uncertainty_px
        if jitter_px <= 0:
            return 0.0
        lon2, lat2 = self._ground.to_ground((px[0], px[1] - jitter_px))
        _, _, slack_m = self._geod.inv(lon, lat, lon2, lat2)
        return float(slack_m)

    def _condition(self, view: ObjectView, t: float) -> bool:
        speed_kmh = self._speed_kmh.get(view.track_id)
        return speed_kmh is not None and speed_kmh > self._speed_config.max_speed_kmh

    def _hit_attributes(self, episode: Episode, frame: FrameContext) -> dict[str, str]:
        speed_kmh = self._speed_kmh.get(episode.track_id, 0.0)
        return {
            "speed_kmh": f"{speed_kmh:.1f}",
            "limit_kmh": f"{self._speed_config.max_speed_kmh:.0f}",
        }
