"""Disabled APIs, unreachable zones, denied permissions and throttling become unit statuses."""

from __future__ import annotations

import json

from auditor.demo.emulators.gcp_estate import SAMPLE_ORG, GcpProject, sample_estate
from auditor.demo.emulators.gcp_fake import GcpFake
from auditor.model import UnitStatus
from collectors.gcp.planning import DISCOVERY_TYPE

from .conftest import ORG, Collected, anonymous_config, collect

COMPUTE_TYPES = ("gcp.compute.instance", "gcp.compute.disk", "gcp.compute.network", "gcp.compute.subnetwork",
                 "gcp.compute.firewall", "gcp.compute.route", "gcp.compute.project", "gcp.compute.target_https_proxy",
                 "gcp.compute.target_ssl_proxy", "gcp.compute.backend_service")
# Types whose regions are Compute Engine's (compute.regions.list): without Compute they cannot be walked.
REGIONS_FROM_COMPUTE = ("gcp.dataproc.cluster",)


def test_disabled_api_is_a_skipped_unit_naming_api_and_project(degraded_run: Collected) -> None:
    for t in COMPUTE_TYPES + REGIONS_FROM_COMPUTE:
        u = degraded_run.unit("web-dev", t)
        assert u.status is UnitStatus.SKIPPED, (t, u.error)
        assert u.error == "API compute.googleapis.com disabled in project web-dev"
    # the project's other APIs still answer
    assert degraded_run.unit("web-dev", "gcp.storage.bucket").status is UnitStatus.OK
    assert degraded_run.unit("web-dev", "gcp.iam.service_account").status is UnitStatus.OK


def test_unreachable_zone_keeps_what_came_back_and_names_the_zone(degraded_run: Collected) -> None:
    for t in ("gcp.compute.instance", "gcp.compute.disk"):
        for project in ("ml-prod", "data-lake"):
            u = degraded_run.unit(project, t)
            assert u.status is UnitStatus.ERROR
            assert "zones/us-east1-b" in (u.error or "") and "UNREACHABLE" in (u.error or "")
            assert f"project {project}" in (u.error or "")
    names = {r.name for r in degraded_run.sink.by_type("gcp.compute.instance")}
    assert names == {"trainer-1", "batch-1", "etl-1", "jp-cache"}  # etl-2 lives in the unreachable zone
    assert degraded_run.unit("data-lake", "gcp.compute.instance").resource_count == 2
    # a zone outage leaves regional lists complete
    assert degraded_run.unit("data-lake", "gcp.compute.subnetwork").status is UnitStatus.OK


def test_the_rest_completes_and_the_run_is_partial(degraded_run: Collected) -> None:
    assert degraded_run.fake.violations == []
    assert not degraded_run.summary.complete  # the snapshot is recorded as partial
    failed = {(u.unit.account, u.unit.resource_type) for u in degraded_run.sink.units if not u.status.completed}
    assert failed == {("web-dev", t) for t in COMPUTE_TYPES + REGIONS_FROM_COMPUTE} | {
        (p, t) for p in ("ml-prod", "data-lake") for t in ("gcp.compute.instance", "gcp.compute.disk")}
    ok_types = {r.type for r in degraded_run.sink.resources}
    assert {"gcp.storage.bucket", "gcp.iam.workload_identity_provider", "gcp.compute.firewall"} <= ok_types


def test_missing_permission_is_denied_and_disabled_iam_api_is_skipped(fresh_fake: GcpFake) -> None:
    fresh_fake.deny("data-lake", "iam.projects.serviceAccounts.keys.list")
    fresh_fake.disable_api("web-dev", "iam.googleapis.com")
    cfg = anonymous_config(fresh_fake, projects=["data-lake", "web-dev"], resource_types=["gcp.iam.*"])
    sink, summary = collect(fresh_fake, cfg)
    units = {(u.unit.account, u.unit.resource_type): u for u in sink.units}
    denied = units[("data-lake", "gcp.iam.service_account_key")]
    assert denied.status is UnitStatus.DENIED
    assert "permission denied in project data-lake" in (denied.error or "")
    assert "iam.serviceAccountKeys.list" in (denied.error or "") or "keys.list" in (denied.error or "")
    skipped = units[("web-dev", "gcp.iam.workload_identity_pool")]
    assert skipped.status is UnitStatus.SKIPPED
    assert skipped.error == "API iam.googleapis.com disabled in project web-dev"
    assert units[("data-lake", "gcp.iam.service_account")].status is UnitStatus.OK
    assert units[("web-dev", "gcp.iam.project_policy")].status is UnitStatus.OK


