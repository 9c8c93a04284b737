"""Benchmark the AWS collector against a seeded moto server (in its own process, so the
collector's peak RSS is measured alone).

Prints JSON: resources/s and API calls, sequential (concurrency=1) vs the default
concurrency in the same run, and the collector process's peak RSS.

    python bench/collect_aws.py --size 2000
    python bench/collect_aws.py --size 10000      # the 300 MB memory target
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from auditor.config.schema import AwsConfig, CollectionConfig  # noqa: E402
from auditor.demo.emulators.aws_seed import EstateSpec, seed_estate  # noqa: E402
from auditor.model import Resource  # noqa: E402
from collectors.aws import AwsClientFactory, classify, plan  # noqa: E402
from collectors.runner import Unit, UnitResult, run_units  # noqa: E402

ACCOUNT = "123456789012"
REGIONS = ("us-east-1", "eu-west-1", "eu-central-1")
RSS_TARGET_MB = 300


class CountingSink:
    """Stands in for the store: counts what streams through and keeps nothing."""

    def __init__(self) -> None:
        self.resources = 0
        self.bytes = 0
        self.units: list[UnitResult] = []

    def write(self, resources: list[Resource], unit: Unit | None = None) -> None:
        self.resources += len(resources)
        self.bytes += sum(len(r.config) + len(r.facets) + len(r.tags) for r in resources)

    def record_unit(self, result: UnitResult) -> None:
        self.units.append(result)


def peak_rss_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    return round(kb / 1024, 1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "MOTO_EC2_LOAD_DEFAULT_AMIS": "false", "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("moto server did not start")


def collect(url: str, concurrency: int, max_attempts: int) -> dict:
    cfg = AwsConfig(credential_source="static-test", endpoint_url=url, regions=list(REGIONS),
                    accounts=[{"id": ACCOUNT}])
    sink = CountingSink()
    t0 = time.perf_counter()
    summary = run_units(plan(cfg, clients=AwsClientFactory(cfg, max_attempts=max_attempts)), sink,
                        classifiers={"aws": classify}, concurrency=concurrency)
    wall = time.perf_counter() - t0
    return {
        "concurrency": concurrency,
        "resources": sink.resources,
        "api_calls": summary.api_calls,
        "wall_s": round(wall, 2),
        "resources_per_s": round(sink.resources / wall, 1) if wall else None,
        "api_calls_per_s": round(summary.api_calls / wall, 1) if wall else None,
        "units": dict(sorted(summary.by_status.items())),
        "stored_json_mb": round(sink.bytes / 2**20, 2),
        "peak_rss_mb_so_far": peak_rss_mb(),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=2000, help="approximate number of seeded resources")
    ap.add_argument("--concurrency", type=int, default=CollectionConfig().concurrency,
                    help="the 'default' run's concurrency (collection.concurrency's default)")
    ap.add_argument("--skip-sequential", action="store_true")
    args = ap.parse_args(argv)

    proc, url = start_moto()
    try:
        t0 = time.perf_counter()
        estate = seed_estate(url, EstateSpec.sized(args.size, accounts=(ACCOUNT,), regions=REGIONS, prefix="bench"))
        seed_s = time.perf_counter() - t0
        rss_after_seed = peak_rss_mb()
        runs = []
        if not args.skip_sequential:
            runs.append(collect(url, 1, max_attempts=1))
        runs.append(collect(url, args.concurrency, max_attempts=1))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    peak = peak_rss_mb()
    out = {
        "estate": {"seeded_resources": len(estate.resources), "regions": list(REGIONS),
                   "seed_s": round(seed_s, 1), "seed_api_calls": estate.calls},
        "runs": runs,
        "speedup": (round(runs[-1]["resources_per_s"] / runs[0]["resources_per_s"], 2)
                    if len(runs) == 2 and runs[0]["resources_per_s"] else None),
        "peak_rss_mb": peak,
        "rss_after_seeding_mb": rss_after_seed,
        "rss_target_mb_for_10000": RSS_TARGET_MB,
        "note": "moto serves every call from one Python process; real AWS latency favours concurrency more.",
    }
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
