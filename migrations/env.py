"""Alembic environment: always run with a connection handed in by auditor.store.migrate."""

from __future__ import annotations

from alembic import context

from auditor.store.schema import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - the CLI always passes one
    raise RuntimeError("run migrations through `auditor db upgrade`")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
