"""Collection on Celery workers (DESIGN.md decision 18).

The coordinator (``auditor collect``/``audit`` with ``distributed.broker_url``) plans the units,
creates the snapshot and enqueues one task per unit; ``auditor worker`` processes run each unit
with the same runner as in-process collection and write its versions straight into the shared
PostgreSQL inventory. Deletions are decided by the coordinator alone, from the units that
reported complete; it then finalises the snapshot.
"""
