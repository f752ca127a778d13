"""Camera sharding: parsing ``I/N``, every key in exactly one shard, the same in every process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zlib

import pytest

from core.settings import Settings
from core.sharding import Shard, parse_shard, shard_of

IDS = [f"cam-{n}" for n in range(300)] + ["gate-7", "北门-3", "", "a/b", "x" * 64]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0/1", Shard(0, 1)),
        ("1/2", Shard(1, 2)),
        ("3/4", Shard(3, 4)),
        (" 2 / 16 ", Shard(2, 16)),
        ("07/10", Shard(7, 10)),
        ("2/2", "index must be in 0..1"),
        ("5/3", "index must be in 0..2"),
        ("0/0", "count must be at least 1"),
        ("-1/2", "must look like I/N"),
        ("1", "must look like I/N"),
        ("1/2/3", "must look like I/N"),
        ("a/b", "must look like I/N"),
        ("1.0/2", "must look like I/N"),
        ("", "must look like I/N"),
        ("١/٢", "must look like I/N"),  # Arabic-Indic digits: ASCII only
    ],
)
def test_parse_shard(text: str, expected: Shard | str) -> None:
    if isinstance(expected, Shard):
        assert parse_shard(text) == expected
        assert parse_shard(str(expected)) == expected  # str() round-trips
        return
    with pytest.raises(ValueError, match=expected):
        parse_shard(text)


@pytest.mark.parametrize("count", [1, 2, 3, 4, 7, 16])
def test_every_key_is_in_exactly_one_shard(count: int) -> None:
    shards = [Shard(i, count) for i in range(count)]
    for key in IDS:
        owners = [s for s in shards if s.owns(key)]
        assert len(owners) == 1, (key, owners)
        assert owners[0].index == shard_of(key, count)
    sizes = [sum(s.owns(k) for k in IDS) for s in shards]
    assert sum(sizes) == len(IDS)
    assert min(sizes) >= len(IDS) / count / 2  # no shard starved (crc32 spreads cam-0..299)


def test_assignment_is_crc32_and_pinned() -> None:
    """Changing the function would move running cameras between shards: keep it crc32."""
    for key in IDS:
        assert shard_of(key, 5) == zlib.crc32(key.encode("utf-8")) % 5
    # Pinned (crc32 of the UTF-8 id) so a change of algorithm or encoding shows here.
    pinned = {"gate-7": [0, 2, 0], "cam-0": [0, 2, 2], "北门-3": [1, 0, 3]}
    for key, shards in pinned.items():
        assert [shard_of(key, n) for n in (2, 3, 4)] == shards, key


def test_the_assignment_is_the_same_in_other_processes() -> None:
    """``hash()`` is salted per process (PYTHONHASHSEED); the shard of a camera must not be."""
    script = (
        "import json, sys; from core.sharding import shard_of; "
        "print(json.dumps([shard_of(k, 7) for k in json.loads(sys.stdin.read())]))"
    )
    here = [shard_of(k, 7) for k in IDS]
    for seed in ("1", "2", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", script],
            input=json.dumps(IDS),
            capture_output=True,
            text=True,
            check=True,
            env=env,
        ).stdout
        assert json.loads(out) == here


@pytest.mark.parametrize(
    ("value", "stored", "error"),
    [(None, None, None), ("1/3", "1/3", None), (" 0 / 2", "0/2", None), ("3/3", None, "0..2")],
)
def test_settings_validate_and_normalise_the_shard(
    value: str | None, stored: str | None, error: str | None
) -> None:
    if error is not None:
        with pytest.raises(ValueError, match=error):
            Settings(camera_shard=value)
        return
    settings = Settings(camera_shard=value)
    assert settings.camera_shard == stored
    assert settings.resolved_camera_shard() == (None if stored is None else parse_shard(stored))
