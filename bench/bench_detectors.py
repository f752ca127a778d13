"""Detector latency on CPU: PyTorch (Ultralytics) vs ONNX Runtime vs OpenVINO, 1 and 2 threads.

Every figure is end-to-end per frame (letterbox, inference, decode/NMS) on 640x360 generated
street frames.
Exports are made under var/ on first use. Run from the repo root:

    YOLO_OFFLINE=1 .venv/bin/python bench/bench_detectors.py --imgsz 320 --imgsz 640
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from detectors.offline import prepare_offline_runtime
from detectors.synth import render_scene

REPO = Path(__file__).resolve().parents[1]
WEIGHTS = REPO / "detectors" / "weights" / "smartscene-demo-yolo.pt"


def timed_ms(
    fn: Callable[[np.ndarray], object], frames: list[np.ndarray], warmup: int = 3
) -> float:
    for f in frames[:warmup]:
        fn(f)
    samples = []
    for f in frames:
        t0 = time.perf_counter()
        fn(f)
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def export_paths(out_dir: Path, imgsz: int) -> dict[str, Path]:
    from detectors.training import export_model

    target = out_dir / f"imgsz{imgsz}"
    onnx = target / "smartscene-demo-yolo.onnx"
    ov = target / "smartscene-demo-yolo_openvino_model"
    if not onnx.is_file():
        onnx = export_model(WEIGHTS, "onnx", out_dir=target, imgsz=imgsz)
    if not ov.is_dir():
        ov = export_model(WEIGHTS, "openvino", out_dir=target, imgsz=imgsz)
    return {"onnx": onnx, "openvino": ov}


def stock_predict(imgsz: int, threads: int) -> Callable[[np.ndarray], object]:
    import torch
    from ultralytics import YOLO  # type: ignore[attr-defined]

    torch.set_num_threads(threads)
    model = YOLO(str(WEIGHTS))
    return lambda f: model.predict(f, imgsz=imgsz, conf=0.25, device="cpu", verbose=False)


def ours(path: Path, imgsz: int, threads: int) -> Callable[[np.ndarray], object]:
    from detectors.runtimes import load_detector

    det = load_detector(path, imgsz=imgsz, conf=0.25, threads=threads)
    return lambda f: det.detect([f])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--imgsz", type=int, action="append", help="repeatable; default 320 and 640"
    )
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--out-dir", type=Path, default=REPO / "var" / "bench-export")
    args = parser.parse_args()
    prepare_offline_runtime()
    frames = [render_scene(990_000 + i)[0] for i in range(args.frames)]
    print(
        f"{'imgsz':>5} {'thr':>3} {'stock .pt':>10} {'ours .pt':>9} {'ORT':>8} {'OpenVINO':>9}"
        "  ratios vs stock"
    )
    for imgsz in args.imgsz or [320, 640]:
        paths = export_paths(args.out_dir, imgsz)
        for threads in (1, 2):
            row = {
                "stock": timed_ms(stock_predict(imgsz, threads), frames),
                "pt": timed_ms(ours(WEIGHTS, imgsz, threads), frames),
                "ort": timed_ms(ours(paths["onnx"], imgsz, threads), frames),
                "ov": timed_ms(ours(paths["openvino"], imgsz, threads), frames),
            }
            ratios = " ".join(
                f"{k}={row['stock'] / v:.2f}x" for k, v in row.items() if k != "stock"
            )
            print(
                f"{imgsz:>5} {threads:>3} {row['stock']:>8.1f}ms {row['pt']:>7.1f}ms "
                f"{row['ort']:>6.1f}ms {row['ov']:>7.1f}ms  {ratios}"
            )


if __name__ == "__main__":
    main()
