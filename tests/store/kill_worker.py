"""Run as a subprocess by test_store_kill: ingest forever until SIGKILLed."""

from __future__ import annotations

import sys
import time

from auditor.store.engine import make_engine
from auditor.store.ingest import SnapshotWriter
from tests.store.helpers import BUCKETS, bucket


def main(url: str, ready_file: str) -> None:
    engine = make_engine(url)
    w = SnapshotWriter(engine)
    i = 0
    while True:
        # changed content for existing keys plus new keys, batch after batch
        w.write([bucket(n, version=1, public=True) for n in range(i, i + 50)], BUCKETS)
        i += 50
        if i == 500:
            open(ready_file, "w").write(str(w.snapshot_id))
        time.sleep(0.01)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
