"""Trust-graph work that must stay linear: counted in calls, not timed."""

from __future__ import annotations

from auditor.config.schema import AuditorConfig, EstateConfig
from auditor.identity import extract_azure
from auditor.identity.graph import build_from_resources
from tests.identity.factories import GH, OWNER, TENANT, azure_assignment, azure_fic, azure_uami, stored

READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"


def test_many_federated_credentials_on_one_identity_walk_its_assignments_once(monkeypatch) -> None:
    n = 150
    resources = [azure_uami("deploy", "p-1")]
    resources += [azure_assignment(f"00000000-0000-0000-0000-{i:012d}", READER, "p-1") for i in range(n)]
    resources += [azure_assignment("ffffffff-0000-0000-0000-000000000000", OWNER, "p-1")]
    resources += [azure_fic("deploy", f"gh-{i}", f"https://{GH}", f"repo:octo-org/r{i}:ref:refs/heads/main")
                  for i in range(n)]
    calls = []
    real = extract_azure.AzureExtractor.is_admin_role
    monkeypatch.setattr(extract_azure.AzureExtractor, "is_admin_role",
                        lambda self, guid: calls.append(guid) or real(self, guid))
    config = AuditorConfig(estate=EstateConfig(azure_tenants=[TENANT]))
    g = build_from_resources([stored(r) for r in resources], config)
    fics = [e for e in g.edges if e.mechanism == "azure_fic"]
    assert len(fics) == n and all(e.details["identity_privileged"] for e in fics)  # the Owner grant is seen
    assert len(calls) <= 3 * (n + 1)  # per assignment (its edge, one walk), not per credential x assignment
