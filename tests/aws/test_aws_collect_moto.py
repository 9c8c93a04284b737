"""End-to-end collection from a seeded moto server over real HTTP, two accounts, three regions."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections import defaultdict

import boto3
import pytest

from auditor.facets import unknown_facet_keys
from auditor.model import UnitStatus
from collectors.aws import AwsClientFactory, SPECS, classify, plan
from collectors.aws.least_privilege import action_for, is_read_operation
from collectors.runner import ListSink, UnitTask, run_units

from aws_testlib import PRIMARY, REGIONS, SECOND, aws_config

SPEC_BY_TYPE = {s.type: s for s in SPECS}
# Types whose service moto has no backend for: their units must fail honestly (error), never look empty.
MOTO_UNIMPLEMENTED = frozenset({"aws.accessanalyzer.analyzers", "aws.iam.organizations_features"})
# Answered in an organization's management account only; any other account skips with the reason.
# Whether PRIMARY manages an organization here depends on test order (see test_cis_org_collect.py).
MANAGEMENT_ONLY = {"aws.organizations.delegated_administrators": {UnitStatus.SKIPPED, UnitStatus.OK},
                   # moto has no DescribeResourcePolicy: a management account's unit fails honestly
                   "aws.organizations.delegation_policy": {UnitStatus.SKIPPED, UnitStatus.ERROR}}


class Recorder:
    """Which API operations each unit made (the unit is known per worker thread)."""

    def __init__(self) -> None:
        self.local = threading.local()
        self.calls: dict[str, set[tuple[str, str]]] = defaultdict(set)
        self.lock = threading.Lock()

    def __call__(self, service: str, operation: str) -> None:
        with self.lock:
            self.calls[getattr(self.local, "unit_type", "plan")].add((service, operation))

    def wrap(self, tasks: list[UnitTask]) -> list[UnitTask]:
        def bind(task: UnitTask):  # type: ignore[no-untyped-def]
            def collect(ctx):  # type: ignore[no-untyped-def]
                self.local.unit_type = task.unit.resource_type
                try:
                    yield from task.collect(ctx)
                finally:
                    self.local.unit_type = "plan"

            return UnitTask(task.unit, collect)

        return [bind(t) for t in tasks]


@pytest.fixture(scope="module")
def run(moto_url, estate):  # type: ignore[no-untyped-def]
    recorder = Recorder()
    cfg = aws_config(moto_url, exclude_resource_types=[])  # every spec, MOTO_UNIMPLEMENTED too
    factory = AwsClientFactory(cfg, max_attempts=1, observers=(recorder,))
    sink = ListSink()
    summary = run_units(recorder.wrap(plan(cfg, clients=factory)), sink, classifiers={"aws": classify})
    return sink, summary, recorder


def by_key(sink: ListSink) -> dict:
    return {r.resource_key: r for r in sink.resources}


def test_every_unit_completes_and_every_seeded_resource_is_collected(run, estate) -> None:
    sink, summary, _ = run
    bad = [(str(u.unit), u.status.value, u.error) for u in sink.units
           if not u.status.completed and u.unit.resource_type not in MOTO_UNIMPLEMENTED | set(MANAGEMENT_ONLY)]
    assert bad == []
    for type_, allowed in MANAGEMENT_ONLY.items():
        assert {u.status for u in sink.units if u.unit.resource_type == type_} <= allowed, type_
    unimplemented = {u.status for u in sink.units if u.unit.resource_type in MOTO_UNIMPLEMENTED}
    assert unimplemented == {UnitStatus.ERROR}
    assert {u.unit.account for u in sink.units} == {PRIMARY, SECOND}
    assert {u.unit.region for u in sink.units} == {*REGIONS, "global"}
    # one unit per (account x region x type) for regional specs, per account for global ones
    regional = sum(1 for s in SPECS if s.scope == "regional")
    assert len(sink.units) == 2 * (regional * len(REGIONS) + (len(SPECS) - regional))
    missing = estate.keys() - set(by_key(sink))
    assert missing == set()
    assert len(sink.resources) == len(by_key(sink)), "a resource was collected twice"
    assert summary.as_dict()["resources"] == len(sink.resources)
    assert summary.api_calls > len(sink.units)


def test_resources_carry_account_region_and_contract_facets(run, estate) -> None:
    sink, _, _ = run
    seeded = {r.resource_key: r for r in estate.resources}
    for res in sink.resources:
        assert unknown_facet_keys(res.category, json.loads(res.facets)) == [], res.type
        assert res.provider == "aws" and res.type in SPEC_BY_TYPE
        assert res.native_id.startswith("arn:aws:")
        s = seeded.get(res.resource_key)
        if s is None:
            continue
        assert res.account == s.account
        if s.region != "global":
            assert res.region == s.region
    buckets = {r.name: r for r in sink.by_type("aws.s3.bucket")}
    for name, r in buckets.items():
        if "-eu-west-1-" in name or "eu-customer-data" in name:
            assert r.region == "eu-west-1" and r.location is not None
    assert buckets[f"acme-{PRIMARY[-4:]}-eu-central-1-0"].region == "eu-central-1"


def test_known_problems_show_in_facets(run, estate) -> None:
    res = by_key(run[0])
    p = estate.problems
    bucket = json.loads(res[p["public_datasets_bucket"]].facets)
    assert bucket["public"] is True
    assert "acl:AllUsers:READ" in bucket["public_reasons"]
    assert any(r.startswith("policy:Principal *") for r in bucket["public_reasons"])
    assert bucket["public_access_blocked"] is False

    repl = res[p["eu_to_us_replication"]]
    facets, cfg = json.loads(repl.facets), json.loads(repl.config)
    assert facets["locations"] == ["eu-west-1"] and facets["replica_locations"] == ["us-east-1"]
    assert cfg["ReplicationDestinations"][0]["Region"] == "us-east-1"

    sg = json.loads(res[p["open_ssh_security_group"]].facets)
    assert {"direction": "ingress", "action": "allow", "cidr": "0.0.0.0/0", "protocol": "tcp",
            "from_port": 22, "to_port": 22, "priority": None} in sg["ingress"]
    assert any(r["cidr"] == "::/0" and r["from_port"] == 22 for r in sg["ingress"])

    node = res[p["open_ssh_gpu_node"]]
    nf, nc = json.loads(node.facets), json.loads(node.config)
    assert nf["legacy_metadata"] is True and nf["state"] == "running"
    assert p["open_ssh_security_group"] in nf["network_groups"]
    assert nf["identity"].endswith(":instance-profile/acme-training")
    assert nc["InstanceType"] == "p3.2xlarge" and "UserData" not in nc

    role = res[p["github_oidc_without_sub"]]
    trust = json.loads(role.config)["AssumeRolePolicyDocument"]
    st = trust["Statement"][0]
    assert st["Action"] == ["sts:AssumeRoleWithWebIdentity"]
    assert st["Principal"]["Federated"][0].endswith("oidc-provider/token.actions.githubusercontent.com")
    assert st["Condition"]["StringEquals"] == {"token.actions.githubusercontent.com:aud": ["sts.amazonaws.com"]}
    assert json.loads(role.facets)["admin"] is True


def test_healthy_resources_have_healthy_facets(run) -> None:
    sink = run[0]
    b = next(r for r in sink.by_type("aws.s3.bucket") if r.name == f"acme-{PRIMARY[-4:]}-us-east-1-0")
    f, c = json.loads(b.facets), json.loads(b.config)
    assert f["public"] is False and f["public_access_blocked"] is True
    assert f["encrypted"] is True and f["key_management"] == "customer" and f["kms_key"]
    assert f["versioning"] is True and f["logging"] is True
    assert c["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert json.loads(b.tags)["data-classification"] == "internal"
    lock = next(r for r in sink.by_type("aws.s3.bucket") if r.name.endswith("audit-evidence"))
    assert json.loads(lock.config)["ObjectLockConfiguration"]["ObjectLockEnabled"] == "Enabled"
    second_pab = next(r for r in sink.by_type("aws.s3.account_public_access_block") if r.account == SECOND)
    assert json.loads(second_pab.facets)["public_access_blocked"] is True
    vpc_logs = {json.loads(r.facets)["flow_logs"] for r in sink.by_type("aws.ec2.vpc")}
    assert vpc_logs == {True, False}
    users = {r.name: json.loads(r.facets) for r in sink.by_type("aws.iam.user") if r.account == PRIMARY}
    assert users["acme-user-0"]["mfa"] is True and users["acme-user-1"]["mfa"] is False
    assert users["acme-user-0"]["console_access"] is True
    key = users["acme-user-0"]["access_keys"][0]
    assert key["active"] is True and key["created"] and len(key["id_suffix"]) == 4
    policy = next(r for r in sink.by_type("aws.iam.policy") if r.account == PRIMARY)
    versions = json.loads(policy.config)["PolicyVersionList"]
    assert [v["IsDefaultVersion"] for v in versions] == [True]
    assert versions[0]["Document"]["Statement"][0]["Action"] == ["s3:GetObject", "s3:ListBucket"]
    oidc = sink.by_type("aws.iam.oidc_provider")[0]
    assert json.loads(oidc.config)["ClientIDList"] == ["sts.amazonaws.com"]
    pp = {r.account: json.loads(r.config)["PasswordPolicy"] for r in sink.by_type("aws.iam.password_policy")}
    assert pp[PRIMARY]["MinimumPasswordLength"] == 14 and pp[SECOND] is None
    summary = next(r for r in sink.by_type("aws.iam.account_summary") if r.account == PRIMARY)
    summary_map = json.loads(summary.config)["SummaryMap"]
    assert "Users" not in summary_map and "Roles" not in summary_map  # counts are volatile (issue 12)
    assert "AccountMFAEnabled" in summary_map and "UsersQuota" in summary_map  # flags and quotas are config


def test_no_secret_reaches_any_envelope(run, estate, moto_url) -> None:
    blob = "\n".join(json.dumps(dataclasses.asdict(r)) for r in run[0].resources)
    assert estate.secrets
    for secret in estate.secrets:
        assert secret not in blob
    assert "Seeded-Passw0rd!" not in blob
    assert "UserData" not in blob
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=moto_url,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    key_ids = [k["AccessKeyId"] for k in iam.list_access_keys(UserName="acme-user-0")["AccessKeyMetadata"]]
    assert key_ids and not any(k in blob for k in key_ids)


def test_collector_only_reads_and_declares_every_call(run) -> None:
    recorder = run[2]
    made = {op for ops in recorder.calls.values() for op in ops}
    writes = sorted(f"{s}:{o}" for s, o in made if not is_read_operation(s, o))
    assert writes == []
    for unit_type, ops in recorder.calls.items():
        if unit_type == "plan":
            continue
        declared = set(SPEC_BY_TYPE[unit_type].permissions)
        assert {action_for(s, o) for s, o in ops} <= declared, unit_type
        assert ops, unit_type


def test_hashes_are_stable_across_runs(moto_url, estate, run) -> None:
    cfg = aws_config(moto_url)
    sink = ListSink()
    run_units(plan(cfg, clients=AwsClientFactory(cfg, max_attempts=1)), sink, classifiers={"aws": classify})
    first = {r.resource_key: r.content_hash for r in run[0].resources}
    second = {r.resource_key: r.content_hash for r in sink.resources}
    changed = sorted(k for k in first if first[k] != second.get(k))
    assert changed == []


def test_endpoint_from_botocore_environment(moto_url, estate, monkeypatch) -> None:
    """No endpoint in config: botocore's own AWS_ENDPOINT_URL and the default chain are used."""
    from auditor.config.schema import AwsConfig

    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    cfg = AwsConfig(regions=["eu-west-1"], resource_types=["aws.ec2.security_group", "aws.iam.role"])
    sink = ListSink()
    tasks = plan(cfg)
    run_units(tasks, sink, classifiers={"aws": classify})
    assert {u.status for u in sink.units} == {UnitStatus.OK}
    assert {u.unit.account for u in sink.units} == {PRIMARY}
    want = {k for k in estate.keys("aws.ec2.security_group") if ":eu-west-1:" + PRIMARY in k}
    assert want and want <= {r.resource_key for r in sink.resources}


