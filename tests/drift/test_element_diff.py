"""Lists that are sets diff as added/removed elements a reviewer can read."""

from __future__ import annotations

from auditor.drift.diff import describe_element, diff_documents, element_changes

SSH = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}
RDP = {"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
HTTPS = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}


def _doc(perms, ingress=None, statements=None, bindings=None):  # type: ignore[no-untyped-def]
    return {"name": "sg", "tags": {}, "config": {"IpPermissions": perms, "Policy": {"Statement": statements or []},
                                                 "bindings": bindings or []},
            "facets": {"ingress": ingress or []}}


def test_rule_replaced_at_same_length_is_one_removed_and_one_added() -> None:
    before, after = _doc([SSH, HTTPS]), _doc([SSH, RDP])
    changes = diff_documents(before, after)
    assert changes and all(c.path.startswith("config.IpPermissions[") for c in changes)  # paths kept as before
    lines = [e.line() for e in element_changes(before, after, changes)]
    assert lines == ["- tcp/443 from 0.0.0.0/0", "+ tcp/3389 from 0.0.0.0/0"]


def test_rule_added_changes_length() -> None:
    before, after = _doc([SSH], ingress=[]), _doc([SSH, RDP], ingress=[
        {"direction": "ingress", "action": "allow", "cidr": "0.0.0.0/0", "protocol": "tcp", "from_port": 3389,
         "to_port": 3389}])
    elements = element_changes(before, after, diff_documents(before, after))
    assert {(e.path, e.line()) for e in elements} == {
        ("config.IpPermissions", "+ tcp/3389 from 0.0.0.0/0"), ("facets.ingress", "+ tcp/3389 from 0.0.0.0/0")}
    assert all(e.op == "added" for e in elements)


def test_policy_statements_and_bindings_diff_per_element() -> None:
    keep = {"Effect": "Allow", "Action": "s3:GetObject", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Resource": "*"}
    new = {"Effect": "Allow", "Action": ["sts:AssumeRole"], "Principal": {"AWS": "*"}}
    b = _doc([SSH], statements=[keep], bindings=[{"role": "roles/viewer", "members": ["user:a@x.org"]}])
    a = _doc([SSH], statements=[keep, new], bindings=[{"role": "roles/owner", "members": ["allUsers"]}])
    lines = {e.line() for e in element_changes(b, a, diff_documents(b, a))}
    assert lines == {"+ Allow sts:AssumeRole by AWS:*", "- roles/viewer to user:a@x.org", "+ roles/owner to allUsers"}


def test_unknown_shapes_fall_back_to_compact_json() -> None:
    assert describe_element({"b": 1, "a": [2]}) == '{"a":[2],"b":1}'
    assert describe_element({"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}) == "all/all from 0.0.0.0/0"
