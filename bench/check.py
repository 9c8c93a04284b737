"""Check and export benchmark: time and peak RSS of a check (every rule, findings stored)
and of an export of every format, on an estate with realistic findings.

    python bench/check.py --resources 100000 200000 1000000 [--db postgresql://...] [--no-export] [--identity]

The estate repeats the rules wing's own examples (tests/rules/examples*.py: for every rule an
estate where it FAILs and its safe twin where it PASSes), each copy under its own key, two
resources per collection unit. So every rule meets resources it judges, about half failing,
and identity rules see a trust graph that grows with the estate. Seeding is setup (not
measured); the check runs in a child process so its peak RSS is the check's alone, then the
export (json, csv, ocsf, sarif, html of that snapshot and its stored findings and trust edges)
runs in another. ``--identity`` also runs ``auditor identity --format json`` (the trust-graph
command: the graph built, stored and printed, to /dev/null) in a third child. Prints one JSON
line per size.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def templates() -> list:  # type: ignore[type-arg]
    """Every example resource of every rule, once."""
    from tests.rules.examples import EXAMPLES

    seen: dict[str, object] = {}
    for rule_id in sorted(EXAMPLES):
        for estate in EXAMPLES[rule_id][:2]:
            for r in estate():
                seen.setdefault(r.resource_key, r)
    return list(seen.values())


def copy_of(tpl, i: int):  # type: ignore[no-untyped-def]
    """The i-th copy: its own key, same content (so the same verdicts)."""
    return replace(tpl, resource_key=f"{tpl.resource_key}#{i}", native_id=f"{tpl.native_id}#{i}")


def seed(engine, n: int) -> int:  # type: ignore[no-untyped-def]
    from datetime import datetime, timezone

    from auditor.model import UnitStatus
    from auditor.store.ingest import SnapshotWriter
    from collectors.runner import Unit, UnitResult

    tpls = templates()
    now = datetime.now(timezone.utc)
    with SnapshotWriter(engine) as w:
        for u in range(0, n, 2):
            batch = [copy_of(tpls[i % len(tpls)], i) for i in range(u, min(u + 2, n))]
            unit = Unit(batch[0].provider, batch[0].account, f"r{u // 2}", batch[0].type)
            w.write(batch, unit)
            w.record_unit(UnitResult(unit, UnitStatus.OK, None, len(batch), 1, now, 0.0))
        w.finish()
    return w.snapshot_id


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def child(url: str, sid: int) -> None:
    from auditor.rules import engine as rules_engine
    from auditor.store.engine import make_engine
    from tests.rules.examples import CONFIG

    engine = make_engine(url)
    t0 = time.perf_counter()
    if hasattr(rules_engine, "check_snapshot"):  # the streamed check (what the CLI and audit run)
        by = rules_engine.check_snapshot(engine, CONFIG, sid).counts.by_status
    else:  # before it existed: every finding held
        by = {}
        for f in rules_engine.run_checks(engine, CONFIG, sid):
            by[f.status] = by.get(f.status, 0) + 1
    spent = time.perf_counter() - t0
    print(json.dumps({"check_s": round(spent, 2), "findings": sum(by.values()), "by_status": dict(sorted(by.items())),
                      "check_peak_rss_mb": peak_mb()}))


def identity_child(url: str, sid: int) -> None:
    """``auditor identity`` as a user runs it (its output to /dev/null): time and peak RSS."""
    from auditor.cli.main import run

    t0 = time.perf_counter()
    saved = os.dup(1)
    with open(os.devnull, "wb") as null:
        os.dup2(null.fileno(), 1)
        try:
            run(["--db", url, "identity", "--snapshot", str(sid), "--format", "json"])
        except SystemExit as exc:
            if exc.code not in (0, None):
                raise
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
    print(json.dumps({"identity_s": round(time.perf_counter() - t0, 2), "identity_peak_rss_mb": peak_mb()}))


def export_child(url: str, sid: int, out: str) -> None:
    from auditor.exports.bundle import export_snapshot
    from auditor.store.engine import make_engine

    engine = make_engine(url)
    t0 = time.perf_counter()
    result = export_snapshot(engine, sid, out, ["json", "csv", "ocsf", "sarif", "html"])
    sizes = {f: (Path(out) / f).stat().st_size for f in result.files}
    print(json.dumps({"export_s": round(time.perf_counter() - t0, 2), "export_mb": round(sum(sizes.values()) / 2**20, 1),
                      "report_html_mb": round(sizes.get("report.html", 0) / 2**20, 2), "export_peak_rss_mb": peak_mb()}))


def scratch_pg(url: str):  # type: ignore[no-untyped-def]
    """A scratch database on the server at ``url`` (created here, dropped by the caller)."""
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"auditor_bench_check_{os.getpid()}"
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {name}")
        c.execute(f"CREATE DATABASE {name}")

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    return base.set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--resources", type=int, nargs="+", default=[20_000, 100_000])
    ap.add_argument("--db", default=None, help="a postgresql:// URL (a scratch database); default SQLite")
    ap.add_argument("--no-export", action="store_true", help="measure the check only")
    ap.add_argument("--identity", action="store_true", help="also measure `auditor identity` (json to /dev/null)")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--identity-child", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--export-child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    if args.identity_child:
        identity_child(args.identity_child[0], int(args.identity_child[1]))
        return
    if args.export_child:
        export_child(args.export_child[0], int(args.export_child[1]), args.export_child[2])
        return
    from auditor.store import migrate
    from auditor.store.engine import make_engine

    for n in args.resources:
        with tempfile.TemporaryDirectory() as tmp:
            url, drop = scratch_pg(args.db) if args.db else (f"sqlite:///{Path(tmp) / 'inv.db'}", lambda: None)
            try:
                engine = make_engine(url)
                migrate.upgrade(engine)
                t0 = time.perf_counter()
                sid = seed(engine, n)
                seed_s = time.perf_counter() - t0
                engine.dispose()
                row = {"database": "postgresql" if args.db else "sqlite", "resources": n, "seed_s": round(seed_s, 2)}
                out = subprocess.run([sys.executable, __file__, "--child", url, str(sid)],
                                     capture_output=True, text=True, check=True)
                row.update(json.loads(out.stdout.strip().splitlines()[-1]))
                if args.identity:
                    out = subprocess.run([sys.executable, __file__, "--identity-child", url, str(sid)],
                                         capture_output=True, text=True, check=True)
                    row.update(json.loads(out.stdout.strip().splitlines()[-1]))
                if not args.no_export:
                    out = subprocess.run([sys.executable, __file__, "--export-child", url, str(sid),
                                          str(Path(tmp) / "export")], capture_output=True, text=True, check=True)
                    row.update(json.loads(out.stdout.strip().splitlines()[-1]))
            finally:
                drop()
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
