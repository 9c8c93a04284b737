"""The whole seeded estate through the real Google SDKs over HTTP into a ListSink."""

from __future__ import annotations

import json

from auditor.facets import unknown_facet_keys
from auditor.model import UnitStatus
from collectors.gcp.collect import _compute_url

from .conftest import Collected


def _by_name(run: Collected, type_: str) -> dict[str, dict]:
    out = {}
    for r in run.sink.by_type(type_):
        out[r.name] = {"config": json.loads(r.config), "facets": json.loads(r.facets), "tags": json.loads(r.tags),
                       "region": r.region, "location": r.location, "account": r.account, "native_id": r.native_id}
    return out


def _active(run: Collected):  # type: ignore[no-untyped-def]
    return [p for p in run.estate.projects if p.state == "ACTIVE"]


def test_every_seeded_resource_is_collected(clean_run: Collected) -> None:
    run = clean_run
    expected: dict[str, set[str]] = {
        "gcp.storage.bucket": {f"//storage.googleapis.com/projects/_/buckets/{b['name']}"
                               for p in _active(run) for b in p.buckets},
        "gcp.compute.instance": {_compute_url(i["selfLink"]) for p in _active(run) for i in p.instances},
        "gcp.compute.disk": {_compute_url(d["selfLink"]) for p in _active(run) for d in p.disks},
        "gcp.compute.network": {_compute_url(x["selfLink"]) for p in _active(run) for x in p.networks},
        "gcp.compute.subnetwork": {_compute_url(x["selfLink"]) for p in _active(run) for x in p.subnetworks},
        "gcp.compute.firewall": {_compute_url(x["selfLink"]) for p in _active(run) for x in p.firewalls},
        "gcp.compute.route": {_compute_url(x["selfLink"]) for p in _active(run) for x in p.routes},
        "gcp.iam.project_policy": {f"//cloudresourcemanager.googleapis.com/projects/{p.project_id}"
                                   for p in _active(run)},
        "gcp.iam.folder_policy": {"//cloudresourcemanager.googleapis.com/folders/111",
                                  "//cloudresourcemanager.googleapis.com/folders/222"},
        "gcp.iam.organization_policy": {"//cloudresourcemanager.googleapis.com/organizations/123456789012"},
        "gcp.iam.service_account": {f"//iam.googleapis.com/{sa['name']}" for p in _active(run)
                                    for sa in p.service_accounts},
        "gcp.iam.service_account_key": {f"//iam.googleapis.com/{k['name']}" for p in _active(run)
                                        for keys in p.sa_keys.values() for k in keys
                                        if k["keyType"] == "USER_MANAGED"},
        "gcp.iam.workload_identity_pool": {f"//iam.googleapis.com/{x['name']}" for p in _active(run) for x in p.pools},
        "gcp.iam.workload_identity_provider": {f"//iam.googleapis.com/{x['name']}" for p in _active(run)
                                               for provs in p.providers.values() for x in provs},
        # the ML slice (gcp_ml_estate.py); custom jobs: only running or recent ones
        "gcp.aiplatform.model": {f"//aiplatform.googleapis.com/{x['name']}" for p in _active(run)
                                 for x in p.vertex_models},
        "gcp.aiplatform.endpoint": {f"//aiplatform.googleapis.com/{x['name']}" for p in _active(run)
                                    for x in p.vertex_endpoints},
        "gcp.aiplatform.custom_job": {f"//aiplatform.googleapis.com/{x['name']}" for p in _active(run)
                                      for x in p.custom_jobs if x["state"] == "JOB_STATE_RUNNING"},
        "gcp.aiplatform.pipeline_job": {f"//aiplatform.googleapis.com/{x['name']}" for p in _active(run)
                                        for x in p.pipeline_jobs},
        "gcp.notebooks.instance": {f"//notebooks.googleapis.com/{x['name']}" for p in _active(run)
                                   for x in p.workbench},
        "gcp.container.cluster": {f"//container.googleapis.com/projects/{p.project_id}/locations/{x['location']}/"
                                  f"clusters/{x['name']}" for p in _active(run) for x in p.gke_clusters},
        "gcp.artifactregistry.repository": {f"//artifactregistry.googleapis.com/{x['name']}" for p in _active(run)
                                            for x in p.repositories},
        # data stores and keys (gcp_data_estate.py)
        "gcp.aiplatform.dataset": {f"//aiplatform.googleapis.com/{x['name']}" for p in _active(run)
                                   for x in p.vertex_datasets},
        "gcp.aiplatform.featurestore": {f"//aiplatform.googleapis.com/{x['name']}" for p in _active(run)
                                        for x in p.featurestores},
        "gcp.aiplatform.feature_online_store": {f"//aiplatform.googleapis.com/{x['name']}" for p in _active(run)
                                                for x in p.feature_online_stores},
        "gcp.sql.instance": {f"//sqladmin.googleapis.com/projects/{p.project_id}/instances/{x['name']}"
                             for p in _active(run) for x in p.sql_instances},
        "gcp.bigquery.dataset": {f"//bigquery.googleapis.com/projects/{p.project_id}/datasets/"
                                 f"{x['datasetReference']['datasetId']}" for p in _active(run) for x in p.bq_datasets},
        "gcp.cloudkms.crypto_key": {f"//cloudkms.googleapis.com/{x['name']}" for p in _active(run)
                                    for x in p.crypto_keys},
        "gcp.dataproc.cluster": {f"//dataproc.googleapis.com/projects/{p.project_id}/regions/"
                                 f"{x['labels']['goog-dataproc-location']}/clusters/{x['clusterName']}"
                                 for p in _active(run) for x in p.dataproc_clusters},
        # the CIS slice (gcp_cis_estate.py): one project settings/monitoring resource per project
        "gcp.compute.project": {f"//compute.googleapis.com/projects/{p.project_id}" for p in _active(run)},
        "gcp.logging.project_monitoring": {f"//logging.googleapis.com/projects/{p.project_id}/cisMonitoring"
                                           for p in _active(run)},
        "gcp.logging.sink": {f"//logging.googleapis.com/projects/{p.project_id}/sinks/{x['name']}"
                             for p in _active(run) for x in p.log_sinks},
        "gcp.dns.managed_zone": {f"//dns.googleapis.com/projects/{p.project_id}/managedZones/{x['name']}"
                                 for p in _active(run) for x in p.dns_zones},
        "gcp.apikeys.key": {f"//apikeys.googleapis.com/projects/{p.project_id}/locations/global/keys/{x['uid']}"
                            for p in _active(run) for x in p.api_keys},
        "gcp.apikeys.inventory": {f"//apikeys.googleapis.com/projects/{p.project_id}/locations/global/keys"
                                  for p in _active(run)},
        "gcp.compute.target_https_proxy": {_compute_url(x["selfLink"]) for p in _active(run) for x in p.https_proxies},
        "gcp.compute.target_ssl_proxy": {_compute_url(x["selfLink"]) for p in _active(run) for x in p.ssl_proxies},
        "gcp.compute.backend_service": {_compute_url(x["selfLink"]) for p in _active(run)
                                        for x in p.backend_services},
        "gcp.serviceusage.project_services": {f"//serviceusage.googleapis.com/projects/{p.project_id}/services"
                                              for p in _active(run)},
        "gcp.essentialcontacts.organization": {"//essentialcontacts.googleapis.com/organizations/123456789012/contacts"},
        "gcp.accessapproval.settings": {f"//accessapproval.googleapis.com/projects/{p.project_id}/accessApprovalSettings"
                                        for p in _active(run)},
        "gcp.logging.folder_sink": {"//logging.googleapis.com/folders/111/sinks/ml-folder-all"},
        "gcp.logging.organization_sink": {"//logging.googleapis.com/organizations/123456789012/sinks/org-audit-only"},
    }
    got: dict[str, set[str]] = {}
    for r in run.sink.resources:
        got.setdefault(r.type, set()).add(r.native_id)
    assert got == expected
    assert len(run.sink.resources) == sum(len(v) for v in expected.values())  # no duplicates
    # the estate's shape the issue asks for
    assert len(expected["gcp.storage.bucket"]) >= 7
    zones = {json.loads(r.facets)["locations"][0] for r in run.sink.by_type("gcp.compute.instance")}
    assert len(zones) >= 3
    assert {p.project_id for p in _active(run)} == {r.account for r in run.sink.by_type("gcp.iam.project_policy")}


