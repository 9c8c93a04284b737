"""One emulated three-cloud estate (moto server + the GCP and Azure loopback fakes, as in
the demo), collected by the production collectors into SQLite, plus the state templates."""

from __future__ import annotations

import os
import shutil
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import boto3
import pytest
import yaml

from tests.e2e.conftest import moto_subprocess

DATA = Path(__file__).parent / "data"
ACCOUNT = "123456789012"


@dataclass
class Estate:
    engine: object
    db: Path
    states: Path  # the state files with this run's ids filled in
    gcp_fake: object
    config: object
    sid: int
    config_path: Path


def _tf_web_group(url: str) -> tuple[str, str]:
    """A security group Terraform declares, plus an out-of-band SSH rule nobody declared."""
    ec2 = boto3.client("ec2", endpoint_url=url, region_name="eu-west-1", aws_access_key_id="testing",
                       aws_secret_access_key="testing")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    gid = ec2.create_security_group(GroupName="tf-web", Description="web tier", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    return gid, vpc


@pytest.fixture(scope="session")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Estate]:
    os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    from auditor.collect import run_collection
    from auditor.config import load_config
    from auditor.demo import run as demo_run, scenario
    from auditor.demo.emulators.azure_fake import AzureFake
    from auditor.demo.emulators.gcp_fake import GcpFake
    from auditor.store import migrate
    from auditor.store.engine import make_engine

    work = tmp_path_factory.mktemp("tf")
    with ExitStack() as stack:
        url = stack.enter_context(moto_subprocess())  # its own process: no state shared with other tests
        seeded = scenario.seed(url)
        gid, vpc = _tf_web_group(url)
        gcp = GcpFake(seeded.gcp)
        gcp.start()
        stack.callback(gcp.stop)
        azure = AzureFake(seeded.azure)
        arm, ca = azure.start()
        stack.callback(azure.stop)
        cfg_path = work / "auditor.yaml"
        cfg_path.write_text(yaml.safe_dump(demo_run.demo_config(work, url, gcp.endpoints(), arm, ca)))
        from auditor import signing

        signing.generate(work / "signing.key")  # the demo config signs approvals with this key
        config, _ = load_config(cfg_path)
        engine = make_engine(config.database.url)
        migrate.upgrade(engine)
        stack.callback(engine.dispose)
        result = run_collection(config, engine)
        states = work / "states"
        shutil.copytree(DATA, states)
        for f in states.rglob("*.tfstate"):
            f.write_text(f.read_text().replace("__SG_ID__", gid).replace("__VPC_ID__", vpc))
        yield Estate(engine, work / "auditor.db", states, gcp, config, result.snapshot_id, cfg_path)
