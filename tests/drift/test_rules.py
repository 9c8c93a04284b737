"""Severity table, JSON-path diffs, anchored globs and scopes, without a database."""

from __future__ import annotations

import pytest

from auditor.drift.diff import diff_documents
from auditor.drift.globs import glob_match
from auditor.drift.model import Change
from auditor.drift.scope import normalise, unit_in_scope
from auditor.drift.severity import CHANGE_RULES, TESTS, assess, flip_rules
from auditor.errors import UsageError


def doc(config=None, tags=None, facets=None, name="x"):  # type: ignore[no-untyped-def]
    return {"name": name, "region": "us-east-1", "location": "US", "config": config or {}, "tags": tags or {},
            "facets": facets or {}}


def test_change_table_names_known_tests_and_severities_and_rules_come_from_the_registry() -> None:
    from auditor.rules.verdict import SEVERITIES

    for r in CHANGE_RULES:
        assert (r.test in TESTS or r.test == "changed") and r.introduced in SEVERITIES and r.resolved in SEVERITIES
    ids = {r.id for r in flip_rules()}
    assert {"storage.public", "storage.unencrypted", "network.admin_port_open", "iam.wildcard_admin"} <= ids


def test_diff_paths_before_after() -> None:
    a = doc({"Versioning": {"Status": "Enabled"}, "Rules": [{"Port": 22}, {"Port": 443}], "Gone": 1}, {"Owner": "a"})
    b = doc({"Versioning": {"Status": "Suspended"}, "Rules": [{"Port": 22}, {"Port": 8443}], "New": [1]}, {"Owner": "b"})
    assert [c.as_dict() for c in diff_documents(a, b)] == [
        {"path": "config.Gone", "before": 1, "after": None},
        {"path": "config.New", "before": None, "after": [1]},
        {"path": "config.Rules[1].Port", "before": 443, "after": 8443},
        {"path": "config.Versioning.Status", "before": "Enabled", "after": "Suspended"},
        {"path": "tags.Owner", "before": "a", "after": "b"},
    ]
    grown = diff_documents(doc(facets={"ingress": [1]}), doc(facets={"ingress": [1, 2]}))
    assert grown == [Change("facets.ingress", [1], [1, 2])]
    assert diff_documents(doc(tags={"cost center": "1"}), doc(tags={"cost center": "2"}))[0].path == 'tags."cost center"'
    assert diff_documents(doc(facets={"public": False}), doc(facets={"public": 0})) != []


def test_tag_only_is_low_and_security_flips_rank_high() -> None:
    before, after = doc(tags={"Owner": "a"}), doc(tags={"Owner": "b"})
    assert assess("modified", "storage", before, after, diff_documents(before, after)).severity == "low"
    before, after = doc({"Size": 1}), doc({"Size": 2})
    assert assess("modified", "storage", before, after, diff_documents(before, after)).severity == "medium"
    before, after = doc(facets={"encrypted": True}), doc(facets={"encrypted": False})
    a = assess("modified", "storage", before, after, diff_documents(before, after))
    assert a.severity == "high" and a.reasons == ("storage.unencrypted: introduced",)
    back = assess("modified", "storage", after, before, diff_documents(after, before))
    assert back.severity == "medium" and back.reasons == ("storage.unencrypted: resolved",)


@pytest.mark.parametrize("rule,port,expected", [
    ({"cidr": "0.0.0.0/0", "protocol": "tcp", "from_port": 3389, "to_port": 3389}, None, "high"),
    ({"cidr": "::/0", "protocol": "all", "from_port": 0, "to_port": 65535}, None, "high"),
    ({"cidr": "0.0.0.0/0", "protocol": "udp", "from_port": 3389, "to_port": 3389}, None, "high"),
    ({"cidr": "0.0.0.0/0", "protocol": "icmp", "from_port": 0, "to_port": 65535}, None, "medium"),
    ({"cidr": "0.0.0.0/0", "protocol": "tcp", "from_port": 443, "to_port": 443}, None, "medium"),
    ({"cidr": "10.0.0.0/8", "protocol": "tcp", "from_port": 22, "to_port": 22}, None, "medium"),
    ({"cidr": "0.0.0.0/0", "protocol": "tcp", "from_port": 8080, "to_port": 8080}, [8080], "high"),
])
def test_open_admin_port(rule, port, expected) -> None:  # type: ignore[no-untyped-def]
    r = {"direction": "ingress", "action": "allow", "priority": None, **rule}
    before, after = doc(facets={"ingress": []}), doc(facets={"ingress": [r]})
    params = {"admin_ports": port} if port else {}
    meta = {"type": "aws.ec2.security_group"}
    assert assess("modified", "network", before, after, diff_documents(before, after), params,
                  meta=meta).severity == expected