def test_run_is_complete_and_payloads_were_schema_valid(clean_run: Collected) -> None:
    assert clean_run.fake.violations == []
    assert clean_run.summary.complete
    assert {u.status for u in clean_run.sink.units} <= {UnitStatus.OK, UnitStatus.EMPTY}
    assert not any("old-sandbox" in str(u.unit) for u in clean_run.sink.units)  # DELETE_REQUESTED project


def test_pages_are_followed_to_the_end(clean_run: Collected) -> None:
    calls = clean_run.fake.calls
    projects = 3
    # page size 2: data-lake has 3 instances/disks/subnetworks/firewalls/buckets, ml-prod 3 buckets/firewalls
    for method in ("compute.instances.aggregatedList", "compute.disks.aggregatedList",
                   "compute.subnetworks.aggregatedList", "compute.firewalls.list", "storage.buckets.list"):
        assert calls[method] > projects, method
    # organisation, folders/111 and folders/222 are each asked for their projects and folders
    assert calls["cloudresourcemanager.projects.list"] == 3
    assert calls["cloudresourcemanager.folders.list"] == 3
    assert calls["iam.projects.locations.workloadIdentityPools.list"] >= projects


def test_facets_use_only_the_contract_vocabulary(clean_run: Collected) -> None:
    for r in clean_run.sink.resources:
        assert unknown_facet_keys(r.category, json.loads(r.facets)) == [], r.type


