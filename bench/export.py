"""Export benchmark: time and peak RSS of writing every export format for one snapshot.

    python bench/export.py --resources 100000

Builds a snapshot with the ingest benchmark's synthetic estate (setup, not measured), then
exports json, csv, ocsf, sarif and html in a child process so its peak RSS is the export's
alone. Prints JSON. The inventory is streamed from the database, so memory should not
follow the estate's size.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def child(db: str, out: str) -> None:
    from auditor.exports.bundle import export_snapshot
    from auditor.store.engine import make_engine
    from auditor.store.read import latest_snapshot_id

    engine = make_engine(f"sqlite:///{db}")
    t0 = time.perf_counter()
    result = export_snapshot(engine, latest_snapshot_id(engine), out, ["json", "csv", "ocsf", "sarif", "html"])
    print(json.dumps({
        "export_s": round(time.perf_counter() - t0, 3),
        "files": len(result.files),
        "bytes": sum((Path(out) / f).stat().st_size for f in result.files),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--resources", type=int, nargs="+", default=[20_000, 100_000])
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    import ingest  # the ingest benchmark's synthetic estate

    from auditor.store import migrate
    from auditor.store.engine import make_engine

    for n in args.resources:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "inv.db"
            engine = make_engine(f"sqlite:///{db}")
            migrate.upgrade(engine)
            ingest.ingest(engine, n, 500, set())
            engine.dispose()
            out = subprocess.run([sys.executable, __file__, "--child", str(db), str(Path(tmp) / "out")],
                                 capture_output=True, text=True, check=True)
            print(json.dumps({"resources": n, **json.loads(out.stdout)}))


if __name__ == "__main__":
    main()
