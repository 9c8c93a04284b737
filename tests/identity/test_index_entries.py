"""Index entries hold an identity's kept config as JSON bytes: every read gives back what the
full resource had under the kept keys, and configs JSON would change are kept as they are."""

from __future__ import annotations

from types import SimpleNamespace

from auditor.identity.estate import Estate
from auditor.identity.index import Index, Res


def _res(type_: str, config: dict, facets: dict | None = None) -> Res:
    return Res.of(SimpleNamespace(resource_key=f"{type_}|x", provider="aws", account="111122223333",
                                  region="global", type=type_, native_id="x", name="x", config=config,
                                  facets=facets or {}, tags={"team": "a"}))


def test_kept_keys_read_back_equal_and_fresh():
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "arn:x"},
                                                   "Action": "sts:AssumeRoleWithWebIdentity", "n": 1.5}]}
    ix = Index(estate=Estate())
    ix.add(_res("aws.iam.role", {"Arn": "arn:aws:iam::111122223333:role/x", "RoleName": "x",
                                 "AssumeRolePolicyDocument": doc, "Tags": [{"Key": "a"}]}, {"admin": True, "x": 1}))
    entry = ix.aws_roles_by_arn["arn:aws:iam::111122223333:role/x"]
    assert entry.config == {"Arn": "arn:aws:iam::111122223333:role/x", "RoleName": "x",
                            "AssumeRolePolicyDocument": doc}
    first = entry.config
    first["RoleName"] = "changed"
    assert entry.config["RoleName"] == "x"  # each read decodes anew
    assert entry.facets == {"admin": True} and entry.tags == {}


def test_configs_json_would_change_are_kept_as_they_are():
    ix = Index(estate=Estate())
    odd = {"Arn": "arn:aws:iam::111122223333:policy/p", "PolicyVersionList": ({"VersionId": "v1"},),
           "Document": {1: float("nan")}}
    ix.add(_res("aws.iam.policy", odd))
    entry = ix.aws_policies_by_arn["arn:aws:iam::111122223333:policy/p"]
    assert type(entry.config["PolicyVersionList"]) is tuple and 1 in entry.config["Document"]
    ix.add(_res("aws.iam.policy", {"Arn": "arn:p2", "Document": {"big": 2**70}}))
    assert ix.aws_policies_by_arn["arn:p2"].config == {"Arn": "arn:p2", "Document": {"big": 2**70}}
