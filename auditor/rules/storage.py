"""Storage posture over the storage facets (buckets, containers, storage accounts, every cloud)."""

from __future__ import annotations

import re
from typing import Any

from auditor.rules.facts import MISSING, facet, unknown
from auditor.rules.registry import RuleContext, rule
from auditor.rules.verdict import FAIL, PASS, Result

STORAGE = ("storage",)
# Stores whose network exposure a control of their own judges (one finding, not two):
# Key Vault -> keyvault.public_network_access (CIS Azure 8.3.7), SQL servers -> sql.firewall_all_ips.
OWN_NETWORK_RULE = ("azure.keyvault.vault", "azure.sql.server")


@rule(id="storage.public", title="Storage is readable by anyone on the internet", severity="high", kind="posture",
      rationale="Public buckets/containers are the most common cause of cloud data exposure.",
      remediation="Remove public grants (policy, ACL, allUsers/allAuthenticatedUsers, blob public access) and "
                  "enable the account/bucket public-access block.", categories=STORAGE)
def storage_public(res: Any, ctx: RuleContext) -> Result | None:
    v = facet(res, "public")
    if v is MISSING:
        return None
    if v is None:
        return unknown("public access")
    reasons = res.facets.get("public_reasons") or []
    if v:
        return Result(FAIL, "publicly readable: " + (", ".join(map(str, reasons)) or "yes"), {"public_reasons": reasons})
    return Result(PASS, "not public", {"public_access_blocked": res.facets.get("public_access_blocked")})


@rule(id="storage.customer_key_required", title="Sensitive storage not encrypted with a customer-managed key",
      severity="medium", kind="posture",
      rationale="Classifications listed in checks.cmk_required_for must use a key the organisation controls "
                "(CMK/CMEK), so access can be revoked and audited independently of the provider.",
      remediation="Configure SSE-KMS with a customer key (AWS), CMEK (GCS default_kms_key_name) or Key Vault keys "
                  "(Azure).", categories=STORAGE)
def storage_customer_key(res: Any, ctx: RuleContext) -> Result | None:
    if res.type == "azure.storage.container":
        return None  # containers inherit the account's key: judged on the account
    classification = ctx.classification(res)
    if classification is None or classification.lower() not in {c.lower() for c in ctx.config.checks.cmk_required_for}:
        return None
    km = res.facets.get("key_management")
    ev = {"classification": classification, "key_management": km, "kms_key": res.facets.get("kms_key")}
    if km is None:
        return unknown("key management", ev)
    if km == "customer":
        return Result(PASS, "encrypted with a customer-managed key", ev)
    return Result(FAIL, f"{classification} data uses a provider-managed key", ev)


@rule(id="storage.unencrypted", title="Storage without encryption at rest", severity="high", kind="posture",
      rationale="Data at rest without encryption is readable from any copy of the underlying media or snapshot.",
      remediation="Enable default encryption (SSE-S3/SSE-KMS on S3; Azure Storage and GCS always encrypt).",
      categories=STORAGE)
def storage_unencrypted(res: Any, ctx: RuleContext) -> Result | None:
    v = facet(res, "encrypted")
    if v is MISSING:
        return None
    if v is None:
        return unknown("encryption at rest")
    return Result(PASS, "encrypted at rest", {"key_management": res.facets.get("key_management")}) if v else \
        Result(FAIL, "no default encryption at rest")


@rule(id="storage.plain_http", title="Storage accepts plain HTTP", severity="medium", kind="posture",
      rationale="Requests over plain HTTP expose data and credentials to anyone on the path.",
      remediation="Deny aws:SecureTransport=false in the bucket policy (AWS); set supportsHttpsTrafficOnly (Azure).",
      categories=STORAGE)
def storage_plain_http(res: Any, ctx: RuleContext) -> Result | None:
    v = facet(res, "https_only")
    if v is MISSING:
        return None
    if v is None:
        return unknown("HTTPS-only setting")
    return Result(PASS, "HTTPS only") if v else Result(FAIL, "plain HTTP requests are accepted")


MIN_TLS = (1, 2)
_TLS = re.compile(r"(?:TLS)?\s*v?(\d+)[._](\d+)", re.I)


def tls_version(value: Any) -> tuple[int, int] | None:
    """('TLS1_2' | 'TLS1.2' | '1.2') -> (1, 2); None when it cannot be read."""
    m = _TLS.search(str(value or ""))
    return (int(m.group(1)), int(m.group(2))) if m else None


@rule(id="storage.min_tls_below_1_2", title="Storage accepts TLS versions below 1.2", severity="medium",
      kind="posture", rationale="TLS 1.0 and 1.1 have known weaknesses and are deprecated (RFC 8996).",
      remediation="Set the minimum TLS version to 1.2 (Azure minimumTlsVersion TLS1_2; S3 policy on "
                  "s3:TlsVersion).", categories=STORAGE)
def storage_min_tls(res: Any, ctx: RuleContext) -> Result | None:
    v = facet(res, "min_tls")
    if v is MISSING:
        return None
    if v is None:
        return unknown("minimum TLS version")
    version = tls_version(v)
    if version is None:
        return Result(FAIL, f"minimum TLS version {v!r} is not recognised", {"min_tls": v})
    ok = version >= MIN_TLS
    return Result(PASS if ok else FAIL, f"minimum TLS version {v}" + ("" if ok else " (below 1.2)"), {"min_tls": v})


@rule(id="storage.public_network_access", title="Storage data endpoint reachable from any network",
      severity="medium", kind="posture",
      rationale="An endpoint open to every network leaves keys and tokens as the only barrier to the data.",
      remediation="Disable public network access or default-deny the firewall and allow only known networks or "
                  "private endpoints.", categories=STORAGE)
def storage_public_network(res: Any, ctx: RuleContext) -> Result | None:
    if res.type in OWN_NETWORK_RULE:
        return None
    v = facet(res, "public_network_access")
    if v is MISSING:
        return None
    if v is None:
        return unknown("network access setting")
    return Result(FAIL, "reachable from any network") if v else Result(PASS, "restricted to selected networks")
