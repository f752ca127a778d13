"""Procedural street-camera scenes (numpy + OpenCV) with exact labels: datasets and a demo video."""

from detectors.synth.dataset import write_dataset
from detectors.synth.objects import CLASS_NAMES, LOADS
from detectors.synth.scene import Annotation, render_scene
from detectors.synth.video import render_demo_video

__all__ = [
    "CLASS_NAMES",
    "LOADS",
    "Annotation",
    "render_demo_video",
    "render_scene",
    "write_dataset",
]
