"""``smartscene detectors ...``: synthetic data, training, evaluation, export and the demo video."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from detectors.training import TrainConfig, TrainResult

detectors_app = typer.Typer(
    help="Detection models: data, training, evaluation, export.", no_args_is_help=True
)
console = Console()
PACKAGE_WEIGHTS = Path(__file__).resolve().parents[1] / "detectors" / "weights"
PICO_YAML = Path("detectors/models/yolo11-pico.yaml")


@detectors_app.command("generate")
def generate(
    out: Annotated[Path, typer.Option(help="Output folder (under var/).")] = Path(
        "var/datasets/synth"
    ),
    n_train: Annotated[int, typer.Option(help="Training images.")] = 800,
    n_val: Annotated[int, typer.Option(help="Validation images.")] = 200,
    seed: Annotated[int, typer.Option(help="Dataset seed.")] = 0,
    imgsz: Annotated[int, typer.Option(help="Rendered image width in pixels (16:9).")] = 640,
) -> None:
    """Render a synthetic YOLO dataset of street scenes."""
    from detectors.synth.dataset import write_dataset

    data_yaml = write_dataset(out, n_train, n_val, seed, imgsz)
    console.print(f"dataset written: [bold]{data_yaml}[/]")


@detectors_app.command("train")
def train_cmd(
    data: Annotated[Path, typer.Option(help="YOLO data.yaml (see `generate`).")],
    model_yaml: Annotated[str, typer.Option(help="Model YAML, trained from scratch.")] = str(
        PICO_YAML
    ),
    epochs: Annotated[int, typer.Option(help="Epochs (upper bound when --time-h is set).")] = 30,
    time_h: Annotated[
        float, typer.Option(help="Wall-clock budget in hours; 0 = epochs only.")
    ] = 0.0,
    imgsz: Annotated[int, typer.Option(help="Training image size.")] = 320,
    batch: Annotated[int, typer.Option(help="Batch size.")] = 16,
    seed: Annotated[int, typer.Option(help="Training seed.")] = 0,
    threads: Annotated[int, typer.Option(help="CPU threads.")] = 2,
    out: Annotated[Path, typer.Option(help="Where to copy the best weights.")] = PACKAGE_WEIGHTS
    / "smartscene-demo-yolo.pt",
    card: Annotated[Path | None, typer.Option(help="Model card JSON to write.")] = None,
    project: Annotated[Path, typer.Option(help="Run folder (gitignored).")] = Path("var/train"),
    name: Annotated[str, typer.Option(help="Run name.")] = "smartscene-demo",
    warmup_epochs: Annotated[float, typer.Option(help="Warm-up epochs.")] = 1.0,
    close_mosaic: Annotated[int, typer.Option(help="Final epochs without mosaic.")] = 3,
) -> None:
    """Train a detector on CPU from a model YAML and write its model card."""
    from detectors.training import TrainConfig, train, write_model_card

    extra: dict[str, object] = {"warmup_epochs": warmup_epochs, "close_mosaic": close_mosaic}
    if time_h > 0:
        extra["time"] = time_h
    cfg = TrainConfig(
        data, model_yaml, epochs, imgsz, batch, seed, 0, threads, 100, project, name, "ram", extra
    )
    started = datetime.now(UTC)
    result = train(cfg, out_weights=out)
    _print_metrics(result.metrics.to_dict())
    card_path = card or out.with_name("MODEL_CARD.json")
    write_model_card(card_path, _card(cfg, result, started))
    console.print(f"weights: [bold]{result.weights}[/] ({result.seconds:.0f} s); card: {card_path}")


def _card(cfg: TrainConfig, result: TrainResult, started: datetime) -> dict[str, object]:
    from detectors.training import dataset_summary, runtime_versions, trained_epochs

    weights = result.weights
    return {
        "weights": weights.name,
        "weights_bytes": weights.stat().st_size,
        "weights_sha256": hashlib.sha256(weights.read_bytes()).hexdigest(),
        "command": "smartscene detectors " + shlex.join(sys.argv[1:]),
        "config": {k: str(v) for k, v in cfg.__dict__.items()},
        "epochs_run": trained_epochs(cfg),
        "train_seconds": round(result.seconds, 1),
        "started_utc": started.isoformat(),
        "dataset": dataset_summary(cfg.data_yaml),
        "metrics_val": result.metrics.to_dict(),
        "machine": {"cpu_count": os.cpu_count(), "python": platform.python_version()},
        "versions": runtime_versions(),
    }


def _print_metrics(metrics: dict[str, object]) -> None:
    table = Table("class", "P", "R", "mAP50", "mAP50-95")
    per_class = metrics["per_class"]
    assert isinstance(per_class, dict)
    for name, m in per_class.items():
        table.add_row(name, *(f"{m[k]:.3f}" for k in ("precision", "recall", "map50", "map50_95")))
    table.add_row("all", "", "", f"{metrics['map50']:.3f}", f"{metrics['map50_95']:.3f}")
    console.print(table)


@detectors_app.command("evaluate")
def evaluate_cmd(
    data: Annotated[Path, typer.Option(help="YOLO data.yaml.")],
    weights: Annotated[
        Path, typer.Option(help="Model (.pt, .onnx or OpenVINO dir).")
    ] = PACKAGE_WEIGHTS / "smartscene-demo-yolo.pt",
    imgsz: Annotated[int, typer.Option(help="Image size.")] = 320,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Print mAP50, mAP50-95 and per-class P/R (Ultralytics' validator)."""
    from detectors.training import evaluate

    metrics = evaluate(data, weights, imgsz=imgsz).to_dict()
    if as_json:
        console.print_json(json.dumps(metrics))
    else:
        _print_metrics(metrics)


