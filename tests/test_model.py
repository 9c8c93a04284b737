"""The envelope: canonical hashing, volatile and unordered rules, redaction."""

from __future__ import annotations

from datetime import datetime, timezone

from auditor.canonical import HashRules
from auditor.model import make_resource

RULES = HashRules(volatile=("config.etag", "facets.access_keys[*].last_used"), unordered=("config.rules",))


def env(**config):
    facets = config.pop("facets", {})
    return make_resource(provider="gcp", account="p", region="europe-west1", category="network",
                         type="gcp.compute.firewall", native_id="fw", name="fw", config=config, facets=facets,
                         rules=RULES)


def test_volatile_fields_never_change_the_hash():
    a = env(etag="A", port=22, facets={"access_keys": [{"id_suffix": "AB", "last_used": "2026-01-01"}]})
    b = env(etag="B", port=22, facets={"access_keys": [{"id_suffix": "AB", "last_used": "2026-02-01"}]})
    assert a.content_hash == b.content_hash and a.config == b.config and a.facets == b.facets
    assert "etag" not in a.config and "last_used" not in a.facets
    assert env(etag="A", port=23).content_hash != a.content_hash


def test_unordered_lists_and_key_order_do_not_change_the_hash():
    a = env(rules=[{"p": 22}, {"p": 443}], x=1, y=2)
    b = make_resource(provider="gcp", account="p", region="europe-west1", category="network",
                      type="gcp.compute.firewall", native_id="fw", name="fw",
                      config={"y": 2, "x": 1, "rules": [{"p": 443}, {"p": 22}]}, rules=RULES)
    assert a.content_hash == b.content_hash and a.config == b.config


def test_sdk_values_are_converted_and_location_resolved():
    r = env(created=datetime(2026, 1, 1, tzinfo=timezone.utc), ids=(1, 2))
    assert '"created":"2026-01-01T00:00:00+00:00"' in r.config and '"ids":[1,2]' in r.config
    assert r.location == "BE" and r.resource_key == "gcp.compute.firewall|fw"


def test_secrets_are_redacted_before_storage():
    r = env(startup_script="x", password="hunter2", note="key AKIAIOSFODNN7EXAMPLE here",
            conn="DefaultEndpointsProtocol=https;AccountName=a;AccountKey=c2VjcmV0==",
            thumbprint="626d44e704d1ceabe3bf0d53397464ac8080142c", passwordEnabled=True)
    assert "hunter2" not in r.config and "AKIAIOSFODNN7EXAMPLE" not in r.config and "c2VjcmV0" not in r.config
    assert "626d44e704d1ceabe3bf0d53397464ac8080142c" in r.config  # a hex thumbprint is not a secret
    assert '"passwordEnabled":true' in r.config


def test_azure_keys_are_case_folded():
    a = make_resource(provider="azure", account="s", region="westeurope", category="storage",
                      type="azure.storage.account", native_id="/subscriptions/S/resourceGroups/RG/x", name="x", config={})
    b = make_resource(provider="azure", account="s", region="westeurope", category="storage",
                      type="azure.storage.account", native_id="/subscriptions/s/resourcegroups/rg/x", name="x", config={})
    assert a.resource_key == b.resource_key
