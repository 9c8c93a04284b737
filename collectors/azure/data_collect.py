"""Collect Key Vaults (with key and secret metadata), SQL servers and databases, Cosmos DB accounts
and Azure ML registries.

Children are listed per parent. A settings document that answers 404 (an encryption protector
or auditing policy that was never written) leaves its facet None, so the rule says UNKNOWN;
any other error fails the unit, never an empty result.
"""

from __future__ import annotations

from typing import Any, Iterator

from auditor.model import Resource
from collectors.azure import data_normalise as d
from collectors.azure import normalise as n
from collectors.azure.collect import _emit, _spec, envelope
from collectors.azure.context import AzureContext
from collectors.azure.diagnostics import exports_any_log, read_settings
from collectors.azure.ml_collect import _get_or_none


def _rg(doc: dict[str, Any]) -> str:
    return n.arm_parts(doc["id"])["resource_group"]


def _child(ctx: AzureContext, type_: str, parent: dict[str, Any], doc: dict[str, Any],
           facets: dict[str, Any]) -> Resource:
    spec = _spec(type_)
    return envelope(ctx, type_, spec.category, doc, facets, spec.hash_rules,
                    region=doc.get("location") or parent.get("location") or "global")


# ---- Key Vault ---------------------------------------------------------------------------------

def _vaults(ctx: AzureContext) -> list[dict[str, Any]]:
    return [n.to_rest(v) for v in ctx.client("keyvault").vaults.list_by_subscription()]


def _vault_diagnostic_settings(ctx: AzureContext, kv: Any, vault: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The vault's diagnostic settings; None (with a unit note) when they could not be read, so the
    vault itself is still inventoried and only its audit logging is unknown."""
    from azure.core.exceptions import HttpResponseError

    try:
        return [n.to_rest(s) for s in kv.diagnostic_settings.list(_rg(vault), vault["name"])]
    except HttpResponseError as exc:
        ctx.unit.note(f"diagnostic settings of {vault.get('name')} not read ({exc.status_code}): "
                      "audit logging unknown")
        return None


def vaults(ctx: AzureContext) -> Iterator[Resource]:
    kv = ctx.client("keyvault")
    spec = _spec("azure.keyvault.vault")
    for vault in _vaults(ctx):
        settings = _vault_diagnostic_settings(ctx, kv, vault)
        facets = {**d.vault_facets(vault), "audit_logging": d.audit_logging(settings),
                  "resource_logging": exports_any_log(settings)}
        yield envelope(ctx, spec.type, spec.category, vault, facets, spec.hash_rules)


def vault_keys(ctx: AzureContext) -> Iterator[Resource]:
    kv = ctx.client("keyvault")
    for vault in _vaults(ctx):
        for key in kv.keys.list(_rg(vault), vault["name"]):
            doc = _get_or_none(kv.keys.get_by_id, n.to_rest(key)["id"])
            if doc is None:
                continue  # deleted between the list and the read: it no longer exists
            yield _child(ctx, "azure.keyvault.key", vault, doc, d.key_facets(doc, vault))


def vault_secrets(ctx: AzureContext) -> Iterator[Resource]:
    kv = ctx.client("keyvault")
    for vault in _vaults(ctx):
        for secret in kv.secrets.list(_rg(vault), vault["name"]):
            doc = d.metadata_only(n.to_rest(secret))
            yield _child(ctx, "azure.keyvault.secret", vault, doc, d.secret_facets(doc, vault))


# ---- Azure SQL ---------------------------------------------------------------------------------

def _server_facets(sql: Any, server: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    rg, name = _rg(server), server["name"]
    groups = [n.to_rest(g) for g in sql.failover_groups.list_by_server(rg, name)]
    facets = d.sql_server_facets(
        server,
        [n.to_rest(r) for r in sql.firewall_rules.list_by_server(rg, name)],
        [n.to_rest(a) for a in sql.server_azure_ad_administrators.list_by_server(rg, name)],
        _get_or_none(sql.encryption_protectors.get_by_id, f"{server['id']}/encryptionProtector/current"),
        _get_or_none(sql.server_blob_auditing_policies.get_by_id, f"{server['id']}/auditingSettings/default"),
        groups)
    return facets, groups


def sql_servers(ctx: AzureContext) -> Iterator[Resource]:
    sql = ctx.client("sql")
    spec = _spec("azure.sql.server")
    for model in sql.servers.list():
        server = n.to_rest(model)
        facets, _ = _server_facets(sql, server)
        yield envelope(ctx, spec.type, spec.category, server, facets, spec.hash_rules)


def sql_databases(ctx: AzureContext) -> Iterator[Resource]:
    sql = ctx.client("sql")
    for model in sql.servers.list():
        server = n.to_rest(model)
        server_facets, groups = _server_facets(sql, server)
        rg, name = _rg(server), server["name"]
        for item in sql.databases.list_by_server(rg, name):
            db = n.to_rest(item)
            tde = None if d.is_system_database(db) else _get_or_none(
                sql.transparent_data_encryptions.get_by_id, f"{db['id']}/transparentDataEncryption/current")
            links = [n.to_rest(x) for x in sql.replication_links.list_by_database(rg, name, db["name"])]
            yield _child(ctx, "azure.sql.database", server, db,
                         d.sql_database_facets(db, server_facets, tde, links, groups))


# ---- Cosmos DB and ML registries -------------------------------------------------------------

def cosmos_accounts(ctx: AzureContext) -> Iterator[Resource]:
    """Cosmos DB names its location for display ("West Europe"); the envelope's region is the ARM name."""
    spec = _spec("azure.cosmosdb.account")
    client = ctx.client("cosmosdb")
    for model in client.database_accounts.list():
        doc = n.to_rest(model)
        logging = exports_any_log(read_settings(ctx, client.diagnostic_settings.list, doc, "resource logging"))
        yield envelope(ctx, spec.type, spec.category, doc, {**d.cosmos_facets(doc), "resource_logging": logging},
                       spec.hash_rules,
                       region=d.region(doc.get("location")) or "global")


def ml_registries(ctx: AzureContext) -> Iterator[Resource]:
    yield from _emit(ctx, "azure.ml.registry", ctx.client("ml").registries.list_by_subscription(),
                     d.ml_registry_facets)