def test_throttling_is_retried_then_reported(fresh_fake: GcpFake) -> None:
    cfg = anonymous_config(fresh_fake, projects=["ml-prod"], resource_types=["gcp.compute.firewall",
                                                                            "gcp.storage.bucket"])
    fresh_fake.estate.throttled["compute.firewalls.list"] = 2  # two 429s, then answers
    fresh_fake.estate.throttled["storage.buckets.list"] = 1000  # never answers
    sink, _ = collect(fresh_fake, cfg, max_attempts=4)
    units = {u.unit.resource_type: u for u in sink.units}
    assert units["gcp.compute.firewall"].status is UnitStatus.OK
    assert units["gcp.compute.firewall"].resource_count == 3
    assert units["gcp.storage.bucket"].status is UnitStatus.THROTTLED
    assert "throttled in project ml-prod" in (units["gcp.storage.bucket"].error or "")


def test_discovery_failure_is_a_unit_and_explicit_projects_still_run(fresh_fake: GcpFake) -> None:
    fresh_fake.estate.throttled["cloudresourcemanager.folders.list"] = 10_000
    cfg = anonymous_config(fresh_fake, organization=ORG, projects=["web-dev"],
                           resource_types=["gcp.iam.project_policy"])
    sink, summary = collect(fresh_fake, cfg, max_attempts=2)
    disc = [u for u in sink.units if u.unit.resource_type == DISCOVERY_TYPE]
    assert len(disc) == 1 and disc[0].status is UnitStatus.THROTTLED
    assert disc[0].unit.account == f"organizations/{ORG}"
    assert not summary.complete
    # web-dev (listed) and the org-level projects found before the failure are still collected
    assert "web-dev" in {r.account for r in sink.by_type("gcp.iam.project_policy")}


def test_one_item_pages_give_the_same_inventory(clean_run: Collected) -> None:
    estate = sample_estate()
    estate.page_size = 1
    estate.projects.append(GcpProject("extra-empty", "100000000009", SAMPLE_ORG))  # 2 active under the org
    with GcpFake(estate, strict=True) as fake:
        sink, summary = collect(fake, anonymous_config(fake, organization=ORG))
        assert summary.complete and fake.violations == []
        ours = [r for r in sink.resources if r.account != "extra-empty"]
        assert sorted(r.resource_key for r in ours) == sorted(r.resource_key for r in clean_run.sink.resources)
        # an empty project still has its IAM policy, Compute settings and (CIS) monitoring summary
        assert sorted(r.type for r in sink.resources if r.account == "extra-empty") == [
            "gcp.accessapproval.settings", "gcp.apikeys.inventory", "gcp.compute.project", "gcp.iam.project_policy", "gcp.logging.project_monitoring",
            "gcp.serviceusage.project_services"]
        assert fake.calls["cloudresourcemanager.projects.list"] > 3  # discovery paged too
        hashes = {r.resource_key: r.content_hash for r in clean_run.sink.resources}
        assert all(hashes[r.resource_key] == r.content_hash for r in ours)


def test_regions_filter_limits_compute_scopes(fresh_fake: GcpFake) -> None:
    cfg = anonymous_config(fresh_fake, projects=["data-lake"], regions=["asia-northeast1"],
                           resource_types=["gcp.compute.instance", "gcp.compute.subnetwork"])
    sink, _ = collect(fresh_fake, cfg)
    assert {r.name for r in sink.by_type("gcp.compute.instance")} == {"jp-cache"}
    assert {json.loads(r.facets)["flow_logs"] for r in sink.by_type("gcp.compute.subnetwork")} == {True}
    assert {u.unit.region for u in sink.units} == {"asia-northeast1"}