@detectors_app.command("demo-video")
def demo_video(
    out: Annotated[
        Path, typer.Option(help="Output .mp4 (a .json sidecar is written beside it).")
    ] = Path("var/demo/street.mp4"),
    seconds: Annotated[float, typer.Option(help="Duration in seconds.")] = 20.0,
    fps: Annotated[int, typer.Option(help="Frames per second.")] = 10,
    seed: Annotated[int, typer.Option(help="Scene seed.")] = 7,
) -> None:
    """Render the demo street video with ground truth."""
    from detectors.synth.video import render_demo_video

    path = render_demo_video(out, seconds=seconds, fps=fps, seed=seed)
    console.print(f"video: [bold]{path}[/], ground truth: {path.with_suffix('.json')}")


@detectors_app.command("export")
def export_cmd(
    weights: Annotated[Path, typer.Option(help="Source .pt weights.")] = PACKAGE_WEIGHTS
    / "smartscene-demo-yolo.pt",
    fmt: Annotated[
        list[str], typer.Option("--format", help="onnx and/or openvino (repeatable).")
    ] = ["onnx"],  # noqa: B006
    int8: Annotated[
        bool, typer.Option(help="Also export static INT8 (ONNX Runtime quantization).")
    ] = False,
    data: Annotated[
        Path | None, typer.Option(help="data.yaml: INT8 calibration and accuracy report.")
    ] = None,
    out_dir: Annotated[Path, typer.Option(help="Output folder (gitignored).")] = Path("var/export"),
    imgsz: Annotated[int, typer.Option(help="Export image size.")] = 320,
) -> None:
    """Export for ONNX Runtime / OpenVINO; with --data, report the accuracy change vs the .pt."""
    from detectors.training import evaluate, export_model

    variants: list[tuple[str, Path]] = []
    for f in fmt:
        variants.append((f, export_model(weights, f, out_dir=out_dir, imgsz=imgsz)))
        if int8 and f == "onnx":
            variants.append(
                (
                    f"{f}-int8",
                    export_model(
                        weights, f, out_dir=out_dir, imgsz=imgsz, int8=True, data_yaml=data
                    ),
                )
            )
        elif int8:
            console.print(f"[yellow]INT8 for {f} needs nncf, which is not installed: skipped[/]")
    for name, path in variants:
        console.print(f"{name}: [bold]{path}[/]")
    if data is None:
        return
    table = Table("model", "mAP50", "mAP50-95", "ΔmAP50 vs .pt")
    ref = evaluate(data, weights, imgsz=imgsz)
    table.add_row("pytorch", f"{ref.map50:.3f}", f"{ref.map50_95:.3f}", "")
    for name, path in variants:
        m = evaluate(data, path, imgsz=imgsz)
        table.add_row(name, f"{m.map50:.3f}", f"{m.map50_95:.3f}", f"{m.map50 - ref.map50:+.3f}")
    console.print(table)


@detectors_app.command("train-load")
def train_load_cmd(
    data_dir: Annotated[Path, typer.Option(help="Dataset folder written by `generate`.")],
    out: Annotated[Path, typer.Option(help="Classifier file (.npz).")] = PACKAGE_WEIGHTS
    / "load-classifier.npz",
) -> None:
    """Train the second-stage truck load classifier (covered | uncovered) from generated crops."""
    from detectors.attributes import train_load_classifier

    m = train_load_classifier(data_dir, out)
    console.print(
        f"{out}: {m.train_crops} train crops, val accuracy {m.val_accuracy:.3f} on {m.val_crops}"
    )
    console.print_json(json.dumps(m.confusion))
