"""Envelopes in the exact shapes the collectors store (boto3 / GCP REST / ARM REST JSON).

Used by the identity, checks and residency tests; ``stored`` turns an envelope into what
``iter_resources`` yields, and ``seed`` writes a snapshot through the real SnapshotWriter.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any, Iterable

from collectors.azure.normalise import storage_account_facets
from collectors.gcp.normalise import bucket_facets as gcs_bucket_facets
from auditor.model import Resource, UnitStatus, make_resource
from collectors.runner import Unit, UnitResult

AWS_ACCT = "111122223333"
AWS_OTHER = "444455556666"  # ours too (declared in the estate)
VENDOR = "999988887777"  # a third party
GCP_PROJECT, GCP_NUMBER = "ml-prod", "123456789012"
SUB = "00000000-0000-0000-0000-0000000000aa"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
GH = "token.actions.githubusercontent.com"
SA_UID = "104593278110992846123"
SA_EMAIL = f"deployer@{GCP_PROJECT}.iam.gserviceaccount.com"
EKS_ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
POOL = "github"


# ---------------------------------------------------------------- AWS


def trust(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def web_identity(federated: str, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    st: dict[str, Any] = {"Effect": "Allow", "Principal": {"Federated": federated},
                          "Action": "sts:AssumeRoleWithWebIdentity"}
    if condition is not None:
        st["Condition"] = condition
    return st


def gh_provider_arn(account: str = AWS_ACCT) -> str:
    return f"arn:aws:iam::{account}:oidc-provider/{GH}"


def aws_role(name: str, trust_doc: Any, *, account: str = AWS_ACCT, inline: dict[str, Any] | None = None,
             attached: list[str] | None = None, facets: dict[str, Any] | None = None) -> Resource:
    arn = f"arn:aws:iam::{account}:role/{name}"
    cfg = {"Path": "/", "RoleName": name, "RoleId": "AROA" + name.upper()[:12].ljust(12, "X"), "Arn": arn,
           "CreateDate": "2025-01-01T00:00:00Z", "AssumeRolePolicyDocument": trust_doc,
           "RolePolicyList": [{"PolicyName": k, "PolicyDocument": v} for k, v in (inline or {}).items()],
           "AttachedManagedPolicies": [{"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a} for a in attached or []],
           "InstanceProfileList": [], "RoleLastUsed": {}}
    return make_resource(provider="aws", account=account, region="global", category="iam", type="aws.iam.role",
                         native_id=arn, name=name, config=cfg, facets=facets or {"malformed": []})


def aws_oidc_provider(url: str, client_ids: list[str], *, account: str = AWS_ACCT) -> Resource:
    arn = f"arn:aws:iam::{account}:oidc-provider/{url}"
    return make_resource(provider="aws", account=account, region="global", category="iam",
                         type="aws.iam.oidc_provider", native_id=arn, name=url,
                         config={"Arn": arn, "Url": url, "ClientIDList": client_ids,
                                 "ThumbprintList": ["6938fd4d98bab03faadb97b34396831e3780aea1"],
                                 "CreateDate": "2025-01-01T00:00:00Z"})


ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def s3_bucket(name: str, region: str, *, tags: dict[str, str] | None = None, replicate_to: list[str] | None = None,
              account: str = AWS_ACCT, facets: dict[str, Any] | None = None, status: str = "Enabled",
              destination_regions: dict[str, str] | None = None) -> Resource:
    """``destination_regions``: what the collector's GetBucketLocation answered per destination
    bucket (a destination missing from it could not be located: replica_locations is None)."""
    cfg: dict[str, Any] = {"Name": name, "BucketRegion": region}
    replicas: list[str] | None = []
    if replicate_to:
        cfg["ReplicationConfiguration"] = {
            "Role": f"arn:aws:iam::{account}:role/s3-replication",
            "Rules": [{"ID": f"to-{d}", "Priority": i + 1, "Status": status, "Filter": {"Prefix": ""},
                       "DeleteMarkerReplication": {"Status": "Disabled"},
                       "Destination": {"Bucket": f"arn:aws:s3:::{d}", "StorageClass": "STANDARD"}}
                      for i, d in enumerate(replicate_to)]}
        if status == "Enabled":
            found = [(destination_regions or {}).get(d) for d in replicate_to]
            replicas = None if None in found else sorted(set(found) - {region})  # type: ignore[arg-type]
    base = {"public": False, "public_reasons": [], "encrypted": True, "key_management": "provider",
            "locations": [region], "replica_locations": replicas, "location_type": "region"}
    return make_resource(provider="aws", account=account, region=region, category="storage", type="aws.s3.bucket",
                         native_id=f"arn:aws:s3:::{name}", name=name, config=cfg, tags=tags or {},
                         facets={**base, **(facets or {})})


# ---------------------------------------------------------------- GCP


def pool_name(pool: str = POOL, number: str = GCP_NUMBER) -> str:
    return f"projects/{number}/locations/global/workloadIdentityPools/{pool}"


def gcp_pool(pool: str = POOL) -> Resource:
    name = pool_name(pool)
    return make_resource(provider="gcp", account=GCP_PROJECT, region="global", category="iam",
                         type="gcp.iam.workload_identity_pool", native_id=f"//iam.googleapis.com/{name}", name=pool,
                         config={"name": name, "state": "ACTIVE", "disabled": False, "mode": "FEDERATION_ONLY"})


def gcp_provider(provider: str, *, pool: str = POOL, issuer: str | None = None, condition: str | None = None,
                 aws_account: str | None = None, audiences: list[str] | None = None,
                 mapping: dict[str, str] | None = None) -> Resource:
    name = f"{pool_name(pool)}/providers/{provider}"
    cfg: dict[str, Any] = {"name": name, "displayName": provider, "state": "ACTIVE", "disabled": False,
                           "attributeMapping": mapping or {"google.subject": "assertion.sub",
                                                           "attribute.repository_id": "assertion.repository_id",
                                                           "attribute.repository_owner_id": "assertion.repository_owner_id"}}
    if condition is not None:
        cfg["attributeCondition"] = condition
    if aws_account:
        cfg["aws"] = {"accountId": aws_account}
        cfg["attributeMapping"] = mapping or {"google.subject": "assertion.arn"}
    else:
        cfg["oidc"] = {"issuerUri": issuer or f"https://{GH}", "allowedAudiences": audiences or []}
    return make_resource(provider="gcp", account=GCP_PROJECT, region="global", category="iam",
                         type="gcp.iam.workload_identity_provider", native_id=f"//iam.googleapis.com/{name}",
                         name=provider, config=cfg)


def principal_set(selector: str, pool: str = POOL) -> str:
    return f"principalSet://iam.googleapis.com/{pool_name(pool)}/{selector}"


def gcp_sa(email: str = SA_EMAIL, unique_id: str = SA_UID, bindings: list[dict[str, Any]] | None = None) -> Resource:
    name = f"projects/{GCP_PROJECT}/serviceAccounts/{email}"
    cfg = {"name": name, "projectId": GCP_PROJECT, "uniqueId": unique_id, "email": email,
           "displayName": email.split("@")[0], "oauth2ClientId": unique_id, "disabled": False,
           "iamPolicy": {"version": 3, "etag": "BwXhqDrW1mM=", "bindings": bindings or []}}
    return make_resource(provider="gcp", account=GCP_PROJECT, region="global", category="iam",
                         type="gcp.iam.service_account", native_id=f"//iam.googleapis.com/{name}", name=email,
                         config=cfg, facets={})


def gcp_project_policy(bindings: list[dict[str, Any]]) -> Resource:
    return make_resource(provider="gcp", account=GCP_PROJECT, region="global", category="iam",
                         type="gcp.iam.project_policy",
                         native_id=f"//cloudresourcemanager.googleapis.com/projects/{GCP_PROJECT}",
                         name=f"projects/{GCP_PROJECT}", config={"version": 3, "etag": "BwX=", "bindings": bindings})


def gcs_bucket(name: str, location: str, location_type: str, *, labels: dict[str, str] | None = None,
               data_locations: list[str] | None = None) -> Resource:
    cfg: dict[str, Any] = {"kind": "storage#bucket", "id": name, "name": name, "projectNumber": GCP_NUMBER,
                           "location": location, "locationType": location_type, "storageClass": "STANDARD",
                           "labels": labels or {}, "iamPolicy": {"bindings": []}}
    if data_locations:
        cfg["customPlacementConfig"] = {"dataLocations": data_locations}
    return make_resource(provider="gcp", account=GCP_PROJECT, region=location.lower(), category="storage",
                         type="gcp.storage.bucket", native_id=f"//storage.googleapis.com/projects/_/buckets/{name}",
                         name=name, config=cfg, tags=labels or {},
                         facets=gcs_bucket_facets(cfg, cfg["iamPolicy"]))


# ---------------------------------------------------------------- Azure


def uami_id(name: str, rg: str = "rg-ml") -> str:
    return f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"


def azure_uami(name: str, principal_id: str, *, location: str = "westeurope") -> Resource:
    rid = uami_id(name)
    cfg = {"id": rid, "name": name, "type": "Microsoft.ManagedIdentity/userAssignedIdentities", "location": location,
           "tags": {}, "properties": {"tenantId": TENANT, "principalId": principal_id,
                                      "clientId": "c0ffee00-0000-0000-0000-000000000001", "isolationScope": "None"}}
    return make_resource(provider="azure", account=SUB, region=location, category="iam",
                         type="azure.identity.user_assigned", native_id=rid, name=name, config=cfg)


def azure_fic(identity: str, name: str, issuer: str, subject: str | None,
              audiences: list[str] | None = None, expression: str | None = None) -> Resource:
    rid = f"{uami_id(identity)}/federatedIdentityCredentials/{name}"
    props: dict[str, Any] = {"issuer": issuer, "subject": subject,
                             "audiences": audiences or ["api://AzureADTokenExchange"]}
    if expression is not None:
        props["claimsMatchingExpression"] = {"value": expression, "languageVersion": 1}
    cfg = {"id": rid, "name": name,
           "type": "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
           "properties": props}
    return make_resource(provider="azure", account=SUB, region="global", category="iam",
                         type="azure.identity.federated_credential", native_id=rid, name=name, config=cfg)


OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
BLOB_READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"


def azure_assignment(guid: str, role: str, principal_id: str, *, scope: str | None = None,
                     principal_type: str = "ServicePrincipal") -> Resource:
    scope = scope or f"/subscriptions/{SUB}"
    rid = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{guid}"
    cfg = {"id": rid, "name": guid, "type": "Microsoft.Authorization/roleAssignments",
           "properties": {"roleDefinitionId": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{role}",
                          "principalId": principal_id, "principalType": principal_type, "scope": scope,
                          "condition": None, "conditionVersion": None}}
    return make_resource(provider="azure", account=SUB, region="global", category="iam",
                         type="azure.authorization.role_assignment", native_id=rid, name=guid, config=cfg)


def azure_storage(name: str, location: str, sku: str, *, tags: dict[str, str] | None = None,
                  secondary: str | None = None) -> Resource:
    rid = f"/subscriptions/{SUB}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/{name}"
    props: dict[str, Any] = {"primaryLocation": location, "statusOfPrimary": "available",
                             "allowBlobPublicAccess": False, "supportsHttpsTrafficOnly": True,
                             "encryption": {"keySource": "Microsoft.Storage"}}
    if secondary:
        props["secondaryLocation"] = secondary
        props["statusOfSecondary"] = "available"
    cfg = {"id": rid, "name": name, "type": "Microsoft.Storage/storageAccounts", "location": location,
           "kind": "StorageV2", "sku": {"name": sku, "tier": "Standard"}, "tags": tags or {}, "properties": props}
    return make_resource(provider="azure", account=SUB, region=location, category="storage",
                         type="azure.storage.account", native_id=rid, name=name, config=cfg, tags=tags or {},
                         facets=storage_account_facets(cfg))


# ---------------------------------------------------------------- storage of envelopes


def stored(r: Resource, state: str = "present") -> SimpleNamespace:
    """What iter_resources yields for an envelope (config/tags/facets as dicts)."""
    return SimpleNamespace(snapshot_id=1, version_id=1, resource_key=r.resource_key, provider=r.provider,
                           account=r.account, region=r.region, location=r.location, category=r.category,
                           type=r.type, native_id=r.native_id, name=r.name, tags=json.loads(r.tags),
                           config=json.loads(r.config), facets=json.loads(r.facets),
                           content_hash=r.content_hash, state=state)


def seed(engine: Any, resources: Iterable[Resource], *, failed_units: Iterable[tuple[str, str, str, str]] = ()) -> int:
    """One snapshot holding ``resources``, one OK unit per (provider, account, region, type)."""
    from auditor.store.ingest import SnapshotWriter

    by_unit: dict[tuple[str, str, str, str], list[Resource]] = {}
    for r in resources:
        by_unit.setdefault((r.provider, r.account, r.region, r.type), []).append(r)
    failed = set(failed_units)
    with SnapshotWriter(engine, note="test") as w:
        for (p, a, reg, t), batch in by_unit.items():
            unit = Unit(p, a, reg, t)
            w.write(batch, unit)
            status = UnitStatus.ERROR if (p, a, reg, t) in failed else UnitStatus.OK
            w.record_unit(UnitResult(unit, status, "boom" if status == UnitStatus.ERROR else None, len(batch), 1,
                                     datetime.now(timezone.utc), 0.01))
        w.finish()
    return w.snapshot_id


# ---------------------------------------------------------------- a small three-cloud estate

EU_ACCOUNT = "eudata"


def three_cloud_estate() -> list[Resource]:
    """GitHub -> GCP pool -> GCP SA -> AWS admin role; EKS (AWS) -> Azure identity -> Owner + EU data."""
    gh_condition = "assertion.repository_owner_id == '1342004' && assertion.repository_id == '260064828'"
    sa = gcp_sa(bindings=[{"role": "roles/iam.workloadIdentityUser",
                           "members": [principal_set("attribute.repository_id/260064828")]}])
    google_trust = trust(web_identity("accounts.google.com", {"StringEquals": {
        "accounts.google.com:aud": SA_UID, "accounts.google.com:oaud": "sts.amazonaws.com",
        "accounts.google.com:sub": SA_UID}}))
    eks_role_trust = trust(web_identity(f"arn:aws:iam::{AWS_ACCT}:oidc-provider/{EKS_ISSUER}", {"StringEquals": {
        f"{EKS_ISSUER}:aud": "sts.amazonaws.com", f"{EKS_ISSUER}:sub": "system:serviceaccount:ml:trainer"}}))
    eu_account = azure_storage(EU_ACCOUNT, "germanywestcentral", "Standard_LRS",
                               tags={"data-classification": "restricted"})
    eu_scope = f"/subscriptions/{SUB}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/{EU_ACCOUNT}"
    return [
        gcp_pool(), gcp_provider("github-oidc", condition=gh_condition), sa,
        aws_role("gcp-deployer", google_trust, attached=[ADMIN]),
        aws_oidc_provider(EKS_ISSUER, ["sts.amazonaws.com"]),
        aws_role("eks-trainer", eks_role_trust),
        azure_uami("eks-trainer", "9a1b2c3d-0000-4000-8000-00000000e001"),
        azure_fic("eks-trainer", "eks-ml-trainer", f"https://{EKS_ISSUER}", "system:serviceaccount:ml:trainer"),
        azure_assignment("3f1c0b1e-1111-4111-8111-000000000001", OWNER, "9a1b2c3d-0000-4000-8000-00000000e001"),
        azure_assignment("3f1c0b1e-1111-4111-8111-000000000002", BLOB_READER, "9a1b2c3d-0000-4000-8000-00000000e001",
                         scope=eu_scope),
        eu_account,
    ]
