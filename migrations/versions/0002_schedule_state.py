"""Scheduler state as plain columns; the pickled APScheduler job store is dropped unread.

Whoever could write ``apscheduler_jobs`` could run code in the auditor (its rows are
pickles). Jobs are now rebuilt from the config at every start; only run times and the last
outcome persist, in ``schedule_state``. The old rows are dropped without being read: even
converting them would mean unpickling them. The next `auditor schedule start` recreates the
job from the config.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "schedule_state",
        sa.Column("job_id", sa.String(191), primary_key=True),
        sa.Column("func", sa.String(255), nullable=False),
        sa.Column("trigger", sa.Text, nullable=False),
        sa.Column("kwargs", sa.Text, nullable=False),
        sa.Column("misfire_grace_seconds", sa.Integer),
        sa.Column("next_run_time", TS),
        sa.Column("last_run_at", TS),
        sa.Column("last_outcome", sa.String(16)),
        sa.Column("last_finished_at", TS),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.drop_table("apscheduler_jobs")


def downgrade() -> None:
    # The old table comes back empty: its format is exactly what this revision removes.
    op.create_table(
        "apscheduler_jobs",
        sa.Column("id", sa.String(191), primary_key=True),
        sa.Column("next_run_time", sa.Float(25), index=True),
        sa.Column("job_state", sa.LargeBinary, nullable=False),
    )
    op.drop_table("schedule_state")
