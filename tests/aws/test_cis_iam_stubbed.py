"""What moto cannot serve for the CIS identity collectors, with botocore's Stubber: IAM Access
Analyzer (no moto backend), a credential report that has the ``<root_account>`` row real AWS
always writes (moto lists IAM users only), and Macie's real answers per account."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from datetime import datetime, timedelta, timezone

from test_aws_stubbed import ACCOUNT, StubFactory, ctx_for

from auditor.rules.engine import evaluate
from collectors.aws import account
from collectors.runner import UnitSkipped

HEADER = ("user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
          "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
          "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
          "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
          "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,"
          "cert_2_active,cert_2_last_rotated")


def _root_row(*, key1: str, mfa: str, password_last_used: str, key1_used: str = "N/A") -> str:
    return (f"<root_account>,arn:aws:iam::{ACCOUNT}:root,2020-01-01T00:00:00+00:00,not_supported,"
            f"{password_last_used},not_supported,not_supported,{mfa},{key1},2020-01-02T00:00:00+00:00,"
            f"{key1_used},N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A")


def _collect_root(report: str, virtual_devices: list[dict]) -> dict:  # type: ignore[type-arg]
    f = StubFactory()
    st = f.stub("iam")
    st.add_response("generate_credential_report", {"State": "COMPLETE"}, {})
    st.add_response("get_credential_report", {"Content": report.encode(), "ReportFormat": "text/csv"}, {})
    st.add_response("list_virtual_mfa_devices", {"VirtualMFADevices": virtual_devices},
                    {"AssignmentStatus": "Assigned"})
    [res] = list(account.collect_root_user(ctx_for(f, "aws.iam.root_user")))
    f.verify()
    return {"res": res, "facets": json.loads(res.facets), "config": json.loads(res.config)}


def _verdicts(res) -> dict[str, str]:  # type: ignore[no-untyped-def]
    from tests.identity.factories import stored
    from tests.rules.examples import CONFIG

    findings, _ = evaluate([stored(res)], [stored(res)], CONFIG, rules=["iam.root_*"],
                           as_of=datetime.now(timezone.utc))
    return {f.rule_id: f.status for f in findings}


def test_root_with_an_active_key_virtual_mfa_and_recent_use_fails_every_root_rule() -> None:
    used = (datetime.now(timezone.utc) - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    got = _collect_root(HEADER + "\n" + _root_row(key1="true", mfa="true", password_last_used=used),
                        [{"SerialNumber": f"arn:aws:iam::{ACCOUNT}:mfa/root-account-mfa-device",
                          "User": {"Arn": f"arn:aws:iam::{ACCOUNT}:root", "UserName": "root", "UserId": ACCOUNT + "0000",
                                   "Path": "/", "CreateDate": datetime(2020, 1, 1, tzinfo=timezone.utc)}}])
    assert got["facets"] == {"root_access_keys_active": True, "root_mfa": True, "root_hardware_mfa": False,
                             "root_last_used": used}
    assert _verdicts(got["res"]) == {"iam.root_access_key": "FAIL", "iam.root_mfa": "PASS",
                                     "iam.root_hardware_mfa": "FAIL", "iam.root_recent_use": "FAIL"}


def test_root_without_keys_with_hardware_mfa_never_used_passes() -> None:
    got = _collect_root(HEADER + "\n" + _root_row(key1="false", mfa="true", password_last_used="no_information"), [])
    assert got["facets"]["root_hardware_mfa"] is True and got["facets"]["root_last_used"] is None
    assert set(_verdicts(got["res"]).values()) == {"PASS"}


def test_hostile_report_cells_are_parsed_never_copied() -> None:
    row = _root_row(key1="=HYPERLINK(\"http://x\")", mfa="<script>", password_last_used="=cmd|' /C calc'!A0")
    got = _collect_root(HEADER + "\n" + row, [])
    assert got["facets"] == {"root_access_keys_active": False, "root_mfa": False, "root_hardware_mfa": False,
                             "root_last_used": None}
    text = got["res"].config + got["res"].facets
    for hostile in ("HYPERLINK", "<script>", "calc"):
        assert hostile not in text


def test_access_analyzer_per_region_follows_pages_and_reports_absence() -> None:
    f = StubFactory()
    st = f.stub("accessanalyzer", "eu-west-1")
    st.add_response("list_analyzers", {"analyzers": [
        {"arn": f"arn:aws:access-analyzer:eu-west-1:{ACCOUNT}:analyzer/old", "name": "old", "type": "ACCOUNT",
         "createdAt": datetime(2024, 1, 1, tzinfo=timezone.utc), "status": "DISABLED"}], "nextToken": "t1"}, {})
    st.add_response("list_analyzers", {"analyzers": [
        {"arn": f"arn:aws:access-analyzer:eu-west-1:{ACCOUNT}:analyzer/org", "name": "org", "type": "ORGANIZATION",
         "createdAt": datetime(2024, 1, 1, tzinfo=timezone.utc), "status": "ACTIVE"}]}, {"nextToken": "t1"})
    [res] = list(account.collect_access_analyzers(ctx_for(f, "aws.accessanalyzer.analyzers", "eu-west-1")))
    assert json.loads(res.facets) == {"access_analyzer": True}
    assert [a["name"] for a in json.loads(res.config)["Analyzers"]] == ["old", "org"]
    f.verify()

    f = StubFactory()
    f.stub("accessanalyzer", "eu-west-1").add_response("list_analyzers", {"analyzers": []}, {})
    [res] = list(account.collect_access_analyzers(ctx_for(f, "aws.accessanalyzer.analyzers", "eu-west-1")))
    assert json.loads(res.facets) == {"access_analyzer": False}
    assert res.region == "eu-west-1"


def _macie(**answer) -> list:  # type: ignore[no-untyped-def, type-arg]
    f = StubFactory()
    st = f.stub("macie2", "eu-west-1")
    if "error" in answer:
        st.add_client_error("get_macie_session", answer["error"], answer["message"], 403)
    else:
        st.add_response("get_macie_session", {"status": answer["status"]}, {})
    return list(account.collect_macie_session(ctx_for(f, "aws.macie.session", "eu-west-1")))


def test_macie_status_and_the_difference_between_off_and_denied() -> None:
    assert json.loads(_macie(status="ENABLED")[0].facets) == {"macie_enabled": True}
    assert json.loads(_macie(status="PAUSED")[0].facets) == {"macie_enabled": False}
    off = _macie(error="AccessDeniedException", message="Macie is not enabled.")
    assert json.loads(off[0].facets) == {"macie_enabled": False}
    with pytest.raises(ClientError):  # a real denial is the unit's status, never "off"
        _macie(error="AccessDeniedException", message="User is not authorized to perform macie2:GetMacieSession")


def _org_features(**answer) -> list:  # type: ignore[no-untyped-def, type-arg]
    f = StubFactory()
    st = f.stub("iam")
    if "error" in answer:
        st.add_client_error("list_organizations_features", answer["error"], "stubbed", 400)
    else:
        st.add_response("list_organizations_features", {"OrganizationId": "o-abc123def4",
                                                        "EnabledFeatures": answer["features"]}, {})
    return list(account.collect_organizations_features(ctx_for(f, "aws.iam.organizations_features")))


def test_centralized_root_access_is_judged_in_the_management_account_only() -> None:
    on = _org_features(features=["RootSessions", "RootCredentialsManagement"])
    assert json.loads(on[0].facets) == {"root_credentials_management": True}
    assert json.loads(_org_features(features=["RootSessions"])[0].facets) == {"root_credentials_management": False}
    off = _org_features(error="ServiceAccessNotEnabledException")  # IAM trusted access not enabled
    assert json.loads(off[0].facets) == {"root_credentials_management": False}
    with pytest.raises(UnitSkipped):  # a member account cannot answer: the unit does not apply there
        _org_features(error="AccountNotManagementOrDelegatedAdministratorException")
    with pytest.raises(ClientError):
        _org_features(error="AccessDenied")
