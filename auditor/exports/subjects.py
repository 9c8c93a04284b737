"""Per-control subject lists of one export, kept on disk rather than in memory.

The framework view lists every resource of every control (frameworks.csv/json/ocsf, SARIF
taxa) and the compliance view counts them; at a million resources those lists are far
larger than the rest of the export's working set. One streamed pass over the findings fills
a private temporary SQLite database (deleted when closed; pages beyond a small cache go to
disk): per (framework, control) and per (rule, provider) each subject's loudest status. The
views then read counts with SQL and stream each list in subject order when a file is written.

Semantics are those of ``framework_view`` and ``compliance_view`` (which stay the in-memory
reference): SQLite's BINARY collation orders UTF-8 text by code point, as Python's ``sorted``.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Iterable, Iterator, Mapping, Sequence

from auditor.exports.framework_view import ControlStatus, control_sort_key, in_scope, status_of, subject_of
from auditor.rules.verdict import STATUS_WEIGHT

_STATUS_OF_RANK = {rank: status for status, rank in STATUS_WEIGHT.items()}
_BATCH = 20_000
_CACHE_KB = 32 * 1024  # SQLite page cache of the temporary database


class StoredSubjects:
    """One control's subjects of one status: iterated in order from the index, never held."""

    def __init__(self, index: "SubjectIndex", cid: int, rank: int, count: int) -> None:
        self._index, self._cid, self._rank, self._count = index, cid, rank, count

    def __iter__(self) -> Iterator[str]:
        return self._index.iter_control(self._cid, self._rank)

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0


