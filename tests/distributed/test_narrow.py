"""A worker plans only its unit's account: the narrowed config names that account alone."""

from __future__ import annotations

from auditor.config.loader import load_config_text
from auditor.distributed.narrow import narrowed

CFG = """
aws:
  accounts: [{id: "111111111111"}, {id: "222222222222", role_name: Auditor}]
  organization: {role_name: OrgAuditor, external_id: x-1}
gcp:
  projects: [p-1, p-2]
  folders: [folders/1]
azure:
  subscriptions: [00000000-0000-0000-0000-000000000001]
  management_group: mg
"""


def test_narrowed_to_one_account():
    cfg = load_config_text(CFG, env={})
    aws = narrowed(cfg, "aws", "222222222222").aws
    assert [(a.id, a.role_name) for a in aws.accounts] == [("222222222222", "Auditor")] and aws.organization is None
    org = narrowed(cfg, "aws", "333333333333").aws  # discovered through the organisation: its role
    assert [(a.id, a.role_name, a.external_id) for a in org.accounts] == [("333333333333", "OrgAuditor", "x-1")]
    assert narrowed(cfg, "aws", "organization") is None  # a discovery unit: the full plan
    # a project under configured folders/organisation carries its ancestry: only the full walk knows it
    assert narrowed(cfg, "gcp", "p-2") is None
    flat = load_config_text("gcp:\n  projects: [p-1, p-2]\n", env={})
    gcp = narrowed(flat, "gcp", "p-2").gcp
    assert gcp.projects == ["p-2"] and gcp.folders == [] and gcp.organization is None
    az = narrowed(cfg, "azure", "00000000-0000-0000-0000-000000000001").azure
    assert az.subscriptions == ["00000000-0000-0000-0000-000000000001"] and az.management_group is None
    assert cfg.aws.accounts[0].id == "111111111111"  # the worker's own config is untouched
    no_org = load_config_text('aws:\n  accounts: [{id: "111111111111"}]\n', env={})
    assert narrowed(no_org, "aws", "999999999999") is None
