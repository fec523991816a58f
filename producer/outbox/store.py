"""The relay's side of the outbox table: claim the heads of pending subjects, settle them, report, clean up.

A *head* is the earliest pending row of its subject: only heads are claimed, so a subject's later
events wait until its earlier ones are published (per-subject order). On PostgreSQL the claim is a
transaction holding row locks (`FOR UPDATE SKIP LOCKED`) until the rows are settled, so relays in
parallel never claim the same row and a relay that dies mid-batch leaves its rows pending. SQLite
has one relay at a time (see `producer.outbox.locking`): it reads, publishes, then settles.
"""

import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg

from fanout.errors import FanoutError
from producer.outbox.schema import POSTGRES_NOW, SQLITE_NOW, TABLE, ddl
from producer.outbox.urls import DatabaseUrl

CLEANUP_CHUNK = 1000
MAX_ERROR_CHARS = 500

HEADS = f"""SELECT id, event_id, body, attempts FROM {TABLE} o
WHERE published_at IS NULL {{backoff}}
  AND NOT EXISTS (
    SELECT 1 FROM {TABLE} e WHERE e.subject = o.subject AND e.published_at IS NULL AND e.id < o.id
  )
ORDER BY id LIMIT ?"""
RESPECT_BACKOFF = "AND (available_at IS NULL OR available_at <= {now})"
MARK_PUBLISHED = (
    f"UPDATE {TABLE} SET published_at = {{now}}, message_id = ?, attempts = attempts + 1, "
    "last_error = NULL, available_at = NULL WHERE id = ?"
)
MARK_FAILED = (
    f"UPDATE {TABLE} SET attempts = attempts + 1, last_error = ?, available_at = {{now}} + ? WHERE id = ?"
)
PENDING = f"SELECT count(*), min(created_at), {{now}} FROM {TABLE} WHERE published_at IS NULL"
FAILING = f"SELECT count(*) FROM {TABLE} WHERE published_at IS NULL AND attempts > 0"
PUBLISHED = f"SELECT count(*) FROM {TABLE} WHERE published_at IS NOT NULL"
CLEANUP = (
    f"DELETE FROM {TABLE} WHERE id IN "
    f"(SELECT id FROM {TABLE} WHERE published_at < {{now}} - ? ORDER BY published_at LIMIT {CLEANUP_CHUNK})"
)


@dataclass(frozen=True)
class PendingRow:
    """A claimed row: the event's JSON body and how often publishing it was tried before."""

    row_id: int
    event_id: str
    body: str
    attempts: int


@dataclass(frozen=True)
class Outcome:
    """What happened to one claimed row: its SNS message id, or the error and when to try again."""

    row_id: int
    message_id: str | None = None
    error: str | None = None
    retry_in_s: float = 0.0


@dataclass(frozen=True)
class OutboxStatus:
    """The outbox at a glance (`fanout outbox status`, the relay's gauges)."""

    pending: int
    oldest_pending_age_s: float
    failing: int
    published: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "pending": self.pending,
            "oldest_pending_age_s": round(self.oldest_pending_age_s, 3),
            "failing": self.failing,
            "published": self.published,
        }


class Claim:
    """Rows claimed for one round; `settle` records their outcomes (PostgreSQL: in the claim transaction)."""

    def __init__(self, store: "OutboxStore", rows: list[PendingRow]) -> None:
        self.rows = rows
        self._store = store

    def settle(self, outcomes: Sequence[Outcome]) -> None:
        self._store.write_outcomes(outcomes)


