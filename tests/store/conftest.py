"""Store fixtures: the reader role `auditor query` runs as on PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import migrated_engine


def drop_role(engine, role: str) -> None:
    """Roles are cluster-wide: revoke what ``role`` holds in this database, then drop it."""
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP OWNED BY "{role}"')
        conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')


@pytest.fixture
def make_role():
    """``make_role(engine)`` -> a unique role name, dropped (with its grants in that database) at teardown."""
    made: list[tuple[object, str]] = []

    def make(engine, prefix: str = "auditor_t_reader") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        made.append((engine, name))
        return name

    yield make
    for engine, name in made:
        drop_role(engine, name)


def role_url(engine, role: str, **query: str) -> str:
    """The inventory's URL, logging in as ``role`` (trust authentication on the test server)."""
    u = make_url(engine.url.render_as_string(hide_password=False))._replace(username=role, password=None)
    return (u.update_query_dict(query) if query else u).render_as_string(hide_password=False)


def new_reader(engine, make_role) -> str:
    from auditor.store.reader_role import create_reader

    role = make_role(engine)
    create_reader(engine, role)
    return role_url(engine, role)


@pytest.fixture
def query_url(store, make_role):
    """With ``store``: on PostgreSQL the URL of a fresh reader role made by `create_reader`; on SQLite None."""
    return new_reader(store, make_role) if store.dialect.name == "postgresql" else None


@pytest.fixture
def pg_store(pg_url):
    """A migrated PostgreSQL inventory only (tests of what SQLite has no equivalent of)."""
    with migrated_engine(pg_url) as engine:
        yield engine


@pytest.fixture
def pg_query_url(pg_store, make_role):
    return new_reader(pg_store, make_role)
