"""Terraform state as a baseline, against the emulated three-cloud estate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.drift import auditlog, baselines
from auditor.drift.engine import compute_drift
from auditor.errors import UsageError
from auditor.terraform.baseline import import_states, verify_declarations

SUB = "1f6e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
PLANTED = ("PLANTED-OUTPUT-SECRET-3b2a", "PLANTED-DB-PASSWORD-11aa", "PLANTED-SENSITIVE-TAG-7c1d",
           "PLANTED-GCP-OUTPUT-5e5e", "PLANTED-AZURE-KEY-0d0d", "PLANTEDCONNSTRINGKEY",
           "ghp_abcdefghijklmnopqrstuvwxyz0123456789")


@pytest.fixture(scope="module")
def imported(estate):  # type: ignore[no-untyped-def]
    s = estate.states
    res = import_states(estate.engine, name="iac", by="ci", reason="main branch @ 1a2b3c",
                        locations=[str(s / "aws"), str(s / "gcp" / "terraform.tfstate"),
                                   str(s / "azure" / "terraform.tfstate")])
    report = compute_drift(estate.engine, baseline="iac", snapshot_id=estate.sid)
    return res, report


def _by_key(report):  # type: ignore[no-untyped-def]
    return {i.resource_key: i for i in report.items}


def test_import_reads_workspaces_modules_and_instances(estate, imported) -> None:  # type: ignore[no-untyped-def]
    res, _ = imported
    sources = [s["source"] for s in res.states]
    assert any(s.endswith("aws/terraform.tfstate") for s in sources)
    assert any("terraform.tfstate.d/staging" in s for s in sources)  # a second workspace
    assert res.unmapped == {"aws_elasticache_cluster": 1}
    assert res.ref.entry_count == res.declared
    acts = [e for e in auditlog.iter_entries(estate.engine) if e.action == "baseline.approve" and e.details.get("kind") == "terraform"]
    assert acts and acts[-1].actor == "ci" and acts[-1].details["reason"] == "main branch @ 1a2b3c"
    assert auditlog.verify_chain(estate.engine) == []


def test_aws_unmanaged_missing_modified(estate, imported) -> None:  # type: ignore[no-untyped-def]
    res, report = imported
    shown = {e["resource_key"]: e for e in baselines.entries(estate.engine, res.ref)}
    assert "aws.s3.bucket|arn:aws:s3:::acme-ml-9012-audit-evidence" in shown
    items = _by_key(report)
    assert items["aws.s3.bucket|arn:aws:s3:::acme-ml-9012-public-datasets"].change == "unmanaged"
    assert items["aws.s3.bucket|arn:aws:s3:::acme-ml-9012-tf-gone"].change == "missing"  # count.index 1
    # Split resources: bucket + versioning + public access block meet on one key.
    evidence = items["aws.s3.bucket|arn:aws:s3:::acme-ml-9012-audit-evidence"]
    assert evidence.change == "modified"
    paths = {c.path for c in evidence.changes}
    assert "tags.owner" in paths
    assert all(p.startswith(("config.Versioning", "config.PublicAccessBlock", "facets.versioning", "tags", "name"))
               for p in paths)
    # Security group + separate rule: the out-of-band SSH rule is drift, and a high one.
    sg = next(i for k, i in items.items() if k.startswith("aws.ec2.security_group|") and i.change == "modified")
    ing = next(c for c in sg.changes if c.path == "facets.ingress")
    assert any(r["from_port"] == 22 and r["cidr"] == "0.0.0.0/0" for r in ing.after)
    assert not any(r["from_port"] == 22 for r in ing.before)
    assert sg.severity in ("high", "critical")
    # Role + inline policy + attachment: only the declared-but-absent inline policy drifts.
    role = items["aws.iam.role|arn:aws:iam::123456789012:role/acme-ml-service-0"]
    assert role.change == "modified"
    assert {c.path for c in role.changes} == {"config.RolePolicyList"}


def test_unmanaged_attributes_are_not_drift(imported) -> None:  # type: ignore[no-untyped-def]
    _, report = imported
    items = _by_key(report)
    # gcp-trainer-bridge has AdministratorAccess attached and a description: neither is declared.
    assert "aws.iam.role|arn:aws:iam::123456789012:role/gcp-trainer-bridge" not in items


def test_gcp_modified_split_iam_and_missing(imported) -> None:  # type: ignore[no-untyped-def]
    _, report = imported
    items = _by_key(report)
    models = items["gcp.storage.bucket|//storage.googleapis.com/projects/_/buckets/ml-prod-models"]
    paths = {c.path for c in models.changes}
    assert {"config.versioning.enabled", "config.iamPolicy.bindings"} <= paths
    assert items["gcp.compute.firewall|//compute.googleapis.com/projects/ml-prod/global/firewalls/tf-removed-fw"].change == "missing"
    assert "gcp.compute.firewall|//compute.googleapis.com/projects/ml-prod/global/firewalls/allow-ssh-world" not in items


def test_azure_nsg_rules_tags_and_missing(imported) -> None:  # type: ignore[no-untyped-def]
    _, report = imported
    items = _by_key(report)
    nsg = items[f"azure.network.nsg|/subscriptions/{SUB}/resourcegroups/rg-prod/providers/microsoft.network/"
                "networksecuritygroups/prod-nsg-closed"]
    assert [c.path for c in nsg.changes] == ["facets.ingress"]  # the declared bastion rule is absent
    acct = items[f"azure.storage.account|/subscriptions/{SUB}/resourcegroups/rg-prod/providers/microsoft.storage/"
                 "storageaccounts/stprodgrs01"]
    assert any(c.path == "tags.data-classification" for c in acct.changes)
    assert items[f"azure.identity.user_assigned|/subscriptions/{SUB}/resourcegroups/rg-prod/providers/"
                 "microsoft.managedidentity/userassignedidentities/uami-gone"].change == "missing"


def test_coverage_per_account_and_type(imported) -> None:  # type: ignore[no-untyped-def]
    _, report = imported
    cov = {(c["account"], c["type"]): c for c in report.iac_coverage}
    s3 = cov[("123456789012", "aws.s3.bucket")]
    assert s3["managed"] == 1 and s3["resources"] > 1 and 0 < s3["share"] < 1
    assert "iac_coverage" in report.as_dict()
    assert report.counts()["unmanaged"] > 0 and report.counts()["missing"] >= 3


def test_nothing_sensitive_is_stored(estate, imported, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    estate.engine.dispose()  # flush WAL into the file before grepping
    blobs = [p.read_bytes() for p in estate.db.parent.glob("auditor.db*")]
    for secret in PLANTED:
        assert not any(secret.encode() in b for b in blobs), secret
    report = imported[1]
    text = json.dumps(report.as_dict(), default=str)
    for secret in PLANTED:
        assert secret not in text


def test_unit_that_did_not_complete_is_unknown_not_missing(estate, imported) -> None:  # type: ignore[no-untyped-def]
    from auditor.collect import run_collection

    estate.gcp_fake.disable_api("ml-prod", "compute.googleapis.com")
    second = run_collection(estate.config, estate.engine, providers=("gcp",))
    report = compute_drift(estate.engine, baseline="iac", snapshot_id=second.snapshot_id)
    items = _by_key(report)
    gone = items["gcp.compute.firewall|//compute.googleapis.com/projects/ml-prod/global/firewalls/tf-removed-fw"]
    assert gone.change == "unknown"
    present = items["gcp.compute.firewall|//compute.googleapis.com/projects/ml-prod/global/firewalls/allow-ssh-world"]
    assert present.change == "unknown"
    assert not any(i.change == "missing" and i.provider == "gcp" and i.type == "gcp.compute.firewall"
                   and "/ml-prod/" in i.resource_key for i in report.items)


def test_terraform_baseline_is_immutable_and_verifiable(estate, imported) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError, match="Terraform"):
        baselines.accept(estate.engine, name="iac", resource_keys=["x"], reason="r", by="b")
    assert verify_declarations(estate.engine) == []
    with estate.engine.begin() as c:
        c.exec_driver_sql("UPDATE terraform_declarations SET declared = replace(declared, 'Enabled', 'Suspended')")
    assert verify_declarations(estate.engine)
