"""Rule-side bullets of issue 12 part 2: each unsafe shape and its safe twin, plus UNKNOWN / not applicable."""

from __future__ import annotations

import pytest

from auditor.facets import rule as net_rule
from auditor.rules.engine import make_context
from auditor.rules.iam import privilege_escalation, wildcard_admin
from auditor.rules.network import admin_port_open, open_admin_ports
from auditor.rules.storage import storage_min_tls, storage_plain_http, storage_public_network, storage_unencrypted, tls_version
from tests.identity.factories import stored
from tests.rules.examples import CONFIG, res

CTX = make_context(CONFIG)


def _storage(**facets):  # type: ignore[no-untyped-def]
    return stored(res("azure", "azure.storage.account", "storage", "sa", facets, region="westeurope"))


@pytest.mark.parametrize("fn,facet,unsafe,safe", [
    (storage_unencrypted, "encrypted", False, True),
    (storage_plain_http, "https_only", False, True),
    (storage_min_tls, "min_tls", "TLS1_1", "TLS1_2"),
    (storage_min_tls, "min_tls", "TLS1_0", "TLS1_3"),
    (storage_public_network, "public_network_access", True, False),
])
def test_storage_facets_judged(fn, facet, unsafe, safe):  # type: ignore[no-untyped-def]
    assert fn(_storage(**{facet: unsafe}), CTX).status == "FAIL"
    assert fn(_storage(**{facet: safe}), CTX).status == "PASS"
    assert fn(_storage(**{facet: None}), CTX).status == "UNKNOWN"  # not collected is never PASS
    assert fn(_storage(), CTX) is None  # the collector does not fill it for this type


def test_tls_spellings():
    assert tls_version("TLS1_2") == (1, 2) and tls_version("TLSv1.1") == (1, 1) and tls_version("1.3") == (1, 3)
    assert storage_min_tls(_storage(min_tls="weird"), CTX).status == "FAIL"  # unreadable is not proof of safety


def _principal(type_, **facets):  # type: ignore[no-untyped-def]
    return stored(res("aws", type_, "iam", "p", facets, region="global"))


@pytest.mark.parametrize("type_", ["aws.iam.role", "aws.iam.user", "aws.iam.group"])
def test_users_and_groups_are_judged_for_admin_like_roles(type_):  # type: ignore[no-untyped-def]
    assert wildcard_admin(_principal(type_, admin=True), CTX).status == "FAIL"
    assert wildcard_admin(_principal(type_, admin=False), CTX).status == "PASS"
    assert wildcard_admin(_principal(type_, admin=None), CTX).status == "UNKNOWN"


def test_privilege_escalation_facet():
    path = {"path": "CreatePolicyVersion", "actions": ["iam:CreatePolicyVersion"], "resource": "*"}
    bad = privilege_escalation(_principal("aws.iam.user", privilege_escalation=[path]), CTX)
    assert bad.status == "FAIL" and "CreatePolicyVersion" in bad.message and bad.evidence["paths"] == [path]
    assert privilege_escalation(_principal("aws.iam.role", privilege_escalation=[]), CTX).status == "PASS"
    assert privilege_escalation(_principal("aws.iam.role", privilege_escalation=None), CTX).status == "UNKNOWN"
    assert privilege_escalation(_principal("aws.iam.role"), CTX) is None  # facet absent: not applicable


@pytest.mark.parametrize("ingress,open_ports", [
    ([net_rule("ingress", "0.0.0.0/0", "udp", 3389, 3389)], [3389]),  # UDP counts where the port matches
    ([net_rule("ingress", "::/0", "all")], [22, 3389]),  # ALL counts
    ([net_rule("ingress", "0.0.0.0/0", "-1")], [22, 3389]),
    ([net_rule("ingress", "0.0.0.0/0", "icmp", 0, 65535)], []),  # no ports
    ([net_rule("ingress", "0.0.0.0/0", "udp", 53, 53)], []),  # UDP on another port
    ([net_rule("ingress", "0.0.0.0/0", "tcp", 22, 22, "deny", 100),  # an earlier deny closes it
      net_rule("ingress", "0.0.0.0/0", "tcp", 22, 22, "allow", 200)], []),
    ([net_rule("ingress", "0.0.0.0/0", "tcp", 22, 22, "allow", 100),  # an earlier allow wins
      net_rule("ingress", "0.0.0.0/0", "all", 0, 65535, "deny", 200)], [22]),
    ([net_rule("ingress", "10.0.0.0/8", "all")], []),
])
def test_admin_port_is_one_function(ingress, open_ports):  # type: ignore[no-untyped-def]
    assert sorted({f["port"] for f in open_admin_ports(ingress, [22, 3389])}) == open_ports
    sg = stored(res("gcp", "gcp.compute.firewall", "network", "fw", {"ingress": ingress, "egress": []}, region="global"))
    status = admin_port_open(sg, make_context(CONFIG.model_copy(update={"checks": CONFIG.checks.model_copy(
        update={"admin_ports": [22, 3389]})})))
    assert status.status == ("FAIL" if open_ports else "PASS")
