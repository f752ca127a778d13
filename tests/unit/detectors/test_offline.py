"""prepare_offline_runtime: env vars, local fonts, OpenVINO telemetry opt-out; idempotent."""

from __future__ import annotations

import os

import pytest

from detectors.offline import (
    FONT_NAMES,
    OPENVINO_CONSENT_FILE,
    default_config_dir,
    prepare_offline_runtime,
)


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    for key in ("YOLO_OFFLINE", "YOLO_AUTOINSTALL", "YOLO_CONFIG_DIR"):
        monkeypatch.setenv(key, "placeholder")
        monkeypatch.delenv(key)
    return tmp_path


def test_sets_env_fonts_and_consent(sandbox):
    rt = prepare_offline_runtime(sandbox / "cfg")
    assert os.environ["YOLO_OFFLINE"] == "1"
    assert os.environ["YOLO_AUTOINSTALL"] == "False"
    assert os.environ["YOLO_CONFIG_DIR"] == str(sandbox / "cfg")
    assert rt.config_dir == sandbox / "cfg" / "Ultralytics"
    assert sorted(p.name for p in rt.fonts) == sorted(FONT_NAMES)
    assert all(p.stat().st_size > 10_000 for p in rt.fonts)  # a real TTF, not an empty placeholder
    assert (sandbox / "home" / OPENVINO_CONSENT_FILE).read_text() == "0"
    assert rt.openvino_opted_out


@pytest.mark.parametrize("previous", ["1", "", "garbage"])
def test_consent_is_forced_to_declined(sandbox, previous):
    consent = sandbox / "home" / OPENVINO_CONSENT_FILE
    consent.parent.mkdir(parents=True)
    consent.write_text(previous)
    assert prepare_offline_runtime(sandbox / "cfg").openvino_opted_out
    assert consent.read_text() == "0"


def test_idempotent(sandbox):
    first = prepare_offline_runtime(sandbox / "cfg")
    mtimes = [p.stat().st_mtime_ns for p in first.fonts]
    second = prepare_offline_runtime(sandbox / "cfg")
    assert second == first
    assert [p.stat().st_mtime_ns for p in second.fonts] == mtimes


@pytest.mark.parametrize(
    ("env", "expected_tail"),
    [
        ({"YOLO_CONFIG_DIR": "/x/y"}, "/x/y/Ultralytics"),
        ({"XDG_CONFIG_HOME": "/c"}, "/c/Ultralytics"),
    ],
)
def test_default_config_dir_follows_ultralytics_rule(monkeypatch, env, expected_tail):
    monkeypatch.delenv("YOLO_CONFIG_DIR", raising=False)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert str(default_config_dir()) == expected_tail
