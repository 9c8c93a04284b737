"""Buckets against gcp-storage-emulator, for what it stores faithfully.

The emulator keeps bucket IAM (an ``allUsers`` binding round-trips), labels, versioning,
uniform access, public access prevention, KMS key, logging and retention after a PATCH;
it ignores location type and project scoping, which the fake covers instead.
"""

from __future__ import annotations

import json
from typing import Iterator

import pytest

from auditor.config.schema import GcpConfig
from auditor.model import UnitStatus
from collectors.gcp import GcpClients, classify, plan
from collectors.runner import ListSink, run_units

emulator = pytest.importorskip("gcp_storage_emulator.server")

KMS = "projects/p/locations/us/keyRings/r/cryptoKeys/k"


@pytest.fixture(scope="session")
def storage_emulator() -> Iterator[str]:
    server = emulator.create_server("127.0.0.1", 0, in_memory=True)
    server.start()
    try:
        host, port = server._api._httpd.server_address[:2]  # noqa: SLF001 - the emulator has no public accessor
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="session")
def seeded(storage_emulator: str) -> str:
    """Seed through the real client: create (name only is kept), then PATCH, then set IAM."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    client = storage.Client(project="emu-proj", credentials=AnonymousCredentials(),
                            client_options={"api_endpoint": storage_emulator})
    public = client.create_bucket("emu-public")
    public.labels = {"exposure": "public", "team": "web"}
    public.versioning_enabled = True
    public.iam_configuration.uniform_bucket_level_access_enabled = True
    public.patch()
    pol = public.get_iam_policy(requested_policy_version=3)
    pol.bindings.append({"role": "roles/storage.objectViewer", "members": {"allUsers"}})
    public.set_iam_policy(pol)

    private = client.create_bucket("emu-private")
    private.iam_configuration.uniform_bucket_level_access_enabled = True
    private.iam_configuration.public_access_prevention = "enforced"
    private.default_kms_key_name = KMS
    private.enable_logging("emu-logs", object_prefix="emu-private")
    private.patch()
    return storage_emulator


def test_bucket_iam_labels_and_versioning_round_trip(seeded: str) -> None:
    cfg = GcpConfig(credentials="anonymous", projects=["emu-proj"], endpoints={"storage": seeded},
                    resource_types=["gcp.storage.bucket"])
    sink = ListSink()
    run_units(plan(cfg, clients=GcpClients(cfg, retry_base=0.001)), sink, classifiers={"gcp": classify})
    assert [u.status for u in sink.units] == [UnitStatus.OK]
    got = {r.name: (json.loads(r.config), json.loads(r.facets), json.loads(r.tags)) for r in sink.resources}
    assert set(got) == {"emu-public", "emu-private"}

    cfg_pub, facets_pub, tags_pub = got["emu-public"]
    assert tags_pub == {"exposure": "public", "team": "web"}
    assert facets_pub["public"] is True
    assert facets_pub["public_reasons"] == ["iam:allUsers:roles/storage.objectViewer"]
    assert facets_pub["versioning"] is True
    assert cfg_pub["iamConfiguration"]["uniformBucketLevelAccess"]["enabled"] is True

    cfg_priv, facets_priv, _ = got["emu-private"]
    assert facets_priv["public"] is False and facets_priv["public_access_blocked"] is True
    assert facets_priv["key_management"] == "customer" and facets_priv["kms_key"] == KMS
    assert facets_priv["logging"] is True and facets_priv["versioning"] is False
