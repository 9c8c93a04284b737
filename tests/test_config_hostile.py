"""Hostile config files: each is refused with one line on stderr, exit 2, file (and line/key) named."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from auditor.config import load_config_text
from auditor.config.loader import MAX_CONFIG_BYTES
from auditor.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]

BILLION_LAUGHS = "\n".join(
    ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 10) + "]" for i in range(8)]
    + ["collection: {progress: *i}"]
) + "\n"


def _run(cfg: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "auditor", "--config", str(cfg), "snapshots"],
                          capture_output=True, text=True, env=env, cwd=cfg.parent, timeout=60)


def _one_line(proc: subprocess.CompletedProcess, *needles: str) -> str:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for n in needles:
        assert n in lines[0], lines[0]
    return lines[0]


def test_alias_bomb_refused_before_expansion(tmp_path):
    cfg = tmp_path / "bomb.yaml"
    cfg.write_text(BILLION_LAUGHS)
    t0 = time.monotonic()
    line = _one_line(_run(cfg), str(cfg), "aliases expand")
    assert time.monotonic() - t0 < 30
    assert "line" in line


def test_recursive_alias_refused():
    with pytest.raises(ConfigError, match="recursive alias"):
        load_config_text("a: &a [*a]\n", "r.yaml")


def test_small_alias_reuse_still_works():
    cfg = load_config_text("aws:\n  resource_types: &t ['aws.s3.*', 'aws.iam.*']\n"
                           "  exclude_resource_types: *t\n", "ok.yaml")
    assert cfg.aws.resource_types == ["aws.s3.*", "aws.iam.*"] == cfg.aws.exclude_resource_types


def test_oversized_file_refused(tmp_path):
    cfg = tmp_path / "big.yaml"
    cfg.write_text("# " + "x" * MAX_CONFIG_BYTES + "\n")
    _one_line(_run(cfg), str(cfg), "KiB")


def test_duplicate_key_names_file_key_and_line(tmp_path):
    cfg = tmp_path / "dup.yaml"
    cfg.write_text("audit:\n  fail_on: high\n  fail_on: none\n")
    _one_line(_run(cfg), str(cfg), "duplicate key 'fail_on'", "line 3", "first on line 2")


def test_duplicate_top_level_section():
    with pytest.raises(ConfigError, match="duplicate key 'audit'"):
        load_config_text("audit: {}\naudit: {fail_on: none}\n", "d.yaml")


def test_merge_keys_are_not_duplicates():
    cfg = load_config_text("audit:\n  <<: {fail_on: low}\n  fail_on: critical\n", "m.yaml")
    assert cfg.audit.fail_on == "critical"


def test_latin1_config_names_file_and_line(tmp_path):
    cfg = tmp_path / "latin.yaml"
    cfg.write_bytes("# caf\u00e9\naudit:\n  fail_on: high\n".encode("latin-1"))
    _one_line(_run(cfg), str(cfg), "not UTF-8", "line 1")


def test_binary_config_named(tmp_path):
    cfg = tmp_path / "blob.yaml"
    cfg.write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00\xff\xfe")
    _one_line(_run(cfg), str(cfg), "binary")


def test_fifo_config_does_not_hang(tmp_path):
    cfg = tmp_path / "fifo.yaml"
    os.mkfifo(cfg)
    _one_line(_run(cfg), str(cfg), "not a regular file")
