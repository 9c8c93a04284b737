"""Terraform baselines: what each Terraform baseline version declares, per resource key.

Revision ID: 0004
Revises: 0001
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "terraform_declarations",
        sa.Column("baseline_id", Id, sa.ForeignKey("baselines.id"), primary_key=True),
        sa.Column("resource_key", sa.String(1024), primary_key=True),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("type", sa.String(128), nullable=False),
        sa.Column("account", sa.String(255)),
        sa.Column("region", sa.String(64)),
        sa.Column("declared", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("terraform_declarations")
