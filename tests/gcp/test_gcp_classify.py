"""Error classification for both SDK families, and aggregated-list ``unreachables``."""

from __future__ import annotations

import json

import pytest
from google.api_core import exceptions as core
from google.cloud import compute_v1
from googleapiclient.errors import HttpError
from httplib2 import Response

from auditor.config.schema import GcpConfig
from auditor.demo.emulators.gcp_fake import permission_denied, rate_limited, service_disabled
from auditor.demo.emulators.gcp_estate import sample_estate
from auditor.model import UnitStatus
from collectors.gcp import GcpClients, classify, plan
from collectors.gcp.errors import PartialCollection, is_throttle
from collectors.runner import ListSink, UnitSkipped, run_units


def _http_error(err) -> HttpError:  # type: ignore[no-untyped-def]
    return HttpError(Response({"status": err.code}), json.dumps(err.body()).encode())


def _core_error(err) -> core.GoogleAPICallError:  # type: ignore[no-untyped-def]
    class _Req:
        method, url = "GET", "http://127.0.0.1/compute/v1/projects/p/global/firewalls"

    class _Resp:
        status_code = err.code
        request = _Req()

        def json(self) -> dict:
            return err.body()

        @property
        def text(self) -> str:
            return json.dumps(err.body())

    return core.from_http_response(_Resp())  # type: ignore[arg-type]


@pytest.mark.parametrize("wrap", [_http_error, _core_error], ids=["googleapiclient", "api_core"])
def test_both_sdk_families_classify_alike(wrap) -> None:  # type: ignore[no-untyped-def]
    project = sample_estate().projects[2]
    disabled = wrap(service_disabled("compute", project))
    disabled.gcp_scope = "web-dev"
    assert classify(disabled) == (UnitStatus.SKIPPED, "API compute.googleapis.com disabled in project web-dev")

    denied = wrap(permission_denied("compute.firewalls.list", "projects/web-dev"))
    status, text = classify(denied)
    assert status is UnitStatus.DENIED and "compute.firewalls.list" in text

    throttled = wrap(rate_limited("iam"))
    assert is_throttle(throttled)
    assert classify(throttled)[0] is UnitStatus.THROTTLED


def test_retry_error_is_unwrapped_and_other_errors_are_errors() -> None:
    inner = _core_error(rate_limited("compute"))
    assert classify(core.RetryError("gave up", inner))[0] is UnitStatus.THROTTLED
    assert classify(UnitSkipped("not here")) == (UnitStatus.SKIPPED, "not here")
    status, text = classify(PartialCollection(["zones/x-1-a unreachable"]))
    assert status is UnitStatus.ERROR and "zones/x-1-a" in text
    status, text = classify(ValueError("boom"))
    assert status is UnitStatus.ERROR and text == "ValueError: boom"


class _StubInstances:
    """A compute client whose aggregated list reports an unreachable zone (returnPartialSuccess)."""

    def aggregated_list(self, request):  # type: ignore[no-untyped-def]
        inst = compute_v1.Instance(name="vm-1", zone="https://x/compute/v1/projects/p/zones/us-central1-a",
                                   self_link="https://x/compute/v1/projects/p/zones/us-central1-a/instances/vm-1",
                                   status="RUNNING")
        page = compute_v1.InstanceAggregatedList(
            items={"zones/us-central1-a": compute_v1.InstancesScopedList(instances=[inst])},
            unreachables=["zones/us-west4-c"])
        return compute_v1.services.instances.pagers.AggregatedListPager(
            method=lambda *a, **k: None, request=compute_v1.AggregatedListInstancesRequest(project="p"),
            response=page)


class _StubProjects:
    def get(self, project):  # type: ignore[no-untyped-def]
        return compute_v1.Project(name=project)


class _StubClients(GcpClients):
    def compute(self, kind: str):  # type: ignore[no-untyped-def]
        return {"Instances": _StubInstances(), "Projects": _StubProjects()}[kind]


def test_unreachables_make_the_unit_partial_and_keep_resources() -> None:
    cfg = GcpConfig(projects=["p"], resource_types=["gcp.compute.instance"])
    sink = ListSink()
    run_units(plan(cfg, clients=_StubClients(cfg)), sink, classifiers={"gcp": classify})
    assert [r.name for r in sink.resources] == ["vm-1"]
    (unit,) = sink.units
    assert unit.status is UnitStatus.ERROR
    assert unit.error == "incomplete in project p: zones/us-west4-c unreachable"
