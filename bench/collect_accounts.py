"""Benchmark the AWS collector's peak memory against the number of accounts.

A moto server (its own process) is seeded with N small accounts; the primary is read with the
base credentials, every other account through the seeded auditor role (one assumed-role
session each, as in production). Each collection runs in a fresh child process so its peak
RSS is measured alone. Prints JSON with peak RSS per account count and the ratio to one account.

    python bench/collect_accounts.py                 # 1, 10 and 40 accounts
    python bench/collect_accounts.py --accounts 1 5
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from collect_aws import CountingSink, start_moto  # noqa: E402


def peak_rss_mb() -> float:
    """This process's high-water RSS (VmHWM resets at exec; ru_maxrss would carry the parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError("no VmHWM in /proc/self/status")

PRIMARY = "123456789012"
REGIONS = ("us-east-1",)
ROLE = "PostureAuditor"
GOAL_RATIO = 1.2


def account_ids(n: int) -> tuple[str, ...]:
    return (PRIMARY,) + tuple(f"{200000000000 + i:012d}" for i in range(1, n))


def seed(url: str, n: int) -> int:
    from auditor.demo.emulators.aws_seed import EstateSpec, seed_estate

    # Small accounts: what is measured is the per-account cost of sessions and clients.
    spec = EstateSpec(accounts=account_ids(n), regions=REGIONS, vpcs=1, subnets_per_vpc=1,
                      security_groups=1, instances=1, extra_volumes=0, images=0, users=1, groups=0,
                      roles=0, policies=0, second_account_scale=1.0, public_datasets_bucket=False,
                      eu_to_us_replication=False, prefix="acct")
    return len(seed_estate(url, spec).resources)


def child(url: str, n: int, concurrency: int) -> dict:
    """One collection of the first ``n`` accounts, in this (fresh) process."""
    from auditor.config.schema import AwsConfig
    from collectors.aws import AwsClientFactory, classify, plan
    from collectors.runner import run_units

    accts = [{"id": a} if a == PRIMARY else {"id": a, "role_name": ROLE} for a in account_ids(n)]
    cfg = AwsConfig(credential_source="static-test", endpoint_url=url, regions=list(REGIONS), accounts=accts)
    sink = CountingSink()
    t0 = time.perf_counter()
    factory = AwsClientFactory(cfg, max_attempts=1)
    summary = run_units(plan(cfg, clients=factory), sink, classifiers={"aws": classify}, concurrency=concurrency)
    return {"accounts": n, "resources": sink.resources, "units": dict(sorted(summary.by_status.items())),
            "api_calls": summary.api_calls, "wall_s": round(time.perf_counter() - t0, 2),
            "sessions_held_at_end": factory.open_sessions(), "peak_rss_mb": peak_rss_mb(),
            "first_errors": sorted({u.error or "" for u in summary.units if u.error})[:3]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, nargs="+", default=[1, 10, 40])
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--child", help=argparse.SUPPRESS)  # "<url> <n>": run one collection and print it
    ap.add_argument("--seed", help=argparse.SUPPRESS)  # "<url> <n>": seed in a child (keeps this process small)
    args = ap.parse_args(argv)
    if args.seed:
        url, n = args.seed.split()
        print(seed(url, int(n)))
        return 0
    if args.child:
        url, n = args.child.split()
        print(json.dumps(child(url, int(n), args.concurrency)))
        return 0

    proc, url = start_moto()
    try:
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, __file__, "--seed", f"{url} {max(args.accounts)}"],
                             check=True, capture_output=True, text=True)
        seeded = int(out.stdout.strip().splitlines()[-1])
        seed_s = time.perf_counter() - t0
        # Warm moto (its first IAM/STS calls load data and can exceed a client timeout); discarded.
        subprocess.run([sys.executable, __file__, "--child", f"{url} 1"], check=True, capture_output=True)
        runs = []
        for n in args.accounts:
            out = subprocess.run([sys.executable, __file__, "--child", f"{url} {n}",
                                  "--concurrency", str(args.concurrency)],
                                 check=True, capture_output=True, text=True)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    base = runs[0]["peak_rss_mb"]
    for r in runs:
        r["rss_ratio_vs_first"] = round(r["peak_rss_mb"] / base, 2)
    print(json.dumps({"seeded_resources": seeded, "seed_s": round(seed_s, 1), "regions": list(REGIONS),
                      "concurrency": args.concurrency, "runs": runs,
                      "goal": f"peak RSS at {max(args.accounts)} accounts <= {GOAL_RATIO}x of {args.accounts[0]}",
                      "met": runs[-1]["rss_ratio_vs_first"] <= GOAL_RATIO}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
