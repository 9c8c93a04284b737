"""Credentials, scope resolution and the unit plan."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from auditor.config.schema import GcpConfig
from auditor.demo.emulators.gcp_fake import GcpFake
from auditor.model import UnitStatus
from collectors.gcp import GcpClients, plan
from collectors.gcp.clients import READ_ONLY_SCOPES
from collectors.gcp.planning import DISCOVERY_TYPE, resolve_scope
from collectors.spec import select_specs
from collectors.gcp.specs import SPECS

from .conftest import ORG, collect


def test_anonymous_is_refused_for_non_loopback_endpoints() -> None:
    with pytest.raises(ValidationError):
        GcpConfig(credentials="anonymous", endpoints={"compute": "https://compute.googleapis.com"})
    with pytest.raises(ValidationError):
        GcpConfig(credentials="anonymous")


def test_organisation_walk_finds_active_projects_and_nested_folders(fresh_fake: GcpFake) -> None:
    cfg = GcpConfig(credentials="anonymous", organization=ORG, endpoints=fresh_fake.endpoints())
    scope = resolve_scope(cfg, GcpClients(cfg))
    assert sorted(scope.projects) == ["data-lake", "ml-prod", "web-dev"]  # not old-sandbox (DELETE_REQUESTED)
    assert scope.folders == ["folders/111", "folders/222"]
    assert scope.organization == f"organizations/{ORG}" and scope.failures == []


def test_folder_scope_and_unit_shape(fresh_fake: GcpFake) -> None:
    cfg = GcpConfig(credentials="anonymous", folders=["222"], endpoints=fresh_fake.endpoints(),
                    exclude_resource_types=["gcp.compute.*"])
    tasks = plan(cfg, clients=GcpClients(cfg))
    units = {(t.unit.account, t.unit.resource_type) for t in tasks}
    expected_types = {s.type for s in select_specs(SPECS, None, ["gcp.compute.*"])} - {
        "gcp.iam.organization_policy", "gcp.essentialcontacts.organization",
        "gcp.logging.organization_sink"}  # organisation-scoped: none here
    folder_types = {"gcp.iam.folder_policy", "gcp.logging.folder_sink"}
    assert units == {("data-lake", t) for t in expected_types - folder_types} | {
        ("folders/222", t) for t in folder_types}
    scopes = {s.type: s.scope for s in SPECS}
    assert all(t.unit.provider == "gcp" and t.unit.region == (
        "*" if scopes[t.unit.resource_type] in ("regional", "zonal") else "global") for t in tasks)


def test_adc_is_the_default_and_its_project_is_used(fresh_fake: GcpFake, monkeypatch: pytest.MonkeyPatch) -> None:
    from google.auth.credentials import AnonymousCredentials

    seen = {}

    def fake_default(scopes=None, **_):  # type: ignore[no-untyped-def]
        seen["scopes"] = scopes
        return AnonymousCredentials(), "web-dev"

    monkeypatch.setattr("google.auth.default", fake_default)
    cfg = GcpConfig(endpoints=fresh_fake.endpoints(), resource_types=["gcp.iam.project_policy"])
    assert cfg.credentials == "adc"
    sink, summary = collect(fresh_fake, cfg)
    assert seen["scopes"] == list(READ_ONLY_SCOPES)
    assert [r.account for r in sink.resources] == ["web-dev"] and summary.complete


def test_adc_without_project_is_a_failed_discovery_unit(fresh_fake: GcpFake, monkeypatch: pytest.MonkeyPatch) -> None:
    from google.auth.credentials import AnonymousCredentials

    monkeypatch.setattr("google.auth.default", lambda scopes=None, **_: (AnonymousCredentials(), None))
    cfg = GcpConfig(endpoints=fresh_fake.endpoints())
    sink, summary = collect(fresh_fake, cfg)
    assert [(u.unit.resource_type, u.status) for u in sink.units] == [(DISCOVERY_TYPE, UnitStatus.ERROR)]
    assert "no projects configured" in (sink.units[0].error or "")
    assert not summary.complete


def test_service_account_file_credentials(tmp_path, fresh_fake: GcpFake) -> None:  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from google.oauth2 import service_account

    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    key = tmp_path / "sa.json"
    key.write_text(json.dumps({"type": "service_account", "project_id": "ml-prod", "private_key_id": "k1",
                               "private_key": pem, "client_email": "auditor@ml-prod.iam.gserviceaccount.com",
                               "client_id": "1", "token_uri": "https://oauth2.googleapis.com/token"}))
    cfg = GcpConfig(credentials="service_account_file", credentials_file=str(key), projects=["ml-prod"])
    creds = GcpClients(cfg).credentials()
    assert isinstance(creds, service_account.Credentials)
    assert creds.service_account_email == "auditor@ml-prod.iam.gserviceaccount.com"
    assert tuple(creds.scopes) == READ_ONLY_SCOPES


def test_injected_credentials_win_over_config(fresh_fake: GcpFake) -> None:
    from google.auth.credentials import AnonymousCredentials

    cfg = GcpConfig(projects=["ml-prod"], endpoints=fresh_fake.endpoints(), resource_types=["gcp.iam.service_account"])
    clients = GcpClients(cfg, credentials=AnonymousCredentials())
    from collectors.runner import ListSink, run_units
    from collectors.gcp import classify

    sink = ListSink()
    run_units(plan(cfg, clients=clients), sink, classifiers={"gcp": classify})
    assert len(sink.resources) == 2
