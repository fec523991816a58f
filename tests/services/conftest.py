"""Fixtures for the service tests: an SMTP sink, SQLite files, a PostgreSQL schema per test."""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest

from fanout.local.smtp import SmtpSink

POSTGRES_URL = os.environ.get("FANOUT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose search_path is a fresh schema, dropped afterwards.

    Skipped when PostgreSQL is unreachable, unless FANOUT_REQUIRE_POSTGRES=1 (then it fails).
    """
    try:
        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        if os.environ.get("FANOUT_REQUIRE_POSTGRES") == "1":
            raise
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_URL}: {error}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield f"{POSTGRES_URL}?options={quote(f'-csearch_path={schema}')}"
        finally:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The service's database: a SQLite file, then a PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'service.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))
