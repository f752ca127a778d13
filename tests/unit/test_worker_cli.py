"""``smartscene worker``: what it refuses before starting anything, and the plan it derives."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.worker import WorkerConfigError, WorkerPlan, check_plan, worker_settings
from core.settings import Settings
from core.sharding import Shard

runner = CliRunner()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No ambient SMARTSCENE_* settings or .env file; a wide terminal so messages stay whole."""
    monkeypatch.chdir(tmp_path)
    for name in ("REDIS_URL", "CAMERA_SHARD", "JT808_PORT", "MQTT_HOST", "RUN_CAMERAS"):
        monkeypatch.delenv(f"SMARTSCENE_{name}", raising=False)
    monkeypatch.setenv("SMARTSCENE_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("COLUMNS", "300")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "it would not run intake, sweeps"),
        (["--no-cameras", "--intake", "--sweeps"], "it would not run cameras"),
        (["--intake", "--sweeps", "--shard", "1/2"], "cannot be split into shards (1/2)"),
    ],
)
def test_refuses_a_partial_worker_on_the_in_process_bus(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["worker", *args])
    assert result.exit_code == 1, result.output
    assert "in-process bus" in result.output and message in result.output
    assert "SMARTSCENE_REDIS_URL" in result.output
    assert not (Path("var") / "smartscene.db").exists()  # refused before wiring anything


@pytest.mark.parametrize(
    ("shard", "message"),
    [
        ("2/2", "index must be in 0..1"),
        ("0/0", "count must be at least 1"),
        ("x", "must look like I/N"),
        ("1/", "must look like I/N"),
        ("-1/3", "must look like I/N"),
    ],
)
def test_bad_shard_values_are_usage_errors(
    monkeypatch: pytest.MonkeyPatch, shard: str, message: str
) -> None:
    monkeypatch.setenv("SMARTSCENE_REDIS_URL", "redis://127.0.0.1:1/0")  # the bus is not the issue
    result = runner.invoke(app, ["worker", "--shard", shard])
    assert result.exit_code == 2, result.output
    assert "--shard" in result.output and message in result.output


def test_a_shard_without_cameras_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMARTSCENE_REDIS_URL", "redis://127.0.0.1:1/0")
    result = runner.invoke(app, ["worker", "--no-cameras", "--intake", "--shard", "0/2"])
    assert result.exit_code == 2, result.output
    assert "only applies with --cameras" in result.output


ALL = WorkerPlan(cameras=True, intake=True, sweeps=True, sensors=True)


@pytest.mark.parametrize(
    ("settings", "plan", "error"),
    [
        # with Redis anything goes: the parts meet on the bus
        ({"redis_url": "redis://r/0"}, WorkerPlan(), None),
        ({"redis_url": "redis://r/0"}, WorkerPlan(shard=Shard(1, 4)), None),
        # in-process: everything the API would run, unsplit
        ({}, ALL, None),
        ({}, WorkerPlan(True, True, True, False), None),  # sensors are not configured
        ({}, WorkerPlan(True, True, True, False, Shard(0, 1)), None),  # one shard = all
        ({"mqtt_host": "broker"}, WorkerPlan(True, True, True, False), "not run sensors"),
        ({"jt808_port": 0}, WorkerPlan(True, True, True, False), "not run sensors"),
        ({"run_cameras": False}, WorkerPlan(False, True, True, False), None),
        ({}, WorkerPlan(False, True, True, True), "not run cameras"),
        ({}, WorkerPlan(True, False, True, True), "not run intake"),
        ({}, WorkerPlan(True, True, False, True), "not run sweeps"),
        ({}, WorkerPlan(True, True, True, True, Shard(0, 2)), "cannot be split"),
    ],
)
def test_check_plan(settings: dict[str, object], plan: WorkerPlan, error: str | None) -> None:
    s = Settings(**settings)  # type: ignore[arg-type]
    if error is None:
        check_plan(plan, s)
        return
    with pytest.raises(WorkerConfigError, match=error):
        check_plan(plan, s)


def test_the_plan_overrides_the_run_settings() -> None:
    base = Settings(
        run_cameras=False, run_intake=True, jt808_port=7611, mqtt_host="b", camera_shard="0/3"
    )
    got = worker_settings(base, WorkerPlan(cameras=True, shard=Shard(2, 4)))
    assert (got.run_cameras, got.run_intake, got.run_sweeps) == (True, False, False)
    assert got.camera_shard == "2/4" and got.resolved_camera_shard() == Shard(2, 4)
    assert got.jt808_port is None and got.mqtt_host is None  # sensors off: listeners off
    kept = worker_settings(base, WorkerPlan(cameras=False, sensors=True))
    assert (kept.jt808_port, kept.mqtt_host, kept.camera_shard) == (7611, "b", None)
    assert WorkerPlan(shard=Shard(1, 2)).describe() == (
        "runs: cameras (shard 1/2); not: intake, sensors, sweeps"
    )
