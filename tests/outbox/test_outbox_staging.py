"""stage(): the event is written in the caller's transaction, validated, and published only if it commits."""

import asyncio
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiosqlite
import psycopg
import pytest
from outbox_support import Connect, cancelled, rows

from fanout.contract.errors import SchemaViolation
from producer.demo import demo_events
from producer.outbox import NoTransaction, create_outbox, ddl_script, outbox_status, stage, stage_async


def test_a_committed_stage_is_pending_and_a_rolled_back_one_leaves_nothing(
    outbox_url: str, connect: Connect
) -> None:
    kept, dropped = demo_events(2, seed=1)
    connection = connect()
    stage(connection, kept)
    assert rows(outbox_url) == []  # not committed yet: invisible to anyone else
    connection.commit()
    stage(connection, dropped)
    connection.rollback()
    assert rows(outbox_url) == [(kept.id, None)]
    status = outbox_status(outbox_url)
    assert (status.pending, status.published) == (1, 0)
    assert status.oldest_pending_age_s >= 0


def test_the_event_is_validated_against_the_registry_before_anything_is_written(
    outbox_url: str, connect: Connect
) -> None:
    event = cancelled("o-1")
    forged = event.model_copy(update={"type": "order.exploded"})
    connection = connect()
    with pytest.raises(Exception, match=r"order\.exploded"):
        stage(connection, forged)
    broken = event.model_copy(update={"type": "order.placed"})  # an order.placed envelope with other data
    with pytest.raises(SchemaViolation):
        stage(connection, broken)
    connection.commit()
    assert rows(outbox_url) == []


def test_staging_outside_a_transaction_is_refused(outbox_url: str) -> None:
    event = next(iter(demo_events(1, seed=2)))
    if outbox_url.startswith("sqlite:///"):
        lite = sqlite3.connect(outbox_url.removeprefix("sqlite:///"), isolation_level=None)
        with pytest.raises(NoTransaction):
            stage(lite, event)
        lite.close()
    else:
        with psycopg.connect(outbox_url, autocommit=True) as connection, pytest.raises(NoTransaction):
            stage(connection, event)
    assert rows(outbox_url) == []


def test_not_a_connection_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="psycopg, sqlite3 or SQLAlchemy"):
        stage(object(), next(iter(demo_events(1, seed=3))))


def test_async_connections_stage_in_their_transaction(outbox_url: str) -> None:
    kept, dropped = demo_events(2, seed=4)

    async def run() -> None:
        if outbox_url.startswith("sqlite:///"):
            async with aiosqlite.connect(outbox_url.removeprefix("sqlite:///")) as lite:
                await stage_async(lite, kept)
                await lite.commit()
                await stage_async(lite, dropped)
                await lite.rollback()
        else:
            async with await psycopg.AsyncConnection.connect(outbox_url) as connection:
                async with connection.transaction():
                    await stage_async(connection, kept)
                with pytest.raises(RuntimeError):
                    async with connection.transaction():
                        await stage_async(connection, dropped)
                        raise RuntimeError("the order failed")

    asyncio.run(run())
    assert rows(outbox_url) == [(kept.id, None)]


def test_sqlalchemy_connection_and_session(outbox_url: str) -> None:
    sqlalchemy = pytest.importorskip("sqlalchemy")
    orm = pytest.importorskip("sqlalchemy.orm")
    url = outbox_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = sqlalchemy.create_engine(url)
    first, second, third = demo_events(3, seed=5)
    try:
        with engine.begin() as connection:
            stage(connection, first)
        with orm.Session(engine) as session:
            stage(session, second)
            session.commit()
        with orm.Session(engine) as session:
            stage(session, third)
            session.rollback()
    finally:
        engine.dispose()
    assert [event_id for event_id, _ in rows(outbox_url)] == [first.id, second.id]


