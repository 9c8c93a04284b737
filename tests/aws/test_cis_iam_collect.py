"""CIS AWS identity/account and storage rules over collected data: two accounts seeded in moto
server (one unsafe, one its safe twin), collected over real HTTP by the real collectors, judged
by the registered rules.

What moto cannot produce, and where it is covered instead (tests/rules/examples_aws_iam.py):
- the credential report's ``<root_account>`` row (moto lists IAM users only): every root rule is
  UNKNOWN here, which is also what the rules must say when root cannot be read;
- passwords and keys used or created in the past (moto stamps "now"): credentials_unused only
  has its safe side here;
- S3 MFA delete (moto accepts the setting but GetBucketVersioning never returns MFADelete) and
  an unexpired IAM server certificate (moto reports every certificate as expired in 2012):
  only the unsafe side;
- IAM Access Analyzer (moto has no backend): the unit must end ``error``, never empty.
Moto starts every account and region with Macie ENABLED; the unsafe account turns it off.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import boto3
import pytest

from auditor.facets import unknown_facet_keys
from auditor.model import UnitStatus
from auditor.rules.engine import evaluate
from collectors.aws import AwsClientFactory, classify, plan
from collectors.runner import ListSink, run_units
from aws_testlib import PRIMARY, aws_config

UNSAFE, SAFE = "444455556666", "555566667777"
REGION = "eu-west-1"
AWS_POLICY = "arn:aws:iam::aws:policy/"
TYPES = ["aws.iam.user", "aws.iam.role", "aws.iam.policy", "aws.iam.password_policy", "aws.iam.root_user",
         "aws.iam.support_access", "aws.iam.server_certificate", "aws.iam.federation", "aws.accessanalyzer.analyzers",
         "aws.account.security_contact", "aws.s3.bucket", "aws.s3.account_public_access_block",
         "aws.rds.instance", "aws.efs.file_system", "aws.macie.session"]
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PRIMARY}:root"}, "Action": "sts:AssumeRole"}]})
ADMIN_DOC = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
CERT = """-----BEGIN CERTIFICATE-----
MIIBVjCB/qADAgECAgEBMAoGCCqGSM49BAMCMBQxEjAQBgNVBAMMCWxvY2FsaG9zdDAeFw0yMDAxMDEwMDAwMDBaFw0yMTAx
MDEwMDAwMDBaMBQxEjAQBgNVBAMMCWxvY2FsaG9zdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABA==
-----END CERTIFICATE-----"""


SAML_METADATA = ('<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com">'
                 '<IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/>'
                 '</EntityDescriptor>' + " " * 1000)


def _client(url: str, service: str, account: str) -> Any:
    c = boto3.client(service, region_name=REGION, endpoint_url=url,
                     aws_access_key_id="testing", aws_secret_access_key="testing")
    c.meta.events.register("before-sign", lambda request, **_: request.headers.__setitem__(
        "x-moto-account-id", account))
    return c


def _seed_common(url: str, account: str) -> None:
    iam = _client(url, "iam", account)
    iam.create_role(RoleName="PostureAuditor", AssumeRolePolicyDocument=TRUST)
    iam.create_group(GroupName="readers")
    iam.attach_group_policy(GroupName="readers", PolicyArn=AWS_POLICY + "ReadOnlyAccess")


def _seed_unsafe(url: str) -> None:
    iam = _client(url, "iam", UNSAFE)
    iam.create_user(UserName="two-keys")
    iam.create_access_key(UserName="two-keys")
    iam.create_access_key(UserName="two-keys")
    iam.create_user(UserName="setup-key")  # console user with a key nobody has used
    iam.create_login_profile(UserName="setup-key", Password="Correct-Horse-1")
    iam.create_access_key(UserName="setup-key")
    iam.attach_user_policy(UserName="setup-key", PolicyArn=AWS_POLICY + "ReadOnlyAccess")  # direct grant
    admin = iam.create_policy(PolicyName="everything", PolicyDocument=ADMIN_DOC)["Policy"]["Arn"]
    iam.attach_group_policy(GroupName="readers", PolicyArn=admin)
    iam.create_role(RoleName="shell", AssumeRolePolicyDocument=TRUST)
    iam.attach_role_policy(RoleName="shell", PolicyArn=AWS_POLICY + "AWSCloudShellFullAccess")
    iam.upload_server_certificate(ServerCertificateName="old-site", CertificateBody=CERT,
                                  PrivateKey="not-a-real-key")
    # no password policy, no support role, no security contact
    _client(url, "macie2", UNSAFE).disable_macie()
    s3 = _client(url, "s3", UNSAFE)
    s3.create_bucket(Bucket="unsafe-cis-bucket", CreateBucketConfiguration={"LocationConstraint": REGION})
    _client(url, "rds", UNSAFE).create_db_instance(
        DBInstanceIdentifier="unsafe-db", DBInstanceClass="db.t3.micro", Engine="postgres", MasterUsername="u",
        MasterUserPassword="Not-Stored-1", AllocatedStorage=20, MultiAZ=False, AutoMinorVersionUpgrade=False,
        PubliclyAccessible=True, StorageEncrypted=False)
    _client(url, "efs", UNSAFE).create_file_system(
        CreationToken="unsafe-fs", Encrypted=False, Tags=[{"Key": "Name", "Value": "unsafe-fs"}])


def _seed_safe(url: str) -> None:
    iam = _client(url, "iam", SAFE)
    iam.create_user(UserName="one-key")
    iam.create_access_key(UserName="one-key")
    iam.add_user_to_group(GroupName="readers", UserName="one-key")
    iam.create_user(UserName="console-only")
    iam.create_login_profile(UserName="console-only", Password="Correct-Horse-1")
    iam.add_user_to_group(GroupName="readers", UserName="console-only")
    iam.create_policy(PolicyName="everything", PolicyDocument=ADMIN_DOC)  # admin, but attached to nobody
    iam.create_role(RoleName="shell", AssumeRolePolicyDocument=TRUST)
    iam.attach_role_policy(RoleName="shell", PolicyArn=AWS_POLICY + "ReadOnlyAccess")
    iam.create_role(RoleName="incident-support", AssumeRolePolicyDocument=TRUST)
    iam.attach_role_policy(RoleName="incident-support", PolicyArn=AWS_POLICY + "AWSSupportAccess")
    iam.update_account_password_policy(MinimumPasswordLength=14, PasswordReusePrevention=24)
    iam.create_saml_provider(Name="corp-idp", SAMLMetadataDocument=SAML_METADATA)
    _client(url, "account", SAFE).put_alternate_contact(
        AlternateContactType="SECURITY", Name="Security team", Title="SOC", EmailAddress="soc@example.com",
        PhoneNumber="+1 555 0100")
    s3 = _client(url, "s3", SAFE)
    s3.create_bucket(Bucket="safe-cis-bucket", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket="safe-cis-bucket", VersioningConfiguration={"Status": "Enabled"})
    s3.put_public_access_block(Bucket="safe-cis-bucket", PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    _client(url, "rds", SAFE).create_db_instance(
        DBInstanceIdentifier="safe-db", DBInstanceClass="db.t3.micro", Engine="postgres", MasterUsername="u",
        MasterUserPassword="Not-Stored-1", AllocatedStorage=20, MultiAZ=True, AutoMinorVersionUpgrade=True,
        PubliclyAccessible=False, StorageEncrypted=True)
    _client(url, "efs", SAFE).create_file_system(
        CreationToken="safe-fs", Encrypted=True, Tags=[{"Key": "Name", "Value": "safe-fs"}])


@pytest.fixture(scope="module")
def collected(moto_url):  # type: ignore[no-untyped-def]
    for account in (UNSAFE, SAFE):
        _seed_common(moto_url, account)
    _seed_unsafe(moto_url)
    _seed_safe(moto_url)
    cfg = aws_config(moto_url, accounts=(UNSAFE, SAFE), resource_types=TYPES, exclude_resource_types=[])
    sink = ListSink()
    run_units(plan(cfg, clients=AwsClientFactory(cfg, max_attempts=1)), sink, classifiers={"aws": classify})
    return sink


@pytest.fixture(scope="module")
def verdicts(collected):  # type: ignore[no-untyped-def]
    """{(account, resource name, rule id): status} from the registered rules."""
    from tests.identity.factories import stored
    from tests.rules.examples import CONFIG

    rs = [stored(r) for r in collected.resources]
    findings, _ = evaluate(rs, rs, CONFIG, as_of=datetime.now(timezone.utc))
    names = {r.resource_key: (r.account, r.name) for r in collected.resources}
    return {(*names[f.resource_key], f.rule_id): f.status for f in findings if f.resource_key in names}


def _twin(verdicts, rule_id: str, unsafe: str, safe: str) -> tuple[str | None, str | None]:  # type: ignore[no-untyped-def]
    return verdicts.get((UNSAFE, unsafe, rule_id)), verdicts.get((SAFE, safe, rule_id))


def test_units_complete_except_access_analyzer_which_fails_honestly(collected) -> None:
    bad = [(str(u.unit), u.status.value) for u in collected.units
           if not u.status.completed and u.unit.resource_type != "aws.accessanalyzer.analyzers"]
    assert bad == []
    analyzer = {u.status for u in collected.units if u.unit.resource_type == "aws.accessanalyzer.analyzers"}
    assert analyzer == {UnitStatus.ERROR}
    assert not collected.by_type("aws.accessanalyzer.analyzers")
    for r in collected.resources:
        assert unknown_facet_keys(r.category, json.loads(r.facets)) == [], r.type


def test_nothing_secret_or_personal_is_stored(collected) -> None:
    text = " ".join(r.config + r.facets for r in collected.resources)
    for secret in ("Not-Stored-1", "Correct-Horse-1", "not-a-real-key", "soc@example.com", "+1 555 0100"):
        assert secret not in text


@pytest.mark.parametrize("rule_id,unsafe,safe", [
    ("iam.multiple_active_keys", "two-keys", "one-key"),
    ("iam.setup_access_key", "setup-key", "console-only"),
    ("iam.user_direct_policies", "setup-key", "console-only"),
    ("iam.admin_policy_attached", "everything", "everything"),
    ("iam.cloudshell_full_access", "shell", "shell"),
    ("iam.password_min_length", UNSAFE, SAFE),
    ("iam.password_reuse", UNSAFE, SAFE),
    ("iam.support_role_missing", UNSAFE, SAFE),
    ("iam.no_federation", UNSAFE, SAFE),
    ("account.security_contact_missing", UNSAFE, SAFE),
    ("s3.versioning", "unsafe-cis-bucket", "safe-cis-bucket"),
    ("s3.block_public_access", "unsafe-cis-bucket", "safe-cis-bucket"),
    ("rds.unencrypted", "unsafe-db", "safe-db"),
    ("rds.publicly_accessible", "unsafe-db", "safe-db"),
    ("rds.auto_minor_upgrade", "unsafe-db", "safe-db"),
    ("rds.multi_az", "unsafe-db", "safe-db"),
    ("efs.unencrypted", "unsafe-fs", "safe-fs"),
    ("s3.macie_disabled", f"{UNSAFE}/{REGION}", f"{SAFE}/{REGION}"),
])
def test_unsafe_account_fails_and_safe_twin_passes(verdicts, rule_id: str, unsafe: str, safe: str) -> None:
    assert _twin(verdicts, rule_id, unsafe, safe) == ("FAIL", "PASS")


def test_states_moto_gives_only_one_side_of(verdicts) -> None:
    assert verdicts[(UNSAFE, "old-site", "iam.server_certificate_expired")] == "FAIL"
    assert verdicts[(UNSAFE, "unsafe-cis-bucket", "s3.mfa_delete")] == "FAIL"
    assert verdicts[(SAFE, "one-key", "iam.credentials_unused")] == "PASS"  # used "now" by moto's clock
    assert verdicts[(SAFE, "console-only", "iam.credentials_unused")] == "PASS"


def test_root_rules_are_unknown_without_a_root_row(collected, verdicts) -> None:
    [root] = [r for r in collected.by_type("aws.iam.root_user") if r.account == UNSAFE]
    facets = json.loads(root.facets)
    assert facets == {"root_access_keys_active": None, "root_mfa": None, "root_hardware_mfa": None,
                      "root_last_used": None}
    for rid in ("iam.root_access_key", "iam.root_mfa", "iam.root_hardware_mfa", "iam.root_recent_use"):
        assert verdicts[(UNSAFE, "root", rid)] == "UNKNOWN", rid


def test_user_facets_carry_credential_use(collected) -> None:
    users = {r.name: json.loads(r.facets) for r in collected.by_type("aws.iam.user")}
    assert users["setup-key"]["direct_policies"] == [AWS_POLICY + "ReadOnlyAccess"]
    assert users["one-key"]["direct_policies"] == []
    assert users["one-key"]["managed_policy_arns"] == [AWS_POLICY + "ReadOnlyAccess"]  # through the group
    assert users["console-only"]["password_unused"] is False  # created now, never used
    assert users["one-key"]["password_unused"] is None  # no console password
    assert [(k["used"], k["unused"]) for k in users["setup-key"]["access_keys"]] == [(False, False)]


def test_unused_is_counted_from_last_use_else_creation() -> None:
    """The collector's threshold, with the timestamps moto cannot produce."""
    from collectors.aws.iam import unused_since

    now = datetime(2026, 6, 1, tzinfo=timezone.utc)
    assert unused_since("2026-04-01T00:00:00+00:00", "2025-01-01T00:00:00+00:00", now) is True
    assert unused_since("2026-05-20T00:00:00+00:00", "2025-01-01T00:00:00+00:00", now) is False
    assert unused_since(None, "2026-04-17T00:00:00+00:00", now) is True  # never used, 45 days old
    assert unused_since(None, "2026-04-18T00:00:00+00:00", now) is False
    assert unused_since(None, None, now) is None
