"""Lean CPU detectors on exported YOLO models: ONNX Runtime (``.onnx``) and OpenVINO (export dir).

Our own letterbox/decode (``yolo_io``) instead of Ultralytics' predictor: explicit thread counts,
no torch in the loop. Models come from ``smartscene detectors export``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from detectors.detections import Detections
from detectors.duplicates import one_box_per_object
from detectors.offline import prepare_offline_runtime
from detectors.ports import Image
from detectors.ultralytics_backend import WeightsError, check_class_names, validate_frames
from detectors.yolo_io import Tensor, decode, letterbox, parse_names


class _ExportedDetector:
    """Shared thresholds, validation and the per-frame loop; subclasses run the network."""

    def __init__(
        self,
        path: Path,
        names: Mapping[int, str],
        *,
        imgsz: int,
        conf: float,
        class_conf: Mapping[str, float] | None,
        expected_classes: Sequence[str] | None,
    ) -> None:
        check_class_names(path, names, expected_classes)
        self.class_names = dict(names)
        self.imgsz = imgsz
        unknown = set(class_conf or {}) - set(names.values())
        if unknown:
            raise ValueError(f"class_conf names {sorted(unknown)} are not classes of {path}")
        per = dict(class_conf or {})
        self._thresholds = np.array(
            [per.get(names[i], conf) for i in sorted(names)], dtype=np.float32
        )

    def _infer(self, blob: Tensor) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def detect(self, frames: Sequence[Image]) -> list[Detections]:
        """Return one ``Detections`` per frame (``one_box_per_object`` applied)."""
        out = []
        for frame in validate_frames(frames):
            blob, box = letterbox(frame, self.imgsz)
            raw = decode(
                self._infer(blob), box, frame.shape[:2], self.class_names, self._thresholds
            )
            out.append(one_box_per_object(raw))
        return out


def _missing(path: Path, what: str) -> WeightsError:
    return WeightsError(
        f"{what} not found: {path}. Fix: run `smartscene detectors export --format ...`."
    )


class OnnxRuntimeDetector(_ExportedDetector):
    """YOLO ``.onnx`` on ONNX Runtime's CPU provider with ``threads`` intra-op threads."""

    def __init__(
        self,
        model: Path,
        *,
        imgsz: int,
        conf: float,
        class_conf: Mapping[str, float] | None = None,
        expected_classes: Sequence[str] | None = None,
        threads: int = 2,
    ) -> None:
        if not Path(model).is_file():
            raise _missing(model, "ONNX model")
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        try:
            self._session = ort.InferenceSession(
                str(model), opts, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:
            raise WeightsError(f"cannot load ONNX model {model}: {exc}") from exc
        meta = self._session.get_modelmeta().custom_metadata_map
        if "names" not in meta:
            raise WeightsError(
                f"{model} has no class names in its metadata; export it with Ultralytics"
            )
        self._input = self._session.get_inputs()[0].name
        super().__init__(
            Path(model), parse_names(meta["names"]), imgsz=imgsz, conf=conf,
            class_conf=class_conf, expected_classes=expected_classes,
        )  # fmt: skip

    def _infer(self, blob: Tensor) -> Tensor:
        return np.asarray(self._session.run(None, {self._input: blob})[0], dtype=np.float32)


class OpenVinoDetector(_ExportedDetector):
    """YOLO OpenVINO IR (an Ultralytics ``*_openvino_model`` dir) on the CPU plugin."""

    def __init__(
        self,
        model_dir: Path,
        *,
        imgsz: int,
        conf: float,
        class_conf: Mapping[str, float] | None = None,
        expected_classes: Sequence[str] | None = None,
        threads: int = 2,
    ) -> None:
        xml = next(iter(sorted(Path(model_dir).glob("*.xml"))), None)
        meta_file = Path(model_dir) / "metadata.yaml"
        if xml is None or not meta_file.is_file():
            raise _missing(Path(model_dir), "OpenVINO model dir (with .xml and metadata.yaml)")
        prepare_offline_runtime()
        import openvino as ov

        core = ov.Core()
        config: dict[str, Any] = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": threads}
        try:
            self._compiled = core.compile_model(core.read_model(str(xml)), "CPU", config)
        except Exception as exc:
            raise WeightsError(f"cannot load OpenVINO model {xml}: {exc}") from exc
        self._request = self._compiled.create_infer_request()
        names = parse_names(yaml.safe_load(meta_file.read_text())["names"])
        super().__init__(
            Path(model_dir), names, imgsz=imgsz, conf=conf,
            class_conf=class_conf, expected_classes=expected_classes,
        )  # fmt: skip

    def _infer(self, blob: Tensor) -> Tensor:
        result = self._request.infer({0: blob})
        return np.asarray(next(iter(result.values())), dtype=np.float32)


def load_detector(
    weights: Path,
    *,
    imgsz: int,
    conf: float,
    class_conf: Mapping[str, float] | None = None,
    expected_classes: Sequence[str] | None = None,
    threads: int = 2,
) -> Any:
    """Pick the backend: ``.onnx`` -> ONNX Runtime, a dir -> OpenVINO, else Ultralytics."""
    kwargs: dict[str, Any] = {
        "imgsz": imgsz, "conf": conf, "class_conf": class_conf,
        "expected_classes": expected_classes, "threads": threads,
    }  # fmt: skip
    path = Path(weights)
    if path.suffix == ".onnx":
        return OnnxRuntimeDetector(path, **kwargs)
    if path.is_dir():
        return OpenVinoDetector(path, **kwargs)
    from detectors.ultralytics_backend import UltralyticsDetector

    return UltralyticsDetector(path, **kwargs)