def test_sqlalchemy_in_autocommit_is_refused(outbox_url: str) -> None:
    """An AUTOCOMMIT engine or connection would commit the event on its own: refused, nothing written."""
    sqlalchemy = pytest.importorskip("sqlalchemy")
    orm = pytest.importorskip("sqlalchemy.orm")
    url = outbox_url.replace("postgresql://", "postgresql+psycopg://", 1)
    event = next(iter(demo_events(1, seed=7)))
    engine, autocommit_engine = (
        sqlalchemy.create_engine(url),
        sqlalchemy.create_engine(url, isolation_level="AUTOCOMMIT"),
    )
    try:
        with engine.connect() as plain:
            connection = plain.execution_options(isolation_level="AUTOCOMMIT")
            with pytest.raises(NoTransaction, match="AUTOCOMMIT"):
                stage(connection, event)
        with orm.Session(autocommit_engine) as session, pytest.raises(NoTransaction):
            stage(session, event)
    finally:
        engine.dispose()
        autocommit_engine.dispose()
    assert rows(outbox_url) == []


def test_sqlalchemy_sqlite_with_explicit_begin_stages(tmp_path: Path) -> None:
    """SQLAlchemy's recipe for SQLite transactions (driver autocommit, BEGIN on begin) is a transaction."""
    sqlalchemy = pytest.importorskip("sqlalchemy")
    url = f"sqlite:///{tmp_path / 'orders.sqlite3'}"
    create_outbox(url)
    engine = sqlalchemy.create_engine(url)
    sqlalchemy.event.listen(engine, "connect", lambda driver, _: setattr(driver, "isolation_level", None))
    sqlalchemy.event.listen(engine, "begin", lambda connection: connection.exec_driver_sql("BEGIN"))
    kept, dropped = demo_events(2, seed=9)
    try:
        with engine.connect() as connection:
            stage(connection, kept)  # autobegins, as execute() would: BEGIN, then the check
            connection.commit()
            stage(connection, dropped)
            connection.rollback()
    finally:
        engine.dispose()
    assert rows(url) == [(kept.id, None)]


def test_sqlalchemy_async_in_autocommit_is_refused(outbox_url: str) -> None:
    asyncio_ext = pytest.importorskip("sqlalchemy.ext.asyncio")
    url = outbox_url.replace("postgresql://", "postgresql+psycopg://", 1).replace(
        "sqlite:///", "sqlite+aiosqlite:///", 1
    )
    event = next(iter(demo_events(1, seed=8)))

    async def run() -> None:
        engine = asyncio_ext.create_async_engine(url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                with pytest.raises(NoTransaction):
                    await stage_async(connection, event)
            async with asyncio_ext.AsyncSession(engine) as session:
                with pytest.raises(NoTransaction):
                    await stage_async(session, event)
        finally:
            await engine.dispose()

    asyncio.run(run())
    assert rows(outbox_url) == []


def test_init_is_idempotent_and_prints_its_ddl(outbox_url: str) -> None:
    create_outbox(outbox_url)  # again: nothing changes, nothing fails
    assert outbox_status(outbox_url).pending == 0
    engine: Any = "sqlite" if outbox_url.startswith("sqlite") else "postgresql"
    printed = subprocess.run(
        [sys.executable, "-m", "fanout.cli", "outbox", "init", "--sql", "--database-url", outbox_url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert printed == ddl_script(engine)
    assert "CREATE TABLE IF NOT EXISTS fanout_outbox" in printed
    assert ("pg_notify" in printed) == (engine == "postgresql")


def test_sqlalchemy_async_connection_and_session(outbox_url: str) -> None:
    asyncio_ext = pytest.importorskip("sqlalchemy.ext.asyncio")
    url = outbox_url.replace("postgresql://", "postgresql+psycopg://", 1).replace(
        "sqlite:///", "sqlite+aiosqlite:///", 1
    )
    first, second, third = demo_events(3, seed=6)

    async def run() -> None:
        engine = asyncio_ext.create_async_engine(url)
        try:
            async with engine.begin() as connection:
                await stage_async(connection, first)
            async with asyncio_ext.AsyncSession(engine) as session:
                await stage_async(session, second)
                await session.commit()
            async with asyncio_ext.AsyncSession(engine) as session:
                await stage_async(session, third)
                await session.rollback()
        finally:
            await engine.dispose()

    asyncio.run(run())
    assert [event_id for event_id, _ in rows(outbox_url)] == [first.id, second.id]
