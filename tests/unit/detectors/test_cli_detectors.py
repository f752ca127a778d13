"""The `smartscene detectors` sub-app: generate, demo-video, evaluate, train-load."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from api.cli_detectors import detectors_app

runner = CliRunner()


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("ds")
    result = runner.invoke(
        detectors_app,
        ["generate", "--out", str(out), "--n-train", "6", "--n-val", "4", "--imgsz", "320"],
    )
    assert result.exit_code == 0, result.output
    return out


def test_generate_writes_data_yaml(dataset):
    assert "names:" in (dataset / "data.yaml").read_text()
    assert len(list((dataset / "images" / "val").glob("*.jpg"))) == 4


def test_demo_video_command(tmp_path):
    out = tmp_path / "v.mp4"
    result = runner.invoke(
        detectors_app, ["demo-video", "--out", str(out), "--seconds", "0.5", "--fps", "4"]
    )
    assert result.exit_code == 0, result.output
    assert out.is_file()
    assert len(json.loads(out.with_suffix(".json").read_text())["frames"]) == 2


@pytest.mark.slow
def test_evaluate_prints_json_metrics(dataset):
    result = runner.invoke(
        detectors_app, ["evaluate", "--data", str(dataset / "data.yaml"), "--json"]
    )
    assert result.exit_code == 0, result.output
    start = result.output.index("{")
    metrics = json.loads(result.output[start:])
    assert 0 <= metrics["map50"] <= 1
    assert set(metrics["per_class"]) <= {"car", "truck", "debris", "person"}


def test_train_load_command(dataset, tmp_path):
    out = tmp_path / "load.npz"
    result = runner.invoke(
        detectors_app, ["train-load", "--data-dir", str(dataset), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.is_file()
    assert "val accuracy" in result.output


def test_evaluate_missing_weights_fails(dataset, tmp_path):
    result = runner.invoke(
        detectors_app,
        ["evaluate", "--data", str(dataset / "data.yaml"), "--weights", str(tmp_path / "x.pt")],
    )
    assert result.exit_code != 0
    assert "x.pt" in str(result.exception)
