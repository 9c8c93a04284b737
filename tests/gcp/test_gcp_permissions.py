"""The custom role is generated from SPECS, and every spec declares exactly the calls it makes."""

from __future__ import annotations

import json

import pytest

import collectors.gcp as gcp
from auditor.demo.emulators.gcp_fake import GcpFake
from auditor.demo.emulators.gcp_schema import DOCUMENTS, iter_methods
from collectors.gcp.custom_role import custom_role
from collectors.gcp.specs import CALL_PERMISSIONS, DISCOVERY_CALLS, SPECS

from .conftest import ORG, anonymous_config, collect

EXPECTED_TYPES = {
    "gcp.storage.bucket", "gcp.compute.instance", "gcp.compute.disk", "gcp.compute.network",
    "gcp.compute.subnetwork", "gcp.compute.firewall", "gcp.compute.route", "gcp.iam.project_policy",
    "gcp.iam.folder_policy", "gcp.iam.organization_policy", "gcp.iam.service_account",
    "gcp.iam.service_account_key", "gcp.iam.workload_identity_pool", "gcp.iam.workload_identity_provider",
    "gcp.aiplatform.model", "gcp.aiplatform.endpoint", "gcp.aiplatform.custom_job", "gcp.notebooks.instance",
    "gcp.container.cluster", "gcp.artifactregistry.repository", "gcp.aiplatform.pipeline_job",
    "gcp.aiplatform.dataset", "gcp.aiplatform.featurestore", "gcp.sql.instance", "gcp.bigquery.dataset",
    "gcp.cloudkms.crypto_key", "gcp.aiplatform.feature_online_store",
    # CIS Foundations (issue 15)
    "gcp.compute.project", "gcp.logging.sink", "gcp.logging.project_monitoring", "gcp.dns.managed_zone",
    "gcp.apikeys.key", "gcp.apikeys.inventory", "gcp.compute.target_https_proxy", "gcp.compute.backend_service",
    "gcp.serviceusage.project_services", "gcp.essentialcontacts.organization", "gcp.logging.folder_sink",
    "gcp.logging.organization_sink", "gcp.compute.target_ssl_proxy",
    "gcp.dataproc.cluster",  # CIS GCP 8.1
    "gcp.accessapproval.settings",  # CIS GCP 4.0 2.15 / 5.0 2.16
}
# Reads that only a ``.get`` permission grants (there is no list that returns them).
GET_ONLY = {"compute.projects.get",
            "bigquery.datasets.get",  # datasets.list names datasets; access entries and the key need the get
            "bigquery.tables.get",  # table metadata (its key); reading rows is bigquery.tables.getData
            # Access Approval settings: configuration metadata (enrolled services), no customer data;
            # the API has no list, and CIS GCP 4.0 2.15 / 5.0 2.16 cannot be judged without it
            "accessapproval.settings.get"}


def test_spec_table_covers_the_issue() -> None:
    assert {s.type for s in SPECS} == EXPECTED_TYPES
    assert all(s.provider == "gcp" and s.collect is not None and s.permissions for s in SPECS)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.type)
def test_every_call_is_a_real_method_and_covered_by_the_spec(spec) -> None:  # type: ignore[no-untyped-def]
    real = {m.id for api in DOCUMENTS for m in iter_methods(api)}
    for call in spec.calls:
        assert call in real, call
        assert set(CALL_PERMISSIONS[call]) <= set(spec.permissions), (spec.type, call)


def test_custom_role_is_the_union_of_spec_permissions() -> None:
    doc = gcp.permissions()
    role = custom_role(SPECS)
    assert set(role) == {"title", "description", "stage", "includedPermissions"}
    assert {k: doc[k] for k in role} == role
    wanted = {p for s in SPECS for p in s.permissions} | {p for v in DISCOVERY_CALLS.values() for p in v}
    assert role["includedPermissions"] == sorted(wanted)
    assert not any(p.endswith((".create", ".delete", ".update", ".setIamPolicy", ".get")) and
                   p not in GET_ONLY for p in role["includedPermissions"])
    assert {r["role"] for r in doc["predefinedRoles"]} >= {
        "roles/viewer", "roles/iam.securityReviewer", "roles/iam.workloadIdentityPoolViewer",
        "roles/aiplatform.viewer", "roles/notebooks.viewer", "roles/container.clusterViewer"}
    json.dumps(doc)  # printable as JSON by `auditor permissions gcp`


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.type)
def test_collector_makes_only_the_calls_its_spec_declares(fresh_fake: GcpFake, spec) -> None:  # type: ignore[no-untyped-def]
    scoped = {"organization": ORG} if spec.type in ("gcp.iam.folder_policy", "gcp.iam.organization_policy",
                                                    "gcp.essentialcontacts.organization", "gcp.logging.folder_sink",
                                                    "gcp.logging.organization_sink") \
        else {"projects": ["ml-prod", "data-lake"]}
    cfg = anonymous_config(fresh_fake, resource_types=[spec.type], **scoped)
    fresh_fake.calls.clear()
    sink, summary = collect(fresh_fake, cfg)
    assert summary.complete and sink.resources
    made = set(fresh_fake.calls)
    assert made <= set(spec.calls) | set(DISCOVERY_CALLS), made - set(spec.calls)
    assert spec.list_call in made
