"""Configuration: the shipped examples validate; every kind of bad input is one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.config import load_config, load_config_text
from auditor.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def test_example_and_starter_configs_validate():
    cfg, _ = load_config(ROOT / "config" / "auditor.example.yaml")
    assert cfg.aws and cfg.aws.accounts[0].id == "111122223333"
    assert cfg.residency.allowed["restricted"] == ["EU"]
    load_config(ROOT / "auditor" / "data" / "starter.yaml")


@pytest.mark.parametrize(
    "text, field, problem",
    [
        ("aws:\n  regions: 5\n", "aws.regions", "valid list"),
        ("aws:\n  regionz: [us-east-1]\n", "aws.regionz", "unknown key"),
        ("collection:\n  concurrency: many\n", "collection.concurrency", "valid integer"),
        ("aws:\n  accounts:\n    - id: '12'\n", "aws.accounts[0].id", "pattern"),
        ("schedule:\n  timezone: Mars/Olympus\n", "schedule.timezone", "unknown time zone"),
        ("database:\n  url: ${AUDITOR_TEST_SURELY_UNSET}\n", "database.url", "AUDITOR_TEST_SURELY_UNSET is not set"),
        ("ignore:\n  - type: '*'\n", "ignore[0].owner", "required"),
        ("checks:\n  aws_trusted_delegated_admins: ['111122223333', '12345']\n",
         "checks.aws_trusted_delegated_admins", "item 1 is not a 12-digit AWS account id"),
        ("checks:\n  aws_trusted_delegated_admins: [111122223333]\n",
         "checks.aws_trusted_delegated_admins[0]", "valid string"),
    ],
)
def test_bad_config_names_file_and_field(text, field, problem):
    with pytest.raises(ConfigError) as err:
        load_config_text(text, "cfg.yaml", env={})
    msg = str(err.value)
    assert msg.startswith(f"cfg.yaml: {field}: "), msg
    assert problem in msg and "\n" not in msg


def test_bad_yaml_names_line():
    with pytest.raises(ConfigError, match=r"cfg.yaml: invalid YAML: line \d+, column \d+"):
        load_config_text("aws:\n  regions: [a\nbad: : x\n", "cfg.yaml")


def test_env_interpolation_and_default():
    cfg = load_config_text("database:\n  url: ${DBURL}\naws:\n  profile: ${P:-audit}\n", env={"DBURL": "sqlite:///x.db"})
    assert cfg.database.url == "sqlite:///x.db" and cfg.aws.profile == "audit"


def test_test_credentials_only_on_loopback():
    with pytest.raises(ConfigError, match="loopback"):
        load_config_text("aws:\n  credential_source: static-test\n  endpoint_url: https://s3.example.com\n")
    load_config_text("aws:\n  credential_source: static-test\n  endpoint_url: http://127.0.0.1:5000\n")
    with pytest.raises(ConfigError, match="https"):
        load_config_text("azure:\n  arm_endpoint: http://127.0.0.1:8443\n  credential: static-test-token\n")


@pytest.mark.parametrize(
    "text",
    ["aws:\n  regions: 5\n", "aws:\n  regionz: []\n", "a: [\n", "database:\n  url: ${AUDITOR_TEST_SURELY_UNSET}\n"],
)
def test_cli_exits_2_with_one_line(tmp_path, text):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(text)
    env = {k: v for k, v in os.environ.items() if k != "AUDITOR_TEST_SURELY_UNSET"}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run([sys.executable, "-m", "auditor", "--config", str(cfg), "snapshots"],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(cfg) in lines[0] and "Traceback" not in proc.stderr


@pytest.mark.parametrize("text,field,problem", [
    ("distributed:\n  broker_url: http://u:s3cret@mq:5672//\n", "distributed.broker_url", "is not a broker"),
    ("distributed:\n  broker_url: amqp://u:s3cret@:5672//\n", "distributed.broker_url", "names no host"),
    ("distributed:\n  broker_url: redis://mq:port/0\n", "distributed.broker_url", "port is not a number"),
    ("distributed:\n  concurrency: 0\n", "distributed.concurrency", "greater than or equal to 1"),
    ("distributed:\n  max_retries: -1\n", "distributed.max_retries", "greater than or equal to 0"),
    ("distributed:\n  unit_timeout_s: 0\n", "distributed.unit_timeout_s", "greater than 0"),
    ("distributed:\n  queue: 'a b'\n", "distributed.queue", "match pattern"),
    ("distributed:\n  brokerurl: amqp://mq//\n", "distributed.brokerurl", "unknown key"),
])
def test_bad_distributed_section(text, field, problem):
    with pytest.raises(ConfigError) as err:
        load_config_text(text, "cfg.yaml", env={})
    assert err.value.file == "cfg.yaml" and err.value.field == field and problem in err.value.problem
    assert "s3cret" not in str(err.value)  # a broker password is never echoed


def test_broker_credentials_from_environment_and_redacted():
    from auditor.distributed.broker import broker_url, redacted

    cfg = load_config_text("distributed:\n  broker_url: amqp://127.0.0.1:5672//\n", env={}).distributed
    assert broker_url(cfg, env={}) == "amqp://127.0.0.1:5672//"
    url = broker_url(cfg, env={"AUDITOR_BROKER_USER": "auditor", "AUDITOR_BROKER_PASSWORD": "p@ss:w/rd"})
    assert url == "amqp://auditor:p%40ss%3Aw%2Frd@127.0.0.1:5672//"
    assert redacted(url) == "amqp://auditor:***@127.0.0.1:5672//"
    ref = load_config_text("distributed:\n  broker_url: redis://:${MQ_PW}@mq:6379/2\n", env={"MQ_PW": "hunter2"})
    assert "hunter2" not in repr(ref) and redacted(broker_url(ref.distributed, env={})) == "redis://:***@mq:6379/2"
    assert load_config_text("", env={}).distributed.broker_url is None  # no broker: in process, as before
