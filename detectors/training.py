"""Training, evaluation and export recipes (with the backend, the only users of Ultralytics)."""

from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from detectors.offline import prepare_offline_runtime

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a training run (recorded in the model card)."""

    data_yaml: Path
    model_yaml: str = "yolo11n.yaml"
    epochs: int = 30
    imgsz: int = 320
    batch: int = 16
    seed: int = 0
    workers: int = 0
    threads: int = 2
    patience: int = 100
    project_dir: Path = Path("var/train")
    name: str = "smartscene-demo"
    cache: str = "ram"
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ClassMetrics:
    """Per-class validation figures."""

    precision: float
    recall: float
    map50: float
    map50_95: float


@dataclass(frozen=True)
class EvalResult:
    """Detection metrics on one dataset split, as Ultralytics' val computes them."""

    map50: float
    map50_95: float
    per_class: dict[str, ClassMetrics]

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self)


@dataclass(frozen=True)
class TrainResult:
    """Where the weights went and how good they are."""

    weights: Path
    seconds: float
    metrics: EvalResult


def _yolo(model: str | Path) -> Any:
    prepare_offline_runtime()
    from ultralytics import YOLO  # type: ignore[attr-defined]

    return YOLO(str(model))


def _set_threads(threads: int) -> None:
    import torch

    torch.set_num_threads(max(1, threads))


def metrics_from_validator(metrics: Any) -> EvalResult:
    """Convert Ultralytics ``DetMetrics`` into an :class:`EvalResult`."""
    box = metrics.box
    names = {int(k): str(v) for k, v in dict(metrics.names).items()}
    per_class: dict[str, ClassMetrics] = {}
    for i, cls_idx in enumerate(box.ap_class_index):
        p, r, ap50, ap = box.class_result(i)
        per_class[names[int(cls_idx)]] = ClassMetrics(float(p), float(r), float(ap50), float(ap))
    return EvalResult(float(box.map50), float(box.map), per_class)


def train(cfg: TrainConfig, out_weights: Path | None = None) -> TrainResult:
    """Train from a model YAML (no pretrained download) on CPU; copy best.pt to ``out_weights``."""
    _set_threads(cfg.threads)
    model = _yolo(cfg.model_yaml)
    started = time.monotonic()
    model.train(
        data=str(Path(cfg.data_yaml).resolve()),
        epochs=cfg.epochs,
        imgsz=cfg.imgsz,
        batch=cfg.batch,
        seed=cfg.seed,
        deterministic=True,
        workers=cfg.workers,
        device="cpu",
        project=str(Path(cfg.project_dir).resolve()),
        name=cfg.name,
        exist_ok=True,
        pretrained=False,
        amp=False,
        plots=False,
        patience=cfg.patience,
        cache=cfg.cache,
        **cfg.extra,
    )
    seconds = time.monotonic() - started
    best = Path(model.trainer.best)
    if not best.is_file():
        best = Path(model.trainer.last)
    metrics = evaluate(cfg.data_yaml, best, imgsz=cfg.imgsz, batch=cfg.batch, threads=cfg.threads)
    if out_weights is not None:
        out_weights.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(best, out_weights)
        best = out_weights
    logger.info("trained %s in %.0f s: mAP50 %.3f", best, seconds, metrics.map50)
    return TrainResult(best, seconds, metrics)


def evaluate(
    data_yaml: Path,
    weights: Path,
    *,
    imgsz: int = 320,
    batch: int = 16,
    threads: int = 2,
    split: str = "val",
) -> EvalResult:
    """Run Ultralytics' validator and return mAP50, mAP50-95 and per-class P/R."""
    if not Path(weights).exists():
        raise FileNotFoundError(f"weights not found: {weights}")
    _set_threads(threads)
    model = _yolo(weights)
    metrics = model.val(
        data=str(Path(data_yaml).resolve()),
        imgsz=imgsz,
        batch=batch,
        device="cpu",
        split=split,
        plots=False,
        workers=0,
        project=str(Path("var/val").resolve()),
        exist_ok=True,
        verbose=False,
    )
    return metrics_from_validator(metrics)


def write_model_card(path: Path, card: dict[str, Any]) -> None:
    """Write the model card JSON (sorted keys, stable diff)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(card, indent=2, sort_keys=True, default=str) + "\n")


def dataset_summary(data_yaml: Path) -> dict[str, Any]:
    """Image and per-class box counts per split of a YOLO dataset written by ``write_dataset``."""
    import yaml

    spec = yaml.safe_load(Path(data_yaml).read_text())
    root = Path(spec.get("path", Path(data_yaml).parent))
    names = spec["names"]
    summary: dict[str, Any] = {"data_yaml": str(data_yaml), "names": names}
    for split in ("train", "val"):
        labels = sorted((root / str(spec[split]).replace("images", "labels", 1)).glob("*.txt"))
        counts: dict[str, int] = {
            str(n): 0 for n in dict(enumerate(names) if isinstance(names, list) else names).values()
        }
        for lbl in labels:
            for line in lbl.read_text().split("\n"):
                if line.strip():
                    name = names[int(line.split()[0])]
                    counts[str(name)] += 1
        summary[split] = {"images": len(labels), "boxes": counts}
    return summary


def trained_epochs(cfg: TrainConfig) -> int:
    """Epochs actually run, read from the run's results.csv (0 when absent)."""
    csv = Path(cfg.project_dir).resolve() / cfg.name / "results.csv"
    if not csv.is_file():
        return 0
    return max(0, len(csv.read_text().strip().splitlines()) - 1)


EXPORT_FORMATS = ("onnx", "openvino")


def export_model(
    weights: Path,
    fmt: str,
    *,
    out_dir: Path,
    imgsz: int = 320,
    int8: bool = False,
    data_yaml: Path | None = None,
) -> Path:
    """Export ``weights`` to ONNX (optionally static INT8 via ONNX Runtime) or an OpenVINO dir.

    The source is copied into ``out_dir`` first: nothing is written beside the packaged weights.
    INT8 needs ``data_yaml`` (calibration images from its val split).
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {EXPORT_FORMATS}")
    if int8 and data_yaml is None:
        raise ValueError("INT8 export needs --data (calibration images)")
    if not Path(weights).is_file():
        raise FileNotFoundError(f"weights not found: {weights}")
    out_dir = Path(out_dir).resolve() / (
        "int8" if int8 else ""
    )  # INT8 export deletes its fp32 twin
    out_dir.mkdir(parents=True, exist_ok=True)
    source = out_dir / Path(weights).name
    if source.resolve() != Path(weights).resolve():
        shutil.copyfile(weights, source)
    model = _yolo(source)
    kwargs: dict[str, Any] = {"format": fmt, "imgsz": imgsz, "dynamic": False, "device": "cpu"}
    if fmt == "onnx":
        kwargs["simplify"] = False  # onnxslim is not a dependency
    if int8:
        kwargs.update(quantize=8, data=str(Path(data_yaml).resolve()), fraction=1.0)  # type: ignore[arg-type]
    exported = Path(model.export(**kwargs))
    logger.info("exported %s -> %s", weights, exported)
    return exported


def runtime_versions() -> dict[str, str]:
    """Versions of the libraries that shape a trained model (for the model card)."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str] = {}
    for pkg in ("ultralytics-opencv-headless", "torch", "numpy", "opencv-python-headless"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out