def test_bucket_locations_and_posture(clean_run: Collected) -> None:
    b = _by_name(clean_run, "gcp.storage.bucket")
    feat = b["ml-prod-features"]
    assert feat["facets"] == {
        "public": False, "public_reasons": [], "public_access_blocked": True, "encrypted": True,
        "key_management": "customer", "kms_key": "projects/ml-prod/locations/europe-west1/keyRings/ring/cryptoKeys/data",
        "versioning": True, "logging": True, "locations": ["EUROPE-WEST1"], "replica_locations": [],
        "location_type": "region", "uniform_access": True, "retention_locked": False,
    }
    assert (feat["region"], feat["location"], feat["account"]) == ("europe-west1", "BE", "ml-prod")
    assert feat["tags"] == {"data-classification": "confidential"}
    assert feat["config"]["retentionPolicy"]["retentionPeriod"] == "2592000"
    assert feat["config"]["iamConfiguration"]["uniformBucketLevelAccess"] == {"enabled": True}

    models = b["ml-prod-models"]["facets"]
    assert models["location_type"] == "dual-region"
    assert models["locations"] == ["EU"] and models["replica_locations"] == ["EUROPE-WEST1", "EUROPE-WEST4"]
    assert b["ml-prod-models"]["config"]["customPlacementConfig"]["dataLocations"] == ["EUROPE-WEST1", "EUROPE-WEST4"]
    assert b["ml-prod-logs"]["facets"]["location_type"] == "dual-region"
    assert b["ml-prod-logs"]["facets"]["locations"] == ["EUR4"]

    public = b["data-lake-public"]
    assert public["facets"]["public"] is True
    assert public["facets"]["public_reasons"] == ["iam:allUsers:roles/storage.objectViewer"]
    assert public["facets"]["location_type"] == "multi-region" and public["location"] == "US"
    assert any("allUsers" in x["members"] for x in public["config"]["iamPolicy"]["bindings"])
    assert b["data-lake-asia"]["facets"]["public"] is None  # fine-grained ACLs: not provably private
    assert b["data-lake-raw"]["facets"]["versioning"] is True


