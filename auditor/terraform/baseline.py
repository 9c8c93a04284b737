"""Record Terraform state as an immutable baseline version (approver, reason, audit log).

Each import is a complete declaration (a state replaces what an earlier state declared),
so a Terraform version has no parent delta: its ``baseline_entries`` list every declared
key with the SHA-256 of its declaration, which the hash-chained audit log digests like any
other version. Only the mapped, redacted declarations are stored: never whole states,
outputs or sensitive attributes. The version's scope is the accounts the states declare
resources in, so unmanaged resources are looked for there and not in the whole estate.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Sequence

from sqlalchemy import Connection, Engine, select

from auditor.canonical import canonical_json
from auditor.drift import baselines as bl, scope as scope_mod
from auditor.errors import UsageError
from auditor.store.schema import baseline_entries, terraform_declarations
from auditor.terraform import mapping, sources, state

KIND = "terraform"
_PLAIN = re.compile(r"[A-Za-z0-9._:-]+")  # no glob characters from a hostile state into the scope


@dataclass
class ImportResult:
    ref: bl.BaselineRef
    declared: int
    states: list[dict[str, Any]]
    unmapped: dict[str, int]
    problems: list[str]


def declaration_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _scope(declared: list[mapping.Declared]) -> list[str]:
    """One unit filter per (provider, account) the states declare resources in."""
    accounts = sorted({(d.provider, d.account) for d in declared if d.account and _PLAIN.fullmatch(d.account)})
    return scope_mod.normalise([f"{p}|{a}|*|*" for p, a in accounts]) if accounts else []


def import_states(engine: Engine, *, name: str, locations: Sequence[str], reason: str, by: str,
                  clients: sources.Clients | None = None) -> ImportResult:
    """Read every state, map it, and record the declarations as a new version of ``name``."""
    bl._check_name(name)
    bl._check_text("--reason", reason)
    bl._check_text("--by", by)
    instances: list[state.Instance] = []
    states: list[dict[str, Any]] = []
    for doc in sources.read_states(list(locations), clients):
        found = list(state.parse(doc.data, doc.source))
        instances += found
        states.append({"source": doc.source, "sha256": hashlib.sha256(doc.data).hexdigest(), "instances": len(found)})
    result = mapping.map_instances(instances)
    declared = sorted(result.declared.values(), key=lambda d: d.resource_key)
    if not declared:
        raise UsageError(f"the states declare no resource type we collect ({len(instances)} managed instances, "
                         f"types: {', '.join(sorted(result.unmapped)) or 'none'})")
    scope = _scope(declared) or None
    now = datetime.now(timezone.utc)
    with engine.begin() as c:
        parent = bl._active(c, name)
        if parent is not None and not bl.is_terraform(c, parent.id):
            raise UsageError(f"baseline {name!r} is approved from snapshots; import Terraform state under another name")
        bid, version = bl._insert_version(c, name=name, parent=None, sid=None, scope=scope, by=by, reason=reason,
                                          now=now)
        entries, rows = [], []
        for d in declared:
            text = canonical_json(d.document())
            entries.append({"baseline_id": bid, "resource_key": d.resource_key,
                            "content_hash": declaration_hash(text), "version_id": None})
            rows.append({"baseline_id": bid, "resource_key": d.resource_key, "provider": d.provider, "type": d.type,
                         "account": d.account, "region": d.region, "declared": text})
        c.execute(baseline_entries.insert(), entries)
        c.execute(terraform_declarations.insert(), rows)
        ref = bl._finish_version(c, bid=bid, name=name, version=version, action="baseline.approve", by=by,
                                 now=now, parent=None, sid=None, scope=scope, reason=reason, entry_count=len(declared),
                                 extra={"kind": KIND, "replaces": parent.label if parent else None, "states": states,
                                        "unmapped_types": dict(sorted(result.unmapped.items()))})
    return ImportResult(ref, len(declared), states, dict(result.unmapped), result.problems)


def verify_declarations(engine: Engine) -> list[str]:
    """Problems where a stored declaration no longer matches the hash its version recorded."""
    problems = []
    with engine.connect() as c:
        q = (select(terraform_declarations.c.baseline_id, terraform_declarations.c.resource_key,
                    terraform_declarations.c.declared, baseline_entries.c.content_hash)
             .select_from(terraform_declarations.outerjoin(baseline_entries, (
                 baseline_entries.c.baseline_id == terraform_declarations.c.baseline_id)
                 & (baseline_entries.c.resource_key == terraform_declarations.c.resource_key))))
        for bid, key, text, h in c.execute(q):
            if h is None or declaration_hash(text) != h:
                problems.append(f"terraform declaration {key} of baseline id {bid} does not match its recorded hash")
    return problems
