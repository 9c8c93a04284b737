"""Ingest benchmark: fresh ingest vs the raw rate of the same rows, unchanged and 1%-changed
re-ingest, database size after each step, and peak RSS.

    python bench/ingest.py --resources 200000 [--per-unit 2] [--db-dir /tmp] [--batch 500]
    python bench/ingest.py --resources 200000 --db postgresql://postgres@127.0.0.1:5432/test

Prints one JSON object. The reference is measured in the same run: the same rows (already
serialised) inserted into a table with the same columns and no indexes, i.e. the fastest the
database itself can take them: plain ``sqlite3.executemany`` on SQLite; ``COPY`` (and, for
comparison, ``executemany``) through psycopg 3 on PostgreSQL, in a scratch database created on
that server and dropped afterwards. Both sides time only the database work, not the making of
the input; what building an envelope costs a collector is reported on its own.

``--per-unit`` is how many resources one collection unit (account x region x type) yields.
Real estates average under 2, so the default is 2: the store's per-unit costs (a commit, a
head lookup, a unit row) are what this measures, not only its per-row costs.
"""

from __future__ import annotations

import argparse
import gc
from functools import lru_cache
import hashlib
import json
import random
import resource
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from auditor.model import Resource, UnitStatus, make_resource  # noqa: E402
from auditor.store import migrate  # noqa: E402
from auditor.store.engine import make_engine  # noqa: E402
from auditor.store.ingest import SnapshotWriter  # noqa: E402
from collectors.runner import Unit, UnitResult  # noqa: E402

TYPES = [
    ("aws", "aws.ec2.instance", "compute"), ("aws", "aws.ec2.security_group", "network"),
    ("aws", "aws.s3.bucket", "storage"), ("aws", "aws.iam.role", "iam"),
    ("gcp", "gcp.compute.instance", "compute"), ("gcp", "gcp.compute.firewall", "network"),
    ("azure", "azure.storage.account", "storage"), ("azure", "azure.network.nsg", "network"),
]
REGIONS = {"aws": ["us-east-1", "eu-west-1", "ap-southeast-2"], "gcp": ["europe-west1", "us-central1", "asia-east1"],
           "azure": ["westeurope", "eastus", "japaneast"]}


PER_UNIT = 2  # resources per collection unit (set by --per-unit; a unit's resources arrive together)