def test_instances_keep_flags_never_metadata_values(clean_run: Collected) -> None:
    raw = " ".join(r.config for r in clean_run.sink.by_type("gcp.compute.instance"))
    for secret in ("hunter2", "startup-script", '"key":"ssh-keys"', "ssh-rsa", "ssh-ed25519", "AAAA"):
        assert secret not in raw
    i = _by_name(clean_run, "gcp.compute.instance")
    trainer = i["trainer-1"]
    assert trainer["config"]["metadata"]["items"] == [
        {"key": "block-project-ssh-keys", "value": "TRUE"}, {"key": "enable-oslogin", "value": "TRUE"}]
    assert trainer["facets"]["identity"] == "trainer@ml-prod.iam.gserviceaccount.com"
    assert trainer["config"]["serviceAccounts"][0]["scopes"] == ["https://www.googleapis.com/auth/cloud-platform"]
    assert trainer["facets"]["disk_encryption"] == "customer"
    assert trainer["facets"]["public_ips"] == []
    assert trainer["config"]["shieldedInstanceConfig"]["enableSecureBoot"] is True
    assert trainer["config"]["machineType"].endswith("/machineTypes/e2-medium")
    batch = i["batch-1"]
    assert batch["facets"]["public_ips"] == ["34.90.1.2"] and batch["facets"]["serial_port"] is True
    assert batch["config"]["shieldedInstanceConfig"]["enableSecureBoot"] is False
    assert batch["config"]["metadata"]["items"] == [{"key": "serial-port-enable", "value": "TRUE"}]
    assert i["etl-2"]["facets"]["state"] == "TERMINATED"
    assert i["jp-cache"]["location"] == "JP" and i["jp-cache"]["region"] == "asia-northeast1-a"
    disks = _by_name(clean_run, "gcp.compute.disk")
    assert disks["trainer-1"]["facets"]["key_management"] == "customer"
    assert disks["batch-1"]["facets"]["key_management"] == "provider"


def _rules(facets: dict, direction: str) -> set[tuple]:
    return {(x["action"], x["cidr"], x["protocol"], x["from_port"], x["to_port"]) for x in facets[direction]}


def test_firewalls_normalised_like_aws(clean_run: Collected) -> None:
    f = _by_name(clean_run, "gcp.compute.firewall")
    assert _rules(f["allow-ssh-world"]["facets"], "ingress") == {("allow", "0.0.0.0/0", "tcp", 22, 22)}
    assert _rules(f["allow-internal"]["facets"], "ingress") == {("allow", "10.0.0.0/8", "all", 0, 65535)}
    assert _rules(f["allow-app-range"]["facets"], "ingress") == {
        ("allow", "0.0.0.0/0", "tcp", 8000, 9000), ("allow", "0.0.0.0/0", "udp", 0, 65535)}
    assert _rules(f["deny-rdp"]["facets"], "ingress") == {("deny", "0.0.0.0/0", "tcp", 3389, 3389)}
    assert _rules(f["deny-egress-smtp"]["facets"], "egress") == {("deny", "0.0.0.0/0", "tcp", 25, 25)}
    assert f["allow-icmp-v6"]["facets"] == {"ingress": [], "egress": []}  # disabled rule has no effect
    assert _rules(f["allow-http"]["facets"], "ingress") == {
        ("allow", "0.0.0.0/0", "tcp", 80, 80), ("allow", "0.0.0.0/0", "tcp", 443, 443)}
    assert f["allow-ssh-world"]["facets"]["ingress"][0]["priority"] == 1000
    assert f["allow-ssh-world"]["config"]["sourceRanges"] == ["0.0.0.0/0"]


