"""The redaction corpus (issue 11 finding 4): every secret shape is caught wherever it is stored,
and its safe twins (ARNs, digests, ordinary names) are left alone, so resource keys survive."""

from __future__ import annotations

import logging

import pytest

from auditor.model import make_resource
from auditor.redact import REDACTED, RedactingFilter, clean, is_secret_key, looks_secret, redact_identity

AKIA = "AKIAIOSFODNN7EXAMPLE"
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0."
       "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
SLACK_HOOK = "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n-----END RSA PRIVATE KEY-----"
GITHUB = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"

SECRET_VALUES = [
    f"key {AKIA} here", "password: x", "token=x", "https://user:pw@host.example/db", SLACK_HOOK,
    STRIPE, PEM, JWT, GITHUB, "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=c2VjcmV0==",
    "postgresql://app:s3cr3t@db:5432/app", '{"api_token": "abc123"}', "export DB_PASSWORD=hunter2",
]
SAFE_TWINS = [
    "arn:aws:iam::123456789012:role/service-role/deploy",
    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf",
    "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "sha256:" + "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "626d44e704d1ceabe3bf0d53397464ac8080142c",
    "https://console.aws.amazon.com/s3/buckets/data",
    "projects/p-123/serviceAccounts/ci@p-123.iam.gserviceaccount.com",
    "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/prod-kv",
    "asia-east1", "token-refresher", "passwordPolicy", "secretsmanager:GetSecretValue", "sts:GetSessionToken",
]


@pytest.mark.parametrize("value", SECRET_VALUES)
def test_secret_values_are_caught(value):
    assert looks_secret(value), value
    assert clean({"v": value}) == {"v": REDACTED}


@pytest.mark.parametrize("value", SAFE_TWINS)
def test_safe_twins_are_kept(value):
    assert not looks_secret(value), value
    assert clean({"v": value}) == {"v": value}
    assert redact_identity(value) == value


@pytest.mark.parametrize("key", ["DB_PASSWORD", "api_token", "deploy_token", "app_secret", "client-secret",
                                 "Password", "SecretAccessKey"])
def test_secret_key_names(key):
    assert is_secret_key(key)
    assert clean({key: "anything"}) == {key: REDACTED}


@pytest.mark.parametrize("key", ["PasswordLastUsed", "KmsKeyId", "SecretArn", "tokenEndpoint", "KeyName",
                                 "passwordEnabled", "MaxPasswordAge"])
def test_safe_key_names(key):
    assert not is_secret_key(key)


def test_flags_and_name_value_pairs():
    doc = clean({"passwordEnabled": True, "Environment": [{"Name": "DB_PASSWORD", "Value": "hunter2"},
                                                          {"Name": "REGION", "Value": "eu-west-1"}],
                 "Tags": [{"Key": "deploy_token", "Value": "t0k"}]})
    assert doc["passwordEnabled"] is True
    assert doc["Environment"] == [{"Name": "DB_PASSWORD", "Value": REDACTED}, {"Name": "REGION", "Value": "eu-west-1"}]
    assert doc["Tags"] == [{"Key": "deploy_token", "Value": REDACTED}]


def _role(native_id: str, name: str, **config):  # type: ignore[no-untyped-def]
    return make_resource(provider="aws", account="123456789012", region="global", category="iam",
                         type="aws.iam.role", native_id=native_id, name=name, config=config,
                         tags={"Name": f"ci {AKIA}", AKIA: "tag key"})


def test_name_native_id_path_and_tags_are_redacted_and_keys_stay_stable_and_unique():
    arn = f"arn:aws:iam::123456789012:role/{AKIA}/deployer"
    a = _role(arn, f"deployer-{AKIA}", Path=f"/{AKIA}/", Arn=arn)
    stored = " ".join([a.resource_key, a.native_id, a.name or "", a.tags, a.config])
    assert AKIA not in stored
    assert a.native_id.startswith("arn:aws:iam::123456789012:role/<redacted:") and a.native_id.endswith("/deployer")
    assert a.resource_key == f"aws.iam.role|{a.native_id}"
    assert _role(arn, "x").resource_key == a.resource_key  # stable across runs
    other = _role(arn.replace(AKIA, "AKIAI44QH8DHBEXAMPLE"), "x")
    assert other.resource_key != a.resource_key  # unique: a different secret, a different key
    plain = _role("arn:aws:iam::123456789012:role/service-role/deploy", "deploy")
    assert plain.native_id == "arn:aws:iam::123456789012:role/service-role/deploy"


def test_low_entropy_secrets_in_identity_are_not_fingerprinted():
    assert redact_identity("https://admin:hunter2@db.example/x") == f"https://admin:{REDACTED}@db.example/x"


def test_log_records_are_redacted(caplog):
    logger = logging.getLogger("auditor.test.redact")
    handler = logging.StreamHandler()
    handler.addFilter(RedactingFilter())
    records: list[logging.LogRecord] = []
    handler.emit = records.append  # type: ignore[method-assign]
    logger.addHandler(handler)
    try:
        logger.warning("collected role %s with tag %s", f"arn:aws:iam::1:role/{AKIA}/x", SLACK_HOOK)
        try:
            raise ValueError(f"bad token=abc123 {GITHUB}")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    text = " ".join(handler.format(r) for r in records)
    assert AKIA not in text and "XXXXXXXXXXXXXXXXXXXXXXXX" not in text and GITHUB not in text and "abc123" not in text
    assert "arn:aws:iam::1:role/<redacted:" in text


def test_cli_logging_redacts_every_handler():
    from auditor.cli.context import setup_logging

    setup_logging(2, False)  # -vv
    try:
        assert all(any(isinstance(f, RedactingFilter) for f in h.filters) for h in logging.getLogger().handlers)
    finally:
        setup_logging(0, False)
