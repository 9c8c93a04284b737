"""The least-privilege IAM custom role for the GCP collector, generated from SPECS."""

from __future__ import annotations

from typing import Iterable

from collectors.gcp.specs import DISCOVERY_CALLS
from collectors.spec import ResourceSpec

# Predefined roles that together cover the custom role (a convenience when custom roles are
# not allowed). Grant them at the organisation or folder so discovery sees every project.
PREDEFINED_ROLES: tuple[dict[str, str], ...] = (
    {"role": "roles/browser", "covers": "project and folder discovery (resourcemanager.projects/folders.list)"},
    {"role": "roles/viewer", "covers": "compute lists, compute.projects.get, storage.buckets.list, "
                                       "iam.serviceAccounts.list, iam.serviceAccountKeys.list"},
    {"role": "roles/iam.securityReviewer", "covers": "getIamPolicy on organisation, folders, projects, "
                                                     "buckets and service accounts"},
    {"role": "roles/iam.workloadIdentityPoolViewer", "covers": "workload identity pools and providers"},
    {"role": "roles/aiplatform.viewer", "covers": "Vertex AI locations, models, endpoints and custom jobs"},
    {"role": "roles/notebooks.viewer", "covers": "Workbench instances"},
    {"role": "roles/container.clusterViewer", "covers": "GKE clusters"},
    {"role": "roles/artifactregistry.reader", "covers": "Artifact Registry repositories (also pulls images: "
                                                       "prefer the custom role)"},
    {"role": "roles/cloudsql.viewer", "covers": "Cloud SQL instances (settings, flags, IP configuration)"},
    {"role": "roles/bigquery.metadataViewer", "covers": "BigQuery datasets (access entries, default key), no table "
                                                        "data"},
    {"role": "roles/cloudkms.viewer", "covers": "Cloud KMS locations, key rings and keys (no key use); their IAM "
                                               "policies, like Vertex feature stores', via roles/iam.securityReviewer"},
    {"role": "roles/dataproc.viewer", "covers": "Dataproc clusters (their disk keys); also reads jobs' metadata"},
    {"role": "roles/logging.viewer", "covers": "log sinks and log-based metrics (CIS section 2)"},
    {"role": "roles/monitoring.viewer", "covers": "alert policies (CIS section 2)"},
    {"role": "roles/dns.reader", "covers": "Cloud DNS managed zones and DNSSEC settings"},
    {"role": "roles/serviceusage.apiKeysViewer", "covers": "API key metadata and restrictions (never the key string)"},
    {"role": "roles/serviceusage.serviceUsageViewer", "covers": "enabled services (Cloud Asset Inventory)"},
    {"role": "roles/essentialcontacts.viewer", "covers": "organisation Essential Contacts (grant on the organisation)"},
    {"role": "roles/storage.insightsCollectorService", "covers": "alternative for storage.buckets.list/"
                                                                 "getIamPolicy without object access"},
)


def included_permissions(specs: Iterable[ResourceSpec]) -> list[str]:
    perms = {p for spec in specs for p in spec.permissions}
    perms |= {p for call_perms in DISCOVERY_CALLS.values() for p in call_perms}
    return sorted(perms)


def custom_role(specs: Iterable[ResourceSpec]) -> dict:
    """A role document accepted by ``gcloud iam roles create --file`` (YAML/JSON)."""
    return {
        "title": "Cloud Posture Auditor (read-only)",
        "description": "Read-only inventory of storage, compute, network, IAM, Vertex AI, Workbench, GKE, "
                       "Cloud SQL, BigQuery and Cloud KMS, "
                       "and the logging, monitoring, DNS, API key and contact settings CIS checks, "
                       "for the posture auditor. "
                       "Generated from the collector's resource specs.",
        "stage": "GA",
        "includedPermissions": included_permissions(specs),
    }


def permissions_document(specs: Iterable[ResourceSpec]) -> dict:
    """The custom role's fields at the top level plus notes: which predefined roles cover it.

    ``custom_role()`` alone is the file for ``gcloud iam roles create ROLE --file``.
    """
    specs = list(specs)
    return {
        **custom_role(specs),
        "predefinedRoles": [dict(r) for r in PREDEFINED_ROLES],
        "notes": [
            "Grant at the organisation (or each folder) so project discovery and folder/org IAM policies are "
            "readable; project-level grants audit only those projects.",
            "No permission reads object data, key material or instance metadata values.",
        ],
    }