def test_network_subnetworks_and_routes(clean_run: Collected) -> None:
    s = {(r.account, r.name): (json.loads(r.config), json.loads(r.facets))
         for r in clean_run.sink.by_type("gcp.compute.subnetwork")}
    cfg, facets = s[("ml-prod", "ml-ew1")]
    assert cfg["privateIpGoogleAccess"] is True and facets == {"flow_logs": True}
    cfg, facets = s[("ml-prod", "ml-ew4")]
    assert cfg["privateIpGoogleAccess"] is False and facets == {"flow_logs": False}
    routes = _by_name(clean_run, "gcp.compute.route")
    assert routes["default-route-ml"]["config"]["nextHopGateway"].endswith("default-internet-gateway")
    assert routes["to-onprem"]["config"]["nextHopIp"] == "10.0.0.250"
    assert _by_name(clean_run, "gcp.compute.network")["default"]["config"]["autoCreateSubnetworks"] is True


def test_iam_policies_service_accounts_and_keys(clean_run: Collected) -> None:
    pol = {r.account: json.loads(r.config) for r in clean_run.sink.by_type("gcp.iam.project_policy")}
    assert {"role": "roles/owner", "members": ["user:alice@example.com"]} in pol["ml-prod"]["bindings"]
    assert "etag" not in pol["ml-prod"]  # volatile
    folder = {r.account: json.loads(r.config) for r in clean_run.sink.by_type("gcp.iam.folder_policy")}
    assert folder["folders/111"]["bindings"][0]["role"] == "roles/viewer"

    sas = _by_name(clean_run, "gcp.iam.service_account")
    trainer = sas["trainer@ml-prod.iam.gserviceaccount.com"]["config"]
    roles = {b["role"]: b["members"] for b in trainer["iamPolicy"]["bindings"]}
    assert roles["roles/iam.workloadIdentityUser"] == [
        "principalSet://iam.googleapis.com/projects/100000000001/locations/global/workloadIdentityPools/"
        "ci-federation/attribute.repository_id/260064828"]
    assert roles["roles/iam.serviceAccountTokenCreator"][0].endswith("/workloadIdentityPools/ci-federation/*")
    assert trainer["uniqueId"]
    # the project's admin-equivalent grants set the admin facet (editor on data-lake; viewer is not)
    assert sas["etl@data-lake.iam.gserviceaccount.com"]["facets"]["admin"] is True
    assert sas["trainer@ml-prod.iam.gserviceaccount.com"]["facets"]["admin"] is False

    keys = _by_name(clean_run, "gcp.iam.service_account_key")
    assert len(keys) == 2
    for k in keys.values():
        assert k["facets"]["user_managed"] is True
        assert k["facets"]["key_created"] == k["config"]["validAfterTime"]
        assert k["config"]["keyType"] == "USER_MANAGED"
        assert "privateKeyData" not in k["config"]


def test_workload_identity_pools_and_providers(clean_run: Collected) -> None:
    pools = _by_name(clean_run, "gcp.iam.workload_identity_pool")
    assert pools["ci-federation"]["config"]["state"] == "ACTIVE"
    assert pools["ci-federation"]["account"] == "ml-prod"
    prov = _by_name(clean_run, "gcp.iam.workload_identity_provider")
    gh, aws = prov["github"]["config"], prov["aws-prod"]["config"]
    assert gh["oidc"]["issuerUri"] == "https://token.actions.githubusercontent.com"
    assert gh["oidc"]["allowedAudiences"] == []
    assert "assertion.repository_owner_id == '1342004'" in gh["attributeCondition"]
    assert gh["attributeMapping"]["google.subject"] == "assertion.sub"
    assert (gh["disabled"], gh["state"]) == (False, "ACTIVE")
    unpinned = prov["github-unpinned"]["config"]
    assert "attributeCondition" not in unpinned
    assert unpinned["oidc"] == {"issuerUri": "https://token.actions.githubusercontent.com",
                                "allowedAudiences": ["https://iam.googleapis.com/ci"]}
    assert aws["aws"] == {"accountId": "111122223333"}
    assert "attributeCondition" not in aws
    assert aws["attributeMapping"]["google.subject"] == "assertion.arn"
