"""Run Ultralytics, PyTorch and OpenVINO fully offline: no DNS probe, font or package downloads.

Call :func:`prepare_offline_runtime` before the first ``import ultralytics`` (the modules that need
Ultralytics import it lazily inside functions, after calling this).
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

#: Environment read by Ultralytics at import time.
ULTRALYTICS_ENV: dict[str, str] = {
    "YOLO_OFFLINE": "1",  # is_online() returns False without a DNS lookup
    "YOLO_AUTOINSTALL": "False",  # never pip-install a missing requirement at run time
}
#: Fonts Ultralytics' check_font() looks for in its config dir before downloading.
FONT_NAMES: tuple[str, ...] = ("Arial.ttf", "Arial.Unicode.ttf")
#: OpenVINO telemetry reads consent from this file; "0" = declined (what ``opt_in_out --opt_out``
#: writes). openvino-telemetry 2025.2 has no environment variable for this.
OPENVINO_CONSENT_FILE = Path("intel") / "openvino_telemetry"


@dataclass(frozen=True)
class OfflineRuntime:
    """What :func:`prepare_offline_runtime` set up."""

    config_dir: Path
    fonts: tuple[Path, ...]
    openvino_opted_out: bool


def default_config_dir() -> Path:
    """Ultralytics' config dir: ``$YOLO_CONFIG_DIR/Ultralytics`` or the Linux default."""
    env_dir = os.environ.get("YOLO_CONFIG_DIR")
    if env_dir:
        return Path(env_dir).expanduser() / "Ultralytics"
    xdg = os.environ.get("XDG_CONFIG_HOME")
    base = Path(xdg) if xdg else Path.home() / ".config"
    return base / "Ultralytics"


def _local_font_source() -> Path | None:
    """A TTF shipped by an installed package (matplotlib's DejaVuSans), or None."""
    try:
        import matplotlib
    except ImportError:  # pragma: no cover - matplotlib is an Ultralytics dependency
        return None
    candidate = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    return candidate if candidate.is_file() else None


def _install_fonts(config_dir: Path) -> tuple[Path, ...]:
    source = _local_font_source()
    installed: list[Path] = []
    for name in FONT_NAMES:
        target = config_dir / name
        if not target.is_file() and source is not None:
            config_dir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            logger.info("installed local font %s as %s", source, target)
        if target.is_file():
            installed.append(target)
    return tuple(installed)


def _opt_out_openvino(home: Path) -> bool:
    """Record a declined consent for OpenVINO telemetry; True when the file says so afterwards."""
    consent = home / OPENVINO_CONSENT_FILE
    try:
        if not consent.is_file() or consent.read_text().strip() != "0":
            consent.parent.mkdir(parents=True, exist_ok=True)
            consent.write_text("0")
        return consent.read_text().strip() == "0"
    except OSError as exc:
        logger.warning("could not opt out of OpenVINO telemetry at %s: %s", consent, exc)
        return False


def prepare_offline_runtime(config_dir: Path | None = None) -> OfflineRuntime:
    """Set env vars, local fonts and telemetry opt-outs so that nothing is fetched. Idempotent.

    ``config_dir`` is exported as ``YOLO_CONFIG_DIR`` (Ultralytics then uses
    ``config_dir/Ultralytics``);
    it only takes effect if Ultralytics has not been imported yet in this process.
    """
    for key, value in ULTRALYTICS_ENV.items():
        os.environ[key] = value
    if config_dir is not None:
        os.environ["YOLO_CONFIG_DIR"] = str(config_dir)
    resolved = default_config_dir()
    fonts = _install_fonts(resolved)
    opted_out = _opt_out_openvino(Path.home())
    return OfflineRuntime(config_dir=resolved, fonts=fonts, openvino_opted_out=opted_out)