def test_admin_port_behind_an_earlier_deny_is_not_drift_severity() -> None:
    """Same function as the posture rule: a higher-priority internet-wide deny closes the port."""
    deny = {"direction": "ingress", "action": "deny", "priority": 100, "cidr": "0.0.0.0/0", "protocol": "tcp",
            "from_port": 22, "to_port": 22}
    allow = {**deny, "action": "allow", "priority": 200}
    before, after = doc(facets={"ingress": [deny]}), doc(facets={"ingress": [deny, allow]})
    a = assess("modified", "network", before, after, diff_documents(before, after), meta={"type": "gcp.compute.firewall"})
    assert a.severity == "medium" and not a.reasons
    opened = doc(facets={"ingress": [allow]})
    assert assess("modified", "network", before, opened, diff_documents(before, opened)).severity == "high"


def test_ignored_facet_change_does_not_rank() -> None:
    """Only non-ignored changes feed the after side: an ignored facets.public flip ranks as a plain change."""
    from auditor.drift.model import Change

    before, after = doc(facets={"public": False, "versioning": True}), doc(facets={"public": True, "versioning": False})
    kept = [Change("facets.versioning", True, False)]  # facets.public was ignored
    assert assess("modified", "storage", before, after, kept).severity == "medium"
    assert assess("modified", "storage", before, after, diff_documents(before, after)).severity == "high"


def test_trust_widening_and_new_admin() -> None:
    def trust(principal, cond=None):  # type: ignore[no-untyped-def]
        st = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
        if cond:
            st["Condition"] = cond
        return doc({"AssumeRolePolicyDocument": {"Statement": [st]}})

    narrow = trust(["arn:aws:iam::1:root"], {"StringEquals": {"sts:ExternalId": "x"}})
    for wider in (trust(["arn:aws:iam::1:root", "*"], {"StringEquals": {"sts:ExternalId": "x"}}),
                  trust(["arn:aws:iam::1:root"])):  # a new principal, or a dropped condition
        assert assess("modified", "iam", narrow, wider, diff_documents(narrow, wider)).severity == "high"
    gcp_a = doc({"iamPolicy": {"bindings": [{"role": "roles/viewer", "members": ["user:a"]}]}})
    gcp_b = doc({"iamPolicy": {"bindings": [{"role": "roles/viewer", "members": ["user:a"]},
                                            {"role": "roles/owner", "members": ["user:b"]}]}})
    assert assess("modified", "iam", gcp_a, gcp_b, diff_documents(gcp_a, gcp_b)).severity == "high"
    assert assess("added", "iam", None, doc(facets={"admin": True})).severity == "high"
    assert assess("added", "iam", None, doc(facets={"admin": False})).severity == "medium"
    assert assess("unknown", "iam", None, None, ()).severity == "info"


def test_globs_are_anchored_and_literal() -> None:
    assert glob_match("tags.*", "tags.LastScanned")
    assert not glob_match("tags.*", "config.tags.x")  # anchored at the start
    assert not glob_match("LastScanned", "tags.LastScanned")  # and at the end
    assert glob_match("config.Rules[*].Port", "config.Rules[12].Port")
    assert not glob_match("a.b", "aXb")  # a dot is a dot, not "any character"
    assert glob_match("aws.s3.?ucket", "aws.s3.bucket")


def test_scope_normalisation_and_matching() -> None:
    assert normalise(["aws/123", "gcp|p1|europe-*"]) == ["aws|123|*|*", "gcp|p1|europe-*|*"]
    scope = normalise(["aws/123/*/aws.s3.*"])
    assert unit_in_scope("aws|123|us-east-1|aws.s3.bucket", scope)
    assert not unit_in_scope("aws|123|us-east-1|aws.ec2.instance", scope)
    assert not unit_in_scope("aws|1234|us-east-1|aws.s3.bucket", scope)
    assert unit_in_scope("anything", None)
    with pytest.raises(UsageError):
        normalise(["a/b/c/d/e"])


def test_sensitive_path_entry_ranks_a_change_no_rule_covers(monkeypatch: pytest.MonkeyPatch) -> None:
    from auditor.drift import severity

    entry = severity.ChangeRule("model-artifact", "endpoint serves another model", ("*.ml.endpoint",),
                                ("config.ModelDataUrl",), "changed", "high", "high")
    monkeypatch.setattr(severity, "CHANGE_RULES", (*severity.CHANGE_RULES, entry))
    before, after = doc({"ModelDataUrl": "s3://a/model.tar.gz"}), doc({"ModelDataUrl": "s3://b/model.tar.gz"})
    a = assess("modified", "compute", before, after, diff_documents(before, after), meta={"type": "aws.ml.endpoint"})
    assert a.severity == "high" and a.reasons == ("model-artifact: changed",)
    other = assess("modified", "compute", before, after, diff_documents(before, after), meta={"type": "aws.ec2.instance"})
    assert other.severity == "medium"
