"""The mapping table covers every type we collect and names only transforms that exist."""

from __future__ import annotations

from auditor.terraform import drift, mapping, transforms
from auditor.terraform.state import Instance


def test_every_collected_type_is_mapped_or_explained() -> None:
    mapped = {r.type for r in mapping.table().values()}
    explained = set(mapping.not_declarable())
    assert set(drift._categories()) - mapped - explained == set()
    assert not (mapped & explained)


def test_table_names_only_known_transforms_and_flatteners() -> None:
    for r in mapping.table().values():
        assert r.tf_type.startswith(mapping.PROVIDER_PREFIX[r.provider]), r.tf_type
        for spec in r.set.values():
            if isinstance(spec, dict):
                assert spec["as"] in transforms.VALUE, (r.tf_type, spec)
        for add in r.add:
            assert add["as"] == "each" or add["as"] in transforms.ITEMS, (r.tf_type, add)
            assert add["set"] in transforms.FLATTEN, (r.tf_type, add)


def _inst(type_: str, attrs: dict, provider: str = "p") -> Instance:
    return Instance("s", f"{type_}.x", type_, provider, attrs)


def test_split_resources_meet_on_one_key_and_account_is_inferred() -> None:
    res = mapping.map_instances([
        _inst("aws_iam_role", {"arn": "arn:aws:iam::123456789012:role/r", "name": "r"}),
        _inst("aws_iam_role_policy_attachment", {"role": "r", "policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
        _inst("aws_iam_role_policy", {"role": "r", "name": "p",
                                      "policy": '{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'}),
        _inst("azurerm_network_security_group", {"id": "/subscriptions/S/resourceGroups/G/providers/Microsoft.Network/"
                                                       "networkSecurityGroups/N", "name": "N", "security_rule": []}),
        _inst("azurerm_network_security_rule", {
            "id": "/subscriptions/S/resourceGroups/G/providers/Microsoft.Network/networkSecurityGroups/N/securityRules/x",
            "resource_group_name": "G", "network_security_group_name": "N", "priority": 100, "direction": "Inbound",
            "access": "Allow", "protocol": "Tcp", "destination_port_range": "22", "source_address_prefix": "*"}),
    ])
    role = res.declared["aws.iam.role|arn:aws:iam::123456789012:role/r"]
    assert role.account == "123456789012" and len(role.addresses) == 3
    doc = role.document()
    assert doc["sets"]["config.AttachedManagedPolicies"]["items"] == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    assert doc["sets"]["config.RolePolicyList"]["items"][0][1]["Statement"][0]["Action"] == ["s3:*"]
    nsg = res.declared["azure.network.nsg|/subscriptions/s/resourcegroups/g/providers/microsoft.network/"
                       "networksecuritygroups/n"]
    ingress = nsg.document()["sets"]["facets.ingress"]
    assert ingress["exclusive"] is True
    assert {(r["cidr"], r["from_port"]) for r in ingress["items"]} == {("0.0.0.0/0", 22), ("::/0", 22)}


def test_unbuildable_key_is_reported_not_guessed() -> None:
    res = mapping.map_instances([_inst("aws_security_group_rule", {"security_group_id": "sg-1", "type": "ingress"})])
    assert not res.declared and res.unmapped["aws_security_group_rule"] == 1
    assert "cannot build" in res.problems[0]


def test_compare_reports_declared_paths_only() -> None:
    decl = {"values": {"config.Versioning.Status": "Enabled", "config.NotCollected": 1}, "tags": {"a": "1"},
            "sets": {"facets.ingress": {"flatten": "rules", "exclusive": False, "items": []}}}
    doc = {"name": "b", "tags": {"a": "1"}, "config": {"Versioning": {"Status": "Suspended"}, "Other": "x"},
           "facets": {"ingress": [{"cidr": "0.0.0.0/0"}]}}
    changes, declared_doc = drift.compare(decl, doc)
    assert [(c.path, c.before, c.after) for c in changes] == [("config.Versioning.Status", "Enabled", "Suspended")]
    assert declared_doc["config"]["Other"] == "x"


def test_coverage_html_section_escapes_hostile_strings() -> None:
    from auditor.exports.gather import drift_from_report
    from auditor.terraform.report import coverage_section_html

    cov = [{"provider": "aws", "account": "<script>alert(1)</script>", "type": "aws.s3.bucket", "resources": 4,
            "managed": 1, "share": 0.25}]
    html = coverage_section_html(cov, "iac@1")
    assert "<script>" not in html and "&lt;script&gt;" in html and "25%" in html and "1 of 4" in html
    assert coverage_section_html(None) == ""

    class Report:
        baseline = "iac@1"
        items: list = []
        iac_coverage = cov

    assert drift_from_report(Report()).iac_coverage == cov


def test_account_is_borrowed_from_another_provider_alias_of_the_same_state() -> None:
    res = mapping.map_instances([
        _inst("aws_s3_bucket", {"bucket": "b", "arn": "arn:aws:s3:::b"}, provider="aws"),
        _inst("aws_vpc", {"arn": "arn:aws:ec2:eu-west-1:123456789012:vpc/vpc-1"}, provider="aws.eu"),
    ])
    assert res.declared["aws.s3.bucket|arn:aws:s3:::b"].account == "123456789012"
