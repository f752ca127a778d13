"""Write a YOLO-format detection dataset of generated street scenes."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import cv2

from detectors.synth.objects import CLASS_NAMES
from detectors.synth.scene import Annotation, render_scene

logger = logging.getLogger(__name__)
SPLIT_OFFSET = {"train": 0, "val": 500_000}
SEED_STRIDE = 1_000_000


def scene_seed(seed: int, split: str, index: int) -> int:
    """The scene seed of image ``index`` of ``split``: disjoint across splits and dataset seeds."""
    return seed * SEED_STRIDE + SPLIT_OFFSET[split] + index


def yolo_lines(anns: Sequence[Annotation], width_px: int, height_px: int) -> list[str]:
    """YOLO label lines ``class cx cy w h`` (normalised) for the annotations."""
    lines = []
    for a in anns:
        if a.class_name not in CLASS_NAMES:
            raise ValueError(f"unknown class {a.class_name!r}; expected one of {CLASS_NAMES}")
        x1, y1, x2, y2 = a.xyxy_px
        cx, cy = (x1 + x2) / 2 / width_px, (y1 + y2) / 2 / height_px
        w, h = (x2 - x1) / width_px, (y2 - y1) / height_px
        lines.append(f"{CLASS_NAMES.index(a.class_name)} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}")
    return lines


def _write_split(out_dir: Path, split: str, count: int, seed: int, size: tuple[int, int]) -> None:
    img_dir, lbl_dir = out_dir / "images" / split, out_dir / "labels" / split
    img_dir.mkdir(parents=True, exist_ok=True)
    lbl_dir.mkdir(parents=True, exist_ok=True)
    meta: dict[str, list[dict[str, object]]] = {}
    for i in range(count):
        name = f"{split}_{i:06d}"
        img, anns = render_scene(scene_seed(seed, split, i), *size)
        cv2.imwrite(str(img_dir / f"{name}.jpg"), img, [cv2.IMWRITE_JPEG_QUALITY, 92])
        (lbl_dir / f"{name}.txt").write_text("\n".join(yolo_lines(anns, *size)) + "\n")
        meta[name] = [
            {"class": a.class_name, "xyxy_px": list(a.xyxy_px), "load": a.load} for a in anns
        ]
    (out_dir / f"{split}_annotations.json").write_text(json.dumps(meta))
    logger.info("wrote %d %s images to %s", count, split, img_dir)


def write_dataset(out_dir: Path, n_train: int, n_val: int, seed: int, imgsz: int = 640) -> Path:
    """Render ``n_train``/``n_val`` images ``imgsz`` wide (16:9) in ``out_dir``; return data.yaml.

    Also writes ``{split}_annotations.json`` with the boxes and the truck ``load`` attribute.
    """
    if n_train < 1 or n_val < 1 or imgsz < 32:
        raise ValueError("need n_train >= 1, n_val >= 1 and imgsz >= 32")
    out_dir = Path(out_dir).resolve()
    size = (imgsz, round(imgsz * 9 / 16))
    _write_split(out_dir, "train", n_train, seed, size)
    _write_split(out_dir, "val", n_val, seed, size)
    names = "\n".join(f"  {i}: {n}" for i, n in enumerate(CLASS_NAMES))
    data_yaml = out_dir / "data.yaml"
    data_yaml.write_text(
        f"# smartscene synthetic street scenes, seed {seed}\n"
        f"path: {out_dir}\ntrain: images/train\nval: images/val\nnames:\n{names}\n"
    )
    return data_yaml