def unit_of(i: int) -> Unit:
    u = i // PER_UNIT
    t = u % len(TYPES)
    return _unit(t, (u // len(TYPES)) % 3, u // (len(TYPES) * 3))  # every unit distinct


@lru_cache(maxsize=None)
def _unit(t: int, r: int, a: int) -> Unit:
    provider, type_, _ = TYPES[t]
    return Unit(provider, f"acct-{a:03d}", REGIONS[provider][r], type_)


def type_index(i: int) -> int:
    return (i // PER_UNIT) % len(TYPES)


def envelope(i: int, generation: int = 0) -> Resource:
    """A realistic ~1 KB envelope: tags, nested config, rules, facets."""
    u = unit_of(i)
    _, type_, cat = TYPES[type_index(i)]
    rnd = random.Random(i)
    config = {
        "Id": f"res-{i:08d}", "Arn": f"arn:{u.provider}:{type_}:{u.region}:{u.account}:res-{i:08d}",
        "State": {"Name": "running", "Code": 16}, "InstanceType": rnd.choice(["m5.large", "g5.2xlarge", "t3.micro"]),
        "SecurityGroups": [{"GroupId": f"sg-{rnd.randrange(10**8):08x}", "GroupName": f"sg-{j}"} for j in range(3)],
        "IpPermissions": [
            {"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "IpRanges": [{"CidrIp": f"10.{rnd.randrange(255)}.0.0/16"}]}
            for p in (22, 443, 8080)
        ],
        "MetadataOptions": {"HttpTokens": rnd.choice(["required", "optional"]), "HttpEndpoint": "enabled"},
        "Generation": generation, "Description": "synthetic benchmark resource " + "x" * 200,
    }
    facets = {"public_ips": [], "legacy_metadata": config["MetadataOptions"]["HttpTokens"] == "optional"}
    return make_resource(
        provider=u.provider, account=u.account, region=u.region, category=cat, type=type_,
        native_id=config["Arn"], name=f"res-{i}", config=config,
        tags={"team": f"team-{i % 13}", "env": rnd.choice(["prod", "dev"]), "cost-center": str(i % 50)},
        facets=facets if cat == "compute" else {},
    )


_TEMPLATES: dict[int, Resource] = {}


def fast_envelope(i: int, generation: int = 0) -> Resource:
    """The same envelope as ``envelope`` but derived from a per-shape template by text
    substitution, so generating input costs ~5 us and the timings measure the store."""
    shape = type_index(i) * PER_UNIT + (i % 8) * len(TYPES) * PER_UNIT  # same type: 8 shapes per type
    tpl = _TEMPLATES.get(shape)
    if tpl is None:
        tpl = _TEMPLATES[shape] = envelope(shape)
    ident, new = f"res-{shape:08d}", f"res-{i:08d}"
    u, tu = unit_of(i), unit_of(shape)
    config = tpl.config.replace(ident, new).replace(f":{tu.account}:", f":{u.account}:")
    if generation:
        config = config.replace('"Generation":0', f'"Generation":{generation}')
    native = tpl.native_id.replace(ident, new).replace(f":{tu.account}:", f":{u.account}:")
    return Resource(
        resource_key=f"{tpl.type}|{native}", provider=tpl.provider, account=u.account, region=tpl.region,
        location=tpl.location, category=tpl.category, type=tpl.type, native_id=native, name=f"res-{i}",
        tags=tpl.tags, config=config, facets=tpl.facets,
        content_hash=hashlib.sha256(f"{config}|{tpl.tags}|{tpl.facets}".encode()).hexdigest(),
    )



def ingest(engine, n: int, batch: int, changed: set[int]) -> tuple[float, dict]:  # type: ignore[no-untyped-def]
    """Time spent in the store (begin, every write/record_unit, finish), not in making input."""
    spent = 0.0
    t0 = time.perf_counter()
    w = SnapshotWriter(engine)
    spent += time.perf_counter() - t0
    b: list[Resource] = []
    now = datetime.now(timezone.utc)
    for i in range(n):
        u = unit_of(i)
        b.append(fast_envelope(i, 1 if i in changed else 0))
        last_of_unit = i == n - 1 or unit_of(i + 1) != u
        if len(b) >= batch or last_of_unit:
            t0 = time.perf_counter()
            w.write(b, u)
            if last_of_unit:
                w.record_unit(UnitResult(u, UnitStatus.OK, None, 0, 0, now, 0.0))
            spent += time.perf_counter() - t0
            b = []
    t0 = time.perf_counter()
    w.finish()
    spent += time.perf_counter() - t0
    return spent, {"written": w.stats.written, "unchanged": w.stats.unchanged, "closed": w.stats.closed}


REF_COLS = ("resource_key", "unit_key", "provider", "account", "region", "location", "category", "type",
            "native_id", "name", "tags", "config", "facets", "content_hash", "valid_from")


UNIT_COLS = ("unit_key", "provider", "account", "region", "resource_type", "status", "error", "resource_count",
             "valid_from")


def reference_rows(n: int, batch: int, with_units: bool = False):  # type: ignore[no-untyped-def]
    """The same rows the store writes, already serialised, in batches: (versions, unit rows).
    Unit rows (one per collection unit, as the store records them) only ``with_units``."""
    rows, units = [], []
    for i in range(n):
        r = fast_envelope(i)
        u = unit_of(i)
        rows.append((r.resource_key, str(u), r.provider, r.account, r.region, r.location, r.category,
                     r.type, r.native_id, r.name, r.tags, r.config, r.facets, r.content_hash, 1))
        if with_units and (i == n - 1 or unit_of(i + 1) != u):
            units.append((f"{u.provider}|{u.account}|{u.region}|{u.resource_type}", u.provider, u.account,
                          u.region, u.resource_type, "ok", None, PER_UNIT, 1))
        if len(rows) >= batch or i == n - 1:
            yield rows, units
            rows, units = [], []


def reference(path: Path, n: int, batch: int, with_units: bool = False) -> float:
    """The same rows via raw sqlite3.executemany (no indexes)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(f"CREATE TABLE rv (id INTEGER PRIMARY KEY, {', '.join(REF_COLS)})")
    conn.execute(f"CREATE TABLE cu (id INTEGER PRIMARY KEY, {', '.join(UNIT_COLS)})")
    sql = f"INSERT INTO rv ({', '.join(REF_COLS)}) VALUES ({', '.join('?' * len(REF_COLS))})"
    usql = f"INSERT INTO cu ({', '.join(UNIT_COLS)}) VALUES ({', '.join('?' * len(UNIT_COLS))})"
    spent = 0.0
    for rows, units in reference_rows(n, batch, with_units):
        t0 = time.perf_counter()
        conn.executemany(sql, rows)
        if units:
            conn.executemany(usql, units)
        conn.commit()
        spent += time.perf_counter() - t0
    conn.close()
    return spent


def pg_reference(url: str, n: int, batch: int, how: str, with_units: bool = False) -> float:
    """The same rows into unindexed PostgreSQL tables by ``COPY`` or ``executemany``."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("DROP TABLE IF EXISTS rv")
        conn.execute("DROP TABLE IF EXISTS cu")
        conn.execute("CREATE TABLE rv (id BIGSERIAL PRIMARY KEY, resource_key TEXT, unit_key TEXT, provider TEXT, "
                     "account TEXT, region TEXT, location TEXT, category TEXT, type TEXT, native_id TEXT, name TEXT, "
                     "tags TEXT, config TEXT, facets TEXT, content_hash TEXT, valid_from BIGINT)")
        conn.execute("CREATE TABLE cu (id BIGSERIAL PRIMARY KEY, unit_key TEXT, provider TEXT, account TEXT, "
                     "region TEXT, resource_type TEXT, status TEXT, error TEXT, resource_count INT, valid_from BIGINT)")
        conn.commit()
        spent = 0.0
        with conn.cursor() as cur:
            for rows, units in reference_rows(n, batch, with_units):
                t0 = time.perf_counter()
                for table, cols, data in (("rv", REF_COLS, rows), ("cu", UNIT_COLS, units)):
                    if not data:
                        continue
                    if how == "copy":
                        with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as cp:
                            for row in data:
                                cp.write_row(row)
                    else:
                        cur.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES "
                                        f"({', '.join(['%s'] * len(cols))})", data)
                conn.commit()
                spent += time.perf_counter() - t0
        conn.execute("DROP TABLE rv")
        conn.execute("DROP TABLE cu")
    return spent


def db_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def phases(engine, n: int, batch: int, size) -> dict:  # type: ignore[no-untyped-def]
    out: dict = {}
    changed = set(random.Random(7).sample(range(n), n // 100))
    for phase, ch in (("fresh", set()), ("unchanged", set()), ("changed_1pct", changed)):
        gc.collect()
        out[phase + "_s"], out[phase] = ingest(engine, n, batch, ch)
        out[phase + "_bytes"] = size()
    return out


def one_run(n: int, batch: int, db_dir: str | None) -> dict:
    with tempfile.TemporaryDirectory(dir=db_dir) as tmp:
        ref_path, path = Path(tmp) / "reference.db", Path(tmp) / "inventory.db"
        ref_s = reference(ref_path, n, batch)
        ref_units_s = reference(Path(tmp) / "reference-units.db", n, batch, with_units=True)
        engine = make_engine(f"sqlite:///{path}")
        migrate.upgrade(engine)

        def size() -> int:
            with engine.connect() as c:
                c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            return db_size(path)

        out = {"reference_s": ref_s, "reference_with_units_s": ref_units_s, **phases(engine, n, batch, size)}
        engine.dispose()
    return out


def one_pg_run(url: str, n: int, batch: int) -> dict:
    """A scratch database on the server at ``url``: created, measured, dropped."""
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(url)
    scratch = f"auditor_bench_{os.getpid()}"
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {scratch}")
        c.execute(f"CREATE DATABASE {scratch}")
    try:
        target = base.set(database=scratch)
        raw = target.set(drivername="postgresql").render_as_string(hide_password=False)
        out = {"reference_s": pg_reference(raw, n, batch, "copy"),
               "reference_with_units_s": pg_reference(raw, n, batch, "copy", with_units=True),
               "reference_executemany_s": pg_reference(raw, n, batch, "executemany")}
        engine = make_engine(target.render_as_string(hide_password=False))
        migrate.upgrade(engine)

        def size() -> int:
            with engine.connect() as c:
                return int(c.exec_driver_sql("SELECT pg_database_size(current_database())").scalar_one())

        out.update(phases(engine, n, batch, size))
        engine.dispose()
    finally:
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--resources", type=int, default=200_000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3, help="independent runs; timings are medians")
    ap.add_argument("--db-dir", default=None, help="where the SQLite files go")
    ap.add_argument("--db", default=None, help="a postgresql:// URL: measure PostgreSQL (a scratch database)")
    ap.add_argument("--per-unit", type=int, default=2, help="resources per collection unit (real estates: < 2)")
    args = ap.parse_args()
    global PER_UNIT
    PER_UNIT = args.per_unit
    n = args.resources
    pg = bool(args.db and args.db.startswith("postgresql"))
    runs = [one_pg_run(args.db, n, args.batch) if pg else one_run(n, args.batch, args.db_dir)
            for _ in range(args.repeat)]

    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    t0 = time.perf_counter()
    for i in range(2000):
        envelope(i)
    build_us = (time.perf_counter() - t0) / 2000 * 1e6
    last = runs[-1]
    ref_s, fresh_s, same_s, chg_s = med("reference_s"), med("fresh_s"), med("unchanged_s"), med("changed_1pct_s")
    print(json.dumps({
        "database": "postgresql" if pg else "sqlite",
        "resources": n,
        "per_unit": PER_UNIT,
        "units": -(-n // PER_UNIT),
        "runs": args.repeat,
        "reference": "COPY" if pg else "executemany",
        "reference_s": round(ref_s, 3),
        **({"reference_executemany_s": round(med("reference_executemany_s"), 3)} if pg else {}),
        "reference_rate_per_s": round(n / ref_s),
        "fresh_ingest_s": round(fresh_s, 3),
        "fresh_rate_per_s": round(n / fresh_s),
        "fresh_vs_reference_rate": round(ref_s / fresh_s, 3),
        # The store also writes one row per unit: the same reference with those rows too.
        "reference_with_units_s": round(med("reference_with_units_s"), 3),
        "fresh_vs_reference_with_units_rate": round(med("reference_with_units_s") / fresh_s, 3),
        "unchanged_reingest_s": round(same_s, 3),
        "unchanged_vs_fresh_time": round(same_s / fresh_s, 3),
        "unchanged_vs_fresh_time_per_run": [round(r["unchanged_s"] / r["fresh_s"], 3) for r in runs],
        "changed_1pct_reingest_s": round(chg_s, 3),
        "db_bytes_after_fresh": last["fresh_bytes"],
        "db_bytes_after_unchanged": last["unchanged_bytes"],
        "unchanged_growth_pct": round(100 * (last["unchanged_bytes"] - last["fresh_bytes"]) / last["fresh_bytes"], 3),
        "db_bytes_after_1pct_changed": last["changed_1pct_bytes"],
        "changed_growth_pct": round(100 * (last["changed_1pct_bytes"] - last["unchanged_bytes"]) / last["unchanged_bytes"], 3),
        "make_resource_us_per_resource": round(build_us, 1),
        "stats": {"fresh": last["fresh"], "unchanged": last["unchanged"], "changed": last["changed_1pct"]},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }, indent=2))


if __name__ == "__main__":
    main()
