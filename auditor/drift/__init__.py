"""Drift engine and approved baselines (DESIGN.md decisions 3-5).

``baselines`` approves, accepts and revokes immutable, versioned baselines; ``auditlog``
keeps the hash-chained record of those acts; ``engine.compute_drift`` compares a snapshot
with a baseline (or two snapshots) as a key/hash set join in SQL and diffs only changed rows.
"""
