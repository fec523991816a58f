"""Fixtures shared by every test directory (the fanout pytest plugin adds the endpoint and topology)."""

import os
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import psycopg
import pytest

POSTGRES_URL = os.environ.get("FANOUT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose search_path is a fresh schema, dropped afterwards.

    Skips when PostgreSQL is unreachable, unless FANOUT_REQUIRE_POSTGRES=1 (CI), then fails.
    """
    try:
        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        reason = f"PostgreSQL unreachable at {POSTGRES_URL}: {' '.join(str(error).split())}"
        if os.environ.get("FANOUT_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{reason} (FANOUT_REQUIRE_POSTGRES=1)")
        pytest.skip(reason)
    schema = f"fanout_test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            separator = "&" if "?" in POSTGRES_URL else "?"
            yield f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}"
        finally:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
