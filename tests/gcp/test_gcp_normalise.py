"""Pure normalisers: facets and scrubbing over REST JSON, no server needed."""

from __future__ import annotations


from auditor.model import make_resource
from collectors.gcp import normalise as n
from collectors.gcp.specs import SPECS


def test_firewall_port_forms() -> None:
    fw = {"direction": "INGRESS", "priority": 100, "sourceRanges": ["0.0.0.0/0", "::/0"],
          "allowed": [{"IPProtocol": "tcp", "ports": ["22", "8000-9000"]}, {"IPProtocol": "icmp"}]}
    rules = {(r["cidr"], r["protocol"], r["from_port"], r["to_port"], r["action"], r["priority"])
             for r in n.firewall_facets(fw)["ingress"]}
    assert rules == {
        ("0.0.0.0/0", "tcp", 22, 22, "allow", 100), ("::/0", "tcp", 22, 22, "allow", 100),
        ("0.0.0.0/0", "tcp", 8000, 9000, "allow", 100), ("::/0", "tcp", 8000, 9000, "allow", 100),
        ("0.0.0.0/0", "icmp", 0, 65535, "allow", 100), ("::/0", "icmp", 0, 65535, "allow", 100)}


def test_firewall_egress_without_ranges_and_tag_only_sources() -> None:
    egress = n.firewall_facets({"direction": "EGRESS", "denied": [{"IPProtocol": "all"}]})
    assert egress["egress"] == [{"direction": "egress", "action": "deny", "cidr": "0.0.0.0/0", "protocol": "all",
                                 "from_port": 0, "to_port": 65535, "priority": None}]
    tags_only = n.firewall_facets({"direction": "INGRESS", "sourceTags": ["web"],
                                   "allowed": [{"IPProtocol": "tcp", "ports": ["22"]}]})
    assert tags_only == {"ingress": [], "egress": []}


def test_metadata_keeps_only_flags() -> None:
    md = {"kind": "compute#metadata", "fingerprint": "x", "items": [
        {"key": "startup-script", "value": "curl http://x | sh"}, {"key": "ssh-keys", "value": "a:ssh-rsa AAA"},
        {"key": "enable-oslogin", "value": "True"}, {"key": "serial-port-enable", "value": "maybe"},
        {"key": "user-data", "value": "#cloud-config"}]}
    assert n.scrub_metadata(md) == {"kind": "compute#metadata",
                                    "items": [{"key": "enable-oslogin", "value": "TRUE"}]}


def test_instance_flags_fall_back_to_project_metadata() -> None:
    inst = {"metadata": {"items": []}, "zone": "https://x/zones/us-central1-a", "status": "RUNNING",
            "networkInterfaces": [{"accessConfigs": [{"natIP": "1.2.3.4"}]}, {"accessConfigs": []}]}
    f = n.instance_facets(inst, {"serial-port-enable": True, "disable-legacy-endpoints": True})
    assert f["serial_port"] is True and f["legacy_metadata"] is False
    assert f["public_ips"] == ["1.2.3.4"] and f["locations"] == ["us-central1-a"]
    assert f["disk_encryption"] is None and f["identity"] is None
    own = {**inst, "metadata": {"items": [{"key": "serial-port-enable", "value": "false"}]}}
    assert n.instance_facets(own, {"serial-port-enable": True})["serial_port"] is False


def test_bucket_public_access_prevention_wins_over_allusers() -> None:
    b = {"iamConfiguration": {"uniformBucketLevelAccess": {"enabled": True}, "publicAccessPrevention": "enforced"},
         "location": "US", "locationType": "multi-region"}
    pol = {"bindings": [{"role": "roles/storage.objectViewer", "members": ["allAuthenticatedUsers"]}]}
    f = n.bucket_facets(b, pol)
    assert f["public"] is False and f["public_access_blocked"] is True
    assert f["public_reasons"] == ["iam:allAuthenticatedUsers:roles/storage.objectViewer"]
    b["iamConfiguration"]["publicAccessPrevention"] = "inherited"
    assert n.bucket_facets(b, pol)["public"] is True



def test_volatile_fields_do_not_change_the_hash() -> None:
    spec = next(s for s in SPECS if s.type == "gcp.compute.instance")
    base = {"name": "i", "fingerprint": "a", "lastStartTimestamp": "t1", "status": "RUNNING",
            "tags": {"items": ["b", "a"], "fingerprint": "x"}}
    moved = {**base, "fingerprint": "b", "lastStartTimestamp": "t2", "tags": {"items": ["a", "b"], "fingerprint": "y"}}

    def h(cfg: dict) -> str:
        return make_resource(provider="gcp", account="p", region="us-central1-a", category="compute",
                             type=spec.type, native_id="i", name="i", config=cfg, rules=spec.hash_rules).content_hash

    assert h(base) == h(moved)
    assert h(base) != h({**base, "status": "TERMINATED"})


def test_key_material_never_kept() -> None:
    assert n.key_config({"name": "k", "privateKeyData": "LS0t", "keyType": "USER_MANAGED"}) == {
        "name": "k", "keyType": "USER_MANAGED"}


# ---- issue 12: compute links of any API version are one native id

import pytest as _pytest

from collectors.gcp.normalise import MalformedLink, compute_resource_name


@_pytest.mark.parametrize("link", [
    "https://compute.googleapis.com/compute/v1/projects/p1/zones/europe-west1-b/instances/vm-1",
    "https://compute.googleapis.com/compute/beta/projects/p1/zones/europe-west1-b/instances/vm-1",
    "https://www.googleapis.com/compute/v1/projects/p1/zones/europe-west1-b/instances/vm-1",
    "https://www.googleapis.com/compute/alpha/projects/p1/zones/europe-west1-b/instances/vm-1/",
    "//compute.googleapis.com/projects/p1/zones/europe-west1-b/instances/vm-1",
])
def test_compute_links_of_any_version_parse_to_one_native_id(link):
    assert compute_resource_name(link) == "//compute.googleapis.com/projects/p1/zones/europe-west1-b/instances/vm-1"


@_pytest.mark.parametrize("link", [
    "https://compute.googleapis.com/compute/v2beta/projects/p1/x",  # no such version label
    "https://storage.googleapis.com/storage/v1/b/bucket",
    "projects/p1/zones/z/instances/vm-1",
    "https://compute.googleapis.com/compute/v1/",
])
def test_a_link_that_is_not_a_compute_resource_is_an_error_not_a_silent_id(link):
    with _pytest.raises(MalformedLink, match="not a Compute resource link"):
        compute_resource_name(link)