class SubjectIndex:
    """Built from the findings in one pass; see the module docstring."""

    def __init__(self, findings: Iterable[Mapping[str, Any]]) -> None:
        self._db = sqlite3.connect("", check_same_thread=False)  # "" = private on-disk temporary database
        self._db.execute(f"PRAGMA cache_size=-{_CACHE_KB}")
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("CREATE TABLE fw (cid INTEGER, subject TEXT, rank INTEGER, PRIMARY KEY (cid, subject)) "
                         "WITHOUT ROWID")
        self._db.execute("CREATE TABLE cr (rule TEXT, provider TEXT, subject TEXT, rank INTEGER, "
                         "PRIMARY KEY (rule, provider, subject)) WITHOUT ROWID")
        # FAIL findings per (rule, resource key or ""): the trend against the previous audit
        # and where residency violations live are joins against these, not in-memory sets.
        self._db.execute("CREATE TABLE nf (rule TEXT, key TEXT, n INTEGER, PRIMARY KEY (rule, key)) WITHOUT ROWID")
        self.controls: dict[tuple[str, str], int] = {}
        self.rules: dict[int, set[str]] = {}
        self._rules_by_prefix: dict[str, tuple[str, ...]] = {}
        self._fill(findings)
        self._tallies: dict[tuple[frozenset[str], str | None], tuple[tuple[str, ...], tuple[str, ...], int, int, int]] = {}

    def _fill(self, findings: Iterable[Mapping[str, Any]]) -> None:
        fw_rows: list[tuple[int, str, int]] = []
        cr_rows: list[tuple[str, str, str, int]] = []
        fw_sql = ("INSERT INTO fw VALUES (?, ?, ?) ON CONFLICT (cid, subject) "
                  "DO UPDATE SET rank = max(rank, excluded.rank)")
        cr_sql = ("INSERT INTO cr VALUES (?, ?, ?, ?) ON CONFLICT (rule, provider, subject) "
                  "DO UPDATE SET rank = max(rank, excluded.rank)")
        nf_rows: list[tuple[str, str]] = []
        nf_sql = "INSERT INTO nf VALUES (?, ?, 1) ON CONFLICT (rule, key) DO UPDATE SET n = n + 1"
        controls, rules = self.controls, self.rules
        for f in findings:
            subject, rank = subject_of(f), STATUS_WEIGHT[status_of(f)]  # type: ignore[arg-type]
            rule_id = f.get("rule_id")
            cr_rows.append((rule_id, f.get("provider") or "", subject, rank))  # type: ignore[arg-type]
            if f.get("status") == "FAIL":
                nf_rows.append((rule_id, f.get("resource_key") or ""))  # type: ignore[arg-type]
            for framework, ids in (f.get("frameworks") or {}).items():
                if not in_scope(str(framework), f):  # type: ignore[arg-type]
                    continue
                for control in ids:
                    key = (str(framework), str(control))
                    cid = controls.get(key)
                    if cid is None:
                        cid = controls[key] = len(controls)
                        rules[cid] = set()
                    rules[cid].add(rule_id)  # type: ignore[arg-type]
                    fw_rows.append((cid, subject, rank))
            if len(fw_rows) >= _BATCH or len(cr_rows) >= _BATCH:
                self._db.executemany(fw_sql, fw_rows)
                self._db.executemany(cr_sql, cr_rows)
                self._db.executemany(nf_sql, nf_rows)
                fw_rows.clear()
                cr_rows.clear()
                nf_rows.clear()
        self._db.executemany(fw_sql, fw_rows)
        self._db.executemany(cr_sql, cr_rows)
        self._db.executemany(nf_sql, nf_rows)
        self._db.commit()

    def _load(self, table: str, columns: str, rows: Iterable[tuple[Any, ...]], verb: str = "INSERT") -> None:
        marks = ",".join("?" * len(columns.split(",")))
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= _BATCH:
                self._db.executemany(f"{verb} INTO {table} ({columns}) VALUES ({marks})", batch)
                batch.clear()
        self._db.executemany(f"{verb} INTO {table} ({columns}) VALUES ({marks})", batch)
        self._db.commit()

    # ---- the previous audit's failures -------------------------------------------------------

    def previous_fails(self, pairs: Iterable[Any]) -> tuple[dict[str, int], dict[str, int]]:
        """Against the previous audit's distinct FAIL (rule id, resource key or "") ``pairs``:
        per rule, how many FAIL findings now failed there too, and how many pairs failed there."""
        self._db.execute("CREATE TABLE pf (rule TEXT, key TEXT, PRIMARY KEY (rule, key)) WITHOUT ROWID")
        self._load("pf", "rule, key", ((p[0], p[1]) for p in pairs), "INSERT OR IGNORE")
        kept = dict(self._db.execute("SELECT nf.rule, SUM(nf.n) FROM nf JOIN pf ON pf.rule = nf.rule "
                                     "AND pf.key = nf.key GROUP BY nf.rule").fetchall())
        before = dict(self._db.execute("SELECT rule, COUNT(*) FROM pf GROUP BY rule").fetchall())
        self._db.execute("DROP TABLE pf")
        return kept, before

    # ---- where failing resources are -------------------------------------------------------

    def load_locations(self, rows: Iterable[tuple[str, str]]) -> None:
        """(resource key, location) of every resource, for ``fails_by_location`` and ``location_of``."""
        self._db.execute("DROP TABLE IF EXISTS rl")
        self._db.execute("CREATE TABLE rl (key TEXT, loc TEXT)")
        self._load("rl", "key, loc", rows)
        self._db.execute("CREATE INDEX rl_key ON rl (key)")

    def fails_by_location(self, rule_prefix: str) -> dict[str, int]:
        """FAIL findings of rules starting with ``rule_prefix``, per location of their resource
        ("unknown" when it has none or is not in the inventory)."""
        rows = self._db.execute(
            "SELECT coalesce(rl.loc, 'unknown'), SUM(nf.n) FROM nf LEFT JOIN rl ON rl.key = nf.key "
            "WHERE substr(nf.rule, 1, ?) = ? GROUP BY 1", (len(rule_prefix), rule_prefix))
        return dict(rows.fetchall())

    def failing_location(self, key: str | None, rule_prefix: str, default: str = "unknown") -> str:
        """The location of resource ``key`` when a rule starting with ``rule_prefix`` failed on it
        (what the report shows next to a residency finding), else ``default``."""
        rules = self._failing_rules(rule_prefix)
        if key is None or not rules:
            return default
        marks = ",".join("?" * len(rules))
        row = self._db.execute(f"SELECT loc FROM rl WHERE key = ? AND EXISTS (SELECT 1 FROM nf WHERE nf.key = rl.key "
                               f"AND nf.rule IN ({marks})) LIMIT 1", (key, *rules)).fetchone()
        return default if row is None else row[0]

    def _failing_rules(self, rule_prefix: str) -> tuple[str, ...]:
        """Rules starting with ``rule_prefix`` that failed somewhere: one scan of the FAIL table per
        prefix (it is complete once filled), not one per report row asking."""
        rules = self._rules_by_prefix.get(rule_prefix)
        if rules is None:
            rules = self._rules_by_prefix[rule_prefix] = tuple(r for (r,) in self._db.execute(
                "SELECT DISTINCT rule FROM nf WHERE substr(rule, 1, ?) = ?", (len(rule_prefix), rule_prefix)))
        return rules

    def close(self) -> None:
        self._db.close()

    # ---- the framework view ------------------------------------------------------------------

    def iter_control(self, cid: int, rank: int) -> Iterator[str]:
        cur = self._db.execute("SELECT subject FROM fw WHERE cid = ? AND rank = ? ORDER BY subject", (cid, rank))
        while rows := cur.fetchmany(5000):
            for (subject,) in rows:
                yield subject

    def framework_view(self) -> list[ControlStatus]:
        """What ``framework_view`` returns, with each resource list streamed from the index."""
        counts: dict[int, dict[int, int]] = {}
        for cid, rank, n in self._db.execute("SELECT cid, rank, COUNT(*) FROM fw GROUP BY cid, rank"):
            counts.setdefault(cid, {})[rank] = n
        fail, unknown, ok = STATUS_WEIGHT["FAIL"], STATUS_WEIGHT["UNKNOWN"], STATUS_WEIGHT["PASS"]
        out = []
        for (framework, control), cid in self.controls.items():
            c = counts.get(cid, {})
            out.append(ControlStatus(
                framework=framework, control=control, status=_STATUS_OF_RANK[max(c)],
                passed=c.get(ok, 0), failed=c.get(fail, 0), unknown=c.get(unknown, 0),
                rules=tuple(sorted(self.rules[cid])),
                failing=StoredSubjects(self, cid, fail, c.get(fail, 0)),  # type: ignore[arg-type]
                unknown_resources=StoredSubjects(self, cid, unknown, c.get(unknown, 0)),  # type: ignore[arg-type]
                passing=StoredSubjects(self, cid, ok, c.get(ok, 0)),  # type: ignore[arg-type]
            ))
        out.sort(key=lambda c: (c.framework, control_sort_key(c.control), c.control))
        return out

    # ---- the compliance view -----------------------------------------------------------------

    def tally(self, rules: Sequence[str], provider: str | None,
              cap: int) -> tuple[tuple[str, ...], tuple[str, ...], int, int, int]:
        """Over the subjects of ``rules`` (of ``provider``; every provider when None), each at
        its loudest status: (first ``cap`` failing, first ``cap`` unknown, #failing, #unknown,
        #passing). Controls of several versions of a benchmark share rule sets: asked once."""
        key = (frozenset(rules), provider)
        hit = self._tallies.get(key)
        if hit is not None and len(hit[0]) == min(cap, hit[2]) and len(hit[1]) == min(cap, hit[3]):
            return hit
        marks = ",".join("?" * len(key[0]))
        where = f"rule IN ({marks})" + (" AND provider = ?" if provider is not None else "")
        args: list[Any] = [*sorted(key[0]), *([provider] if provider is not None else [])]
        loudest = f"SELECT subject, MAX(rank) AS rank FROM cr WHERE {where} GROUP BY subject"
        self._db.execute("DROP TABLE IF EXISTS temp.loudest")
        self._db.execute(f"CREATE TEMP TABLE loudest AS {loudest}", args)
        n = dict(self._db.execute("SELECT rank, COUNT(*) FROM temp.loudest GROUP BY rank").fetchall())

        def first(status: str) -> tuple[str, ...]:
            rows = self._db.execute("SELECT subject FROM temp.loudest WHERE rank = ? ORDER BY subject LIMIT ?",
                                    (STATUS_WEIGHT[status], cap))
            return tuple(r[0] for r in rows)

        out = (first("FAIL"), first("UNKNOWN"), n.get(STATUS_WEIGHT["FAIL"], 0), n.get(STATUS_WEIGHT["UNKNOWN"], 0),
               n.get(STATUS_WEIGHT["PASS"], 0))
        self._db.execute("DROP TABLE temp.loudest")
        self._tallies[key] = out
        return out
