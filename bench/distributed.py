"""Collection throughput with real-API-like latency: in process (concurrency 8/32/64) against
1, 2 and 4 `auditor worker` processes on Celery, in one run, against the same delaying fake.

The fake is bench/latency.py's proxy (moto behind a 50-150 ms delay per call, replayed so moto
is not the bottleneck) for many accounts x regions. Every variant writes into a fresh
PostgreSQL inventory through the product's own path (`run_collection`), so the figures include
the store. CPU is measured per process (coordinator, workers; PostgreSQL and the broker are
not counted) to show where CPU binds on this machine.

    python bench/distributed.py --accounts 3 --broker amqp://guest:guest@127.0.0.1:5672// \\
        --db postgresql://postgres@127.0.0.1:5432/test --workers 1 2 4 --worker-concurrency 16
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from collect_aws import free_port, start_moto  # noqa: E402
from latency import PRIMARY, REGIONS  # noqa: E402


def config(url: str, db: str, accounts: int, broker: str | None, concurrency: int) -> dict:
    ids = [PRIMARY] + [f"{300000000000 + i:012d}" for i in range(1, accounts)]
    cfg: dict = {
        "database": {"url": db},
        "collection": {"progress": False, "concurrency": concurrency},
        "aws": {"credential_source": "static-test", "endpoint_url": url, "regions": list(REGIONS),
                "accounts": [{"id": a} if a == PRIMARY else {"id": a, "role_name": "PostureAuditor"} for a in ids]},
    }
    if broker:
        cfg["distributed"] = {"broker_url": broker, "queue": f"auditor.bench.{uuid.uuid4().hex[:8]}",
                              "concurrency": concurrency, "result_timeout_s": 300}
    return cfg


def new_db(admin: str) -> str:
    import psycopg
    from sqlalchemy.engine import make_url

    from auditor.store import migrate
    from auditor.store.engine import make_engine

    u = make_url(admin)
    name = f"auditor_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(host=u.host, port=u.port or 5432, user=u.username, dbname=u.database, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    url = u.set(database=name, drivername="postgresql+psycopg").render_as_string(hide_password=False)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


def drop_db(admin: str, url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(admin)
    with psycopg.connect(host=u.host, port=u.port or 5432, user=u.username, dbname=u.database, autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def collect_once(cfg_path: Path) -> dict:
    """One collection in this process (the coordinator when the config names a broker)."""
    import resource

    import yaml

    from auditor.collect import run_collection
    from auditor.config.loader import load_config
    from auditor.store.engine import make_engine

    cfg, _ = load_config(cfg_path)
    engine = make_engine(yaml.safe_load(cfg_path.read_text())["database"]["url"])
    cpu0, t0 = time.process_time(), time.perf_counter()
    result = run_collection(cfg, engine)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    engine.dispose()
    s = result.summary
    resources = sum(s.resources_by_type.values())
    longest = max(s.units, key=lambda u: u.duration_s)
    return {"status": result.status, "units": len(s.units), "by_status": dict(sorted(s.by_status.items())),
            "resources": resources, "wall_s": round(wall, 2), "units_per_s": round(len(s.units) / wall, 1),
            "resources_per_s": round(resources / wall, 1), "this_process_cpu_s": round(cpu, 2),
            # A unit's calls are sequential: no concurrency beats the longest unit, and the sum of unit
            # times over the slots is the other bound. Which one is near wall_s says what binds.
            "longest_unit_s": round(longest.duration_s, 2), "longest_unit": str(longest.unit),
            "sum_unit_s": round(sum(u.duration_s for u in s.units), 1),
            "this_process_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def run_child(cfg_path: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", str(cfg_path)], check=True, capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return json.loads(out.stdout.strip().splitlines()[-1])


def start_workers(cfg_path: Path, n: int, concurrency: int, logdir: Path) -> list[subprocess.Popen]:
    procs = []
    for i in range(n):
        log = open(logdir / f"worker{i}.log", "wb")
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "auditor", "--config", str(cfg_path), "worker", "-n", str(concurrency),
             "--name", f"bench{i}-{uuid.uuid4().hex[:6]}"],
            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=log, stderr=subprocess.STDOUT))
    deadline = time.monotonic() + 120
    for i in range(n):
        while b"ready." not in (logdir / f"worker{i}.log").read_bytes():
            if time.monotonic() > deadline or procs[i].poll() is not None:
                raise RuntimeError(f"worker {i} did not start: {(logdir / f'worker{i}.log').read_text()[-2000:]}")
            time.sleep(0.2)
    return procs


def drop_queue(broker: str, queue: str) -> None:
    from kombu import Connection

    with Connection(broker, connect_timeout=3) as conn:
        conn.default_channel.queue_delete(queue)
        if conn.transport_cls in ("amqp", "pyamqp"):
            conn.default_channel.exchange_delete(queue)


def cpu_s(pid: int) -> float:
    import psutil

    t = psutil.Process(pid).cpu_times()
    return t.user + t.system


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=3)
    ap.add_argument("--concurrency", type=int, nargs="+", default=[8, 32, 64], help="in-process runs")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4], help="Celery worker processes")
    ap.add_argument("--worker-concurrency", type=int, default=16, help="units at a time per worker")
    ap.add_argument("--broker", default="amqp://guest:guest@127.0.0.1:5672//")
    ap.add_argument("--db", default="postgresql://postgres@127.0.0.1:5432/test", help="admin URL; a fresh database per run")
    ap.add_argument("--delay-ms", type=float, nargs=2, default=[50.0, 150.0], metavar=("LOW", "HIGH"))
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(collect_once(Path(args.child))))
        return 0

    import tempfile

    import yaml

    from auditor.demo.emulators.aws_seed import EstateSpec, seed_estate

    tmp = Path(tempfile.mkdtemp(prefix="auditor-bench-"))
    moto, moto_url = start_moto()
    port = free_port()
    proxy = subprocess.Popen([sys.executable, str(Path(__file__).parent / "latency.py"), "--proxy",
                              f"{moto_url} {port}", "--delay-ms", *map(str, args.delay_ms)])
    url = f"http://127.0.0.1:{port}"
    runs: list[dict] = []
    try:
        seed_estate(moto_url, EstateSpec(accounts=(PRIMARY,), regions=REGIONS, prefix="lat"))
        variants = [("in-process", c, 0) for c in args.concurrency] + [("celery", args.worker_concurrency, n)
                                                                         for n in args.workers]
        warm = True
        for kind, conc, n in variants:
            db = new_db(args.db)
            cfg_path = tmp / f"{kind}-{conc}-{n}.yaml"
            cfg_path.write_text(yaml.safe_dump(config(url, db, args.accounts, args.broker if n else None, conc)))
            try:
                if warm:  # fill the proxy's replay cache so every measured run sees latency only
                    run_child(cfg_path)
                    drop_db(args.db, db)
                    db = new_db(args.db)
                    cfg_path.write_text(yaml.safe_dump(config(url, db, args.accounts, None, conc)))
                    warm = False
                procs = start_workers(cfg_path, n, conc, tmp) if n else []
                try:
                    before = [cpu_s(p.pid) for p in procs]
                    r = run_child(cfg_path)
                    workers_cpu = sum(cpu_s(p.pid) for p in procs) - sum(before)
                finally:
                    for p in procs:
                        p.terminate()
                    for p in procs:
                        p.wait(30)
                    if n:
                        drop_queue(args.broker, yaml.safe_load(cfg_path.read_text())["distributed"]["queue"])
                r.update({"kind": kind, "workers": n, "concurrency_each": conc, "accounts": args.accounts,
                          "regions": len(REGIONS)})
                if n:
                    r["workers_cpu_s"] = round(workers_cpu, 2)
                r["cpu_share_of_wall"] = round((r["this_process_cpu_s"] + r.get("workers_cpu_s", 0)) / r["wall_s"], 2)
                runs.append(r)
                print(json.dumps(r), file=sys.stderr)
            finally:
                drop_db(args.db, db)
    finally:
        proxy.kill()
        proxy.wait()
        moto.terminate()
        moto.wait(timeout=30)
    print(json.dumps({"delay_ms": args.delay_ms, "cores": os.cpu_count(), "load_avg_1m": os.getloadavg()[0],
                      "runs": runs,
                      "note": "cpu_share_of_wall is CPU seconds of the coordinator plus workers per wall second; "
                              f"near {os.cpu_count()} the collector binds on CPU, well below it on latency "
                              "(PostgreSQL and the broker not counted)."}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
