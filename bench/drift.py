"""Drift benchmark: N vs N resources, 1% modified, 0.1% added, 0.1% removed, on SQLite.

    python bench/drift.py [N ...]        (default: 100000 1000000)

Setup (not measured): a fresh SQLite inventory is migrated, then two snapshots are
bulk-inserted straight into ``snapshots``/``unit_versions``/``resource_versions`` with
sqlite3 ``executemany`` (the SnapshotWriter would take minutes at this size and is not what
is being measured), and snapshot 1 is approved as a baseline with ``baselines.approve``.

Measured: ``compute_drift`` against that baseline for snapshot 2, in a fresh child process
so its peak RSS is the drift engine's alone. Prints one JSON object per size; exits 1 when
a target is missed (<= 10 s and <= 1 GB peak RSS at 1,000,000).
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_SECONDS, TARGET_RSS_MB = 10.0, 1024.0
UNITS = 500  # accounts x regions x types the estate is spread over
TYPES = ("aws.s3.bucket", "aws.ec2.security_group", "aws.iam.role", "aws.ec2.instance")
CATEGORY = {"aws.s3.bucket": "storage", "aws.ec2.security_group": "network", "aws.iam.role": "iam",
            "aws.ec2.instance": "compute"}


def _unit(i: int) -> tuple[str, str, str, str]:
    u = i % UNITS
    return "aws", f"{100000000000 + u // 20:012d}", f"region-{(u // 4) % 5}", TYPES[u % 4]


def _row(i: int, sid: int, variant: int = 0) -> tuple:
    provider, account, region, rtype = _unit(i)
    native = f"arn:aws:{rtype}:{region}:{account}:res-{i:08d}"
    public = variant == 1 and i % 10 == 0
    config = json.dumps({"Id": f"res-{i:08d}", "Size": i % 97, "Versioning": "Enabled" if variant == 0 else "Suspended",
                         "Policy": {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]}},
                        sort_keys=True, separators=(",", ":"))
    tags = json.dumps({"Owner": "team-%d" % (i % 13), "Env": "prod"}, sort_keys=True, separators=(",", ":"))
    facets = json.dumps({"public": public, "encrypted": True}, sort_keys=True, separators=(",", ":"))
    h = hashlib.sha256(f"{config}{tags}{facets}".encode()).hexdigest()
    return (f"{rtype}|{native}", "|".join((provider, account, region, rtype)), provider, account, region, "US",
            CATEGORY[rtype], rtype, native, f"res-{i:08d}", tags, config, facets, h, sid)


def seed(db: Path, n: int) -> dict[str, float]:
    from auditor.drift import baselines
    from auditor.store import migrate
    from auditor.store.engine import make_engine

    t0 = time.perf_counter()
    engine = make_engine(f"sqlite:///{db}")
    migrate.upgrade(engine)
    engine.dispose()
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    now = datetime.now(timezone.utc).isoformat()
    for sid in (1, 2):
        con.execute("INSERT INTO snapshots (id, status, started_at, finished_at, tool_version, host, pid, heartbeat_at) "
                    "VALUES (?, 'complete', ?, ?, 'bench', 'bench', 0, ?)", (sid, now, now, now))
    con.executemany("INSERT INTO unit_versions (unit_key, provider, account, region, resource_type, status, valid_from) "
                    "VALUES (?, ?, ?, ?, ?, 'ok', 1)", [("|".join(_unit(u)), *_unit(u)) for u in range(UNITS)])
    cols = ("resource_key, unit_key, provider, account, region, location, category, type, native_id, name, tags, "
            "config, facets, content_hash, valid_from")
    insert = f"INSERT INTO resource_versions ({cols}) VALUES ({', '.join('?' * 15)})"
    modified = set(range(0, n, 100))  # 1%
    removed = set(range(7, n, 1000))  # 0.1%
    chunk: list[tuple] = []
    for i in range(n):
        chunk.append(_row(i, 1))
        if len(chunk) >= 50_000:
            con.executemany(insert, chunk)
            chunk.clear()
    con.executemany(insert, chunk)
    chunk.clear()
    closing = sorted(modified | removed)
    con.executemany("UPDATE resource_versions SET valid_to = 2 WHERE id = ?", [(i + 1,) for i in closing])
    con.executemany(insert, [_row(i, 2, variant=1) for i in sorted(modified)])
    con.executemany(insert, [_row(n + i, 2) for i in range(len(removed))])  # 0.1% added
    con.commit()
    con.close()
    t1 = time.perf_counter()
    engine = make_engine(f"sqlite:///{db}")
    baselines.approve(engine, name="bench", reason="benchmark baseline", by="bench", snapshot_id=1)
    engine.dispose()
    t2 = time.perf_counter()
    return {"seed_s": round(t1 - t0, 2), "approve_s": round(t2 - t1, 2),
            "expect": {"modified": len(modified), "removed": len(removed), "added": len(removed)}}


def measure(db: Path) -> dict[str, object]:
    """Runs in the child process: one compute_drift, its wall time and this process's peak RSS."""
    from auditor.drift.engine import compute_drift
    from auditor.store.engine import make_engine

    engine = make_engine(f"sqlite:///{db}")
    t0 = time.perf_counter()
    report = compute_drift(engine, baseline="bench", snapshot_id=2)
    seconds = time.perf_counter() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"drift_s": round(seconds, 2), "peak_rss_mb": round(rss_mb, 1), "counts": report.counts(),
            "compared": report.compared, "max_severity": report.max_severity()}


def run(n: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="drift-bench-") as tmp:
        db = Path(tmp) / "bench.db"
        setup = seed(db, n)
        out = subprocess.run([sys.executable, __file__, "--measure", str(db)], check=True, capture_output=True,
                             text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        figures = json.loads(out.stdout)
        size_mb = round(db.stat().st_size / 2**20, 1)
    expect = setup.pop("expect")
    ok = figures["counts"] == {**expect, "unknown": 0}
    within = True if n < 1_000_000 else (figures["drift_s"] <= TARGET_SECONDS and figures["peak_rss_mb"] <= TARGET_RSS_MB)
    return {"resources": n, **figures, **setup, "db_mb": size_mb, "counts_ok": ok,
            "targets": {"seconds": TARGET_SECONDS, "rss_mb": TARGET_RSS_MB}, "within_targets": within}


def main(argv: list[str]) -> int:
    if argv[:1] == ["--measure"]:
        print(json.dumps(measure(Path(argv[1]))))
        return 0
    sizes = [int(a.replace("_", "")) for a in argv] or [100_000, 1_000_000]
    failed = False
    for n in sizes:
        result = run(n)
        print(json.dumps(result), flush=True)
        failed |= not (result["counts_ok"] and result["within_targets"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