class OutboxStore(ABC):
    """One connection to the outbox database, used by one relay (from one thread at a time)."""

    engine: str
    now: str

    @staticmethod
    def open(url: DatabaseUrl) -> "OutboxStore":
        if url.engine == "postgresql":
            return PostgresStore(psycopg.connect(url.target, autocommit=True, connect_timeout=10))
        return SqliteStore(
            sqlite3.connect(url.target, isolation_level=None, timeout=30, check_same_thread=False)
        )

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    @abstractmethod
    @contextmanager
    def transaction(self) -> Iterator[None]: ...

    @abstractmethod
    def claim(self, limit: int, *, respect_backoff: bool = True) -> Any:
        """A context manager yielding a `Claim` of at most `limit` heads."""

    @abstractmethod
    def close(self) -> None: ...

    def create_schema(self) -> None:
        """Create the table, indexes (and trigger); idempotent."""
        with self.transaction():
            for statement in ddl("postgresql" if self.engine == "postgresql" else "sqlite"):
                self.execute(statement)

    def _heads(self, limit: int, respect_backoff: bool, suffix: str = "") -> list[PendingRow]:
        backoff = RESPECT_BACKOFF.format(now=self.now) if respect_backoff else ""
        rows = self.execute(HEADS.format(backoff=backoff) + suffix, (limit,))
        return [PendingRow(int(row[0]), row[1], row[2], int(row[3])) for row in rows]

    @abstractmethod
    def execute_many(self, sql: str, params: Sequence[Sequence[Any]]) -> None: ...

    def write_outcomes(self, outcomes: Sequence[Outcome]) -> None:
        published = [(o.message_id, o.row_id) for o in outcomes if o.message_id is not None]
        failed = [
            ((o.error or "unknown error")[:MAX_ERROR_CHARS], o.retry_in_s, o.row_id)
            for o in outcomes
            if o.message_id is None
        ]
        if published:
            self.execute_many(MARK_PUBLISHED.format(now=self.now), published)
        if failed:
            self.execute_many(MARK_FAILED.format(now=self.now), failed)

    def status(self) -> OutboxStatus:
        pending, oldest, now = self.execute(PENDING.format(now=self.now))[0]
        failing = self.execute(FAILING)[0][0]
        published = self.execute(PUBLISHED)[0][0]
        age = max(float(now) - float(oldest), 0.0) if oldest is not None else 0.0
        return OutboxStatus(int(pending), age, int(failing), int(published))

    def clean_up(self, retention_s: float) -> int:
        """Delete rows published more than `retention_s` ago, in chunks; returns how many."""
        deleted = 0
        while True:
            with self.transaction():
                count = len(self.execute(CLEANUP.format(now=self.now) + " RETURNING id", (retention_s,)))
            deleted += count
            if count < CLEANUP_CHUNK:
                return deleted


class PostgresStore(OutboxStore):
    engine = "postgresql"
    now = POSTGRES_NOW

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self._connection = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self._connection.execute(sql.replace("?", "%s"), tuple(params))
        return list(cursor.fetchall()) if cursor.description is not None else []

    def execute_many(self, sql: str, params: Sequence[Sequence[Any]]) -> None:
        with self._connection.cursor() as cursor:
            cursor.executemany(sql.replace("?", "%s"), params)  # pipelined: one round trip

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._connection.transaction():
            yield

    @contextmanager
    def claim(self, limit: int, *, respect_backoff: bool = True) -> Iterator[Claim]:
        with self._connection.transaction():
            yield Claim(self, self._heads(limit, respect_backoff, " FOR UPDATE SKIP LOCKED"))

    def create_schema(self) -> None:
        """As OutboxStore.create_schema, under an advisory lock: relays starting together do not race."""
        with self.transaction():
            self.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (TABLE,))
            for statement in ddl("postgresql"):
                self.execute(statement)

    def close(self) -> None:
        self._connection.close()


class SqliteStore(OutboxStore):
    engine = "sqlite"
    now = SQLITE_NOW

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self._connection.execute(
            "PRAGMA journal_mode=WAL"
        ).fetchall()  # writers never wait for the relay's reads

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._connection.execute(sql, tuple(params)).fetchall()]

    def execute_many(self, sql: str, params: Sequence[Sequence[Any]]) -> None:
        self._connection.executemany(sql, params)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._connection.execute("ROLLBACK")
            raise
        self._connection.execute("COMMIT")

    @contextmanager
    def claim(self, limit: int, *, respect_backoff: bool = True) -> Iterator[Claim]:
        yield Claim(self, self._heads(limit, respect_backoff))

    def write_outcomes(self, outcomes: Sequence[Outcome]) -> None:
        with self.transaction():
            super().write_outcomes(outcomes)

    def close(self) -> None:
        self._connection.close()


CREATE_HINT = "(create it with: fanout outbox init)"  # ends every error about a missing outbox


class OutboxDatabaseError(FanoutError):
    """The outbox database failed or could not be reached (the message names it without its password)."""


@contextmanager
def reported_as(url: DatabaseUrl) -> Iterator[None]:
    """Turn driver errors into one-line OutboxDatabaseError naming the masked URL."""
    try:
        yield
    except (psycopg.Error, sqlite3.Error) as error:
        text = one_line(error)
        if TABLE in text and ("no such table" in text or "does not exist" in text):
            text += f" {CREATE_HINT}"
        raise OutboxDatabaseError(f"outbox database {url.masked}: {text}") from error


def one_line(error: BaseException) -> str:
    """An error as one line (psycopg's span several)."""
    return " ".join(str(error).split()) or type(error).__name__
