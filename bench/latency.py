"""Benchmark the AWS collector against real-API-like latency: a loopback proxy in front of a
seeded moto server answers every call after a random 50-150 ms delay, for many accounts x regions.

The proxy (its own process) asks moto once per distinct request (method, path, body, region,
service) as the primary account and then replays the answer, so moto is not the bottleneck and
every account sees a full estate; the collector only pays the latency, as against AWS. Each
concurrency runs in a fresh child process. Prints JSON: units/s, resources/s, API calls/s and
CPU seconds per concurrency, with ratios to concurrency 8.

    python bench/latency.py --accounts 10 --concurrency 8 32 64
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import re
import resource
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from collect_aws import CountingSink, free_port, start_moto  # noqa: E402

PRIMARY = "123456789012"
REGIONS = ("us-east-1", "eu-west-1", "eu-central-1")
SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/")


def serve_proxy(upstream: str, port: int, low_ms: float, high_ms: float) -> None:
    """A delaying, replaying proxy (runs until killed)."""
    up = urlparse(upstream)
    cache: dict[tuple, tuple[int, list[tuple[str, str]], bytes]] = {}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: object) -> None:
            pass

        def _any(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            scope = SCOPE.search(self.headers.get("Authorization") or "")
            region, service = scope.groups() if scope else ("", "")
            key = (self.command, self.path, body, region, service)
            with lock:
                hit = cache.get(key)
            if hit is None:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                if service != "sts":  # every account reads the primary's estate
                    headers["x-moto-account-id"] = PRIMARY
                conn = http.client.HTTPConnection(up.hostname, up.port, timeout=60)
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                hit = (resp.status, [(k, v) for k, v in resp.getheaders()
                                     if k.lower() not in ("content-length", "transfer-encoding", "connection")],
                       resp.read())
                conn.close()
                with lock:
                    cache[key] = hit
            time.sleep(random.uniform(low_ms, high_ms) / 1000)
            status, headers, data = hit
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _any

    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def child(url: str, accounts: int, concurrency: int) -> dict:
    from auditor.config.schema import AwsConfig
    from collectors.aws import AwsClientFactory, classify, plan
    from collectors.runner import run_units

    ids = [PRIMARY] + [f"{300000000000 + i:012d}" for i in range(1, accounts)]
    accts = [{"id": a} if a == PRIMARY else {"id": a, "role_name": "PostureAuditor"} for a in ids]
    cfg = AwsConfig(credential_source="static-test", endpoint_url=url, regions=list(REGIONS), accounts=accts)
    sink = CountingSink()
    cpu0, t0 = time.process_time(), time.perf_counter()
    summary = run_units(plan(cfg, clients=AwsClientFactory(cfg, max_attempts=2)), sink,
                        classifiers={"aws": classify}, concurrency=concurrency)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    units = len(summary.units)
    return {"concurrency": concurrency, "accounts": accounts, "regions": len(REGIONS), "units": units,
            "by_status": dict(sorted(summary.by_status.items())), "resources": sink.resources,
            "api_calls": summary.api_calls, "wall_s": round(wall, 2),
            "units_per_s": round(units / wall, 1), "resources_per_s": round(sink.resources / wall, 1),
            "api_calls_per_s": round(summary.api_calls / wall, 1),
            "collector_cpu_s": round(cpu, 2), "collector_cpu_share_of_wall": round(cpu / wall, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=10)
    ap.add_argument("--concurrency", type=int, nargs="+", default=[8, 32, 64])
    ap.add_argument("--delay-ms", type=float, nargs=2, default=[50.0, 150.0], metavar=("LOW", "HIGH"))
    ap.add_argument("--proxy", help=argparse.SUPPRESS)  # "<upstream> <port>"
    ap.add_argument("--child", help=argparse.SUPPRESS)  # "<url> <concurrency>"
    args = ap.parse_args(argv)
    if args.proxy:
        upstream, port = args.proxy.split()
        serve_proxy(upstream, int(port), *args.delay_ms)
        return 0
    if args.child:
        url, c = args.child.split()
        print(json.dumps(child(url, args.accounts, int(c))))
        return 0

    from auditor.demo.emulators.aws_seed import EstateSpec, seed_estate

    moto, moto_url = start_moto()
    port = free_port()
    proxy = subprocess.Popen([sys.executable, __file__, "--proxy", f"{moto_url} {port}",
                              "--delay-ms", *map(str, args.delay_ms)])
    try:
        seed_estate(moto_url, EstateSpec(accounts=(PRIMARY,), regions=REGIONS, prefix="lat"))
        url = f"http://127.0.0.1:{port}"
        # Warm the proxy's replay cache so every measured run sees the same latency-only server.
        subprocess.run([sys.executable, __file__, "--child", f"{url} 64", "--accounts", str(args.accounts)],
                       check=True, capture_output=True)
        runs = []
        for c in args.concurrency:
            out = subprocess.run([sys.executable, __file__, "--child", f"{url} {c}", "--accounts", str(args.accounts)],
                                 check=True, capture_output=True, text=True)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    finally:
        proxy.kill()
        proxy.wait()
        moto.terminate()
        moto.wait(timeout=30)
    ref = runs[0]
    for r in runs:
        r["speedup_vs_first"] = round(r["units_per_s"] / ref["units_per_s"], 2)
    print(json.dumps({"delay_ms": args.delay_ms, "runs": runs,
                      "note": "collector_cpu_share_of_wall near 1.0 (one core: the GIL) means the "
                              "collector is CPU-bound; well below it, latency-bound."}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
