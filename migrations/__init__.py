"""Alembic environment and versions: the only way the inventory schema changes."""