def test_all_regions_are_resolved_per_account(moto_url, estate) -> None:
    cfg = aws_config(moto_url, accounts=(PRIMARY,), resource_types=["aws.ec2.vpc", "aws.iam.role"])
    cfg = cfg.model_copy(update={"regions": "all"})
    tasks = plan(cfg, clients=AwsClientFactory(cfg, max_attempts=1))
    regions = {t.unit.region for t in tasks if t.unit.resource_type == "aws.ec2.vpc"}
    assert set(REGIONS) <= regions and len(regions) > 10
    assert [t.unit.region for t in tasks if t.unit.resource_type == "aws.iam.role"] == ["global"]


def test_organizations_discovery_assumes_role_in_active_accounts(moto_url, estate) -> None:
    from auditor.config.schema import AwsConfig

    org = boto3.client("organizations", region_name="us-east-1", endpoint_url=moto_url,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    try:
        org.create_organization(FeatureSet="ALL")
    except org.exceptions.AlreadyInOrganizationException:
        pass
    created = org.create_account(Email="ml@example.com", AccountName="ml")["CreateAccountStatus"]["AccountId"]
    cfg = AwsConfig(credential_source="static-test", endpoint_url=moto_url, regions=["us-east-1"],
                    organization={"role_name": "OrganizationAccountAccessRole"},
                    resource_types=["aws.iam.account_summary"])
    factory = AwsClientFactory(cfg, max_attempts=1)
    tasks = plan(cfg, clients=factory)
    accounts = {t.unit.account for t in tasks}
    assert {PRIMARY, created} <= accounts
    sink = ListSink()
    run_units(tasks, sink, classifiers={"aws": classify})
    assert {u.status for u in sink.units} == {UnitStatus.OK}
    assert {r.account for r in sink.resources} == accounts


def test_discovery_failure_is_a_unit_status_not_an_exception(moto_url) -> None:
    from botocore.exceptions import ClientError

    class Denying(AwsClientFactory):
        def session(self, target):  # type: ignore[no-untyped-def]
            if target.role_arn:
                raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not trusted"}}, "AssumeRole")
            return super().session(target)

    cfg = aws_config(moto_url, resource_types=["aws.ec2.vpc", "aws.iam.role"])
    tasks = plan(cfg, clients=Denying(cfg, max_attempts=1))
    sink = ListSink()
    run_units(tasks, sink, classifiers={"aws": classify})
    status = {(u.unit.account, u.unit.region, u.unit.resource_type): u.status for u in sink.units}
    assert status[(SECOND, "global", "aws.iam.role")] is UnitStatus.DENIED
    assert status[(SECOND, "eu-west-1", "aws.ec2.vpc")] is UnitStatus.DENIED
    assert status[(PRIMARY, "eu-west-1", "aws.ec2.vpc")] is UnitStatus.OK
    assert all(r.account == PRIMARY for r in sink.resources)


def test_account_without_role_must_match_the_credentials(moto_url) -> None:
    from auditor.config.schema import AwsConfig

    cfg = AwsConfig(credential_source="static-test", endpoint_url=moto_url, regions=["us-east-1"],
                    accounts=[{"id": "999999999999"}], resource_types=["aws.iam.account_summary"])
    sink = ListSink()
    run_units(plan(cfg, clients=AwsClientFactory(cfg, max_attempts=1)), sink, classifiers={"aws": classify})
    [unit] = sink.units
    assert unit.status is UnitStatus.ERROR and "not 999999999999" in unit.error
    assert sink.resources == []


def test_key_management_comes_from_kms(run) -> None:
    sink = run[0]
    vols = [json.loads(r.facets) for r in sink.by_type("aws.ec2.volume") if r.name.startswith("acme-data-")]
    encrypted = [v for v in vols if v["encrypted"]]
    assert encrypted and all(v["key_management"] == "customer" and ":key/" in v["kms_key"] for v in encrypted)
    roots = [json.loads(r.facets) for r in sink.by_type("aws.ec2.volume") if not r.name.startswith("acme-data-")]
    assert roots and all(v["encrypted"] is False and v["key_management"] is None for v in roots)
