"""The outbox table, its indexes and (PostgreSQL) its NOTIFY trigger, as DDL for each engine.

One row per staged event. `id` orders rows (and so each subject's events); `created_at` and
`published_at` are seconds since the epoch by the database's clock; a row whose publication
failed waits until `available_at` before the next attempt (`attempts`, `last_error`).
Every statement is idempotent.
"""

from typing import Literal

Engine = Literal["postgresql", "sqlite"]

TABLE = "fanout_outbox"
CHANNEL = "fanout_outbox"
"""PostgreSQL NOTIFY channel: every commit that staged rows notifies it once."""

POSTGRES_NOW = "extract(epoch from clock_timestamp())"
SQLITE_NOW = "((julianday('now') - 2440587.5) * 86400.0)"

_POSTGRES = (
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    id BIGSERIAL PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL DEFAULT {POSTGRES_NOW},
    published_at DOUBLE PRECISION,
    message_id TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    available_at DOUBLE PRECISION
)""",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_pending ON {TABLE} (id) WHERE published_at IS NULL",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_pending_subject ON {TABLE} (subject, id) WHERE published_at IS NULL",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_published ON {TABLE} (published_at) WHERE published_at IS NOT NULL",
    f"""CREATE OR REPLACE FUNCTION {TABLE}_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', '');
    RETURN NULL;
END
$$""",
    f"""CREATE OR REPLACE TRIGGER {TABLE}_staged AFTER INSERT ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_notify()""",
)

_SQLITE = (
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at REAL NOT NULL DEFAULT {SQLITE_NOW},
    published_at REAL,
    message_id TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    available_at REAL
)""",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_pending ON {TABLE} (id) WHERE published_at IS NULL",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_pending_subject ON {TABLE} (subject, id) WHERE published_at IS NULL",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_published ON {TABLE} (published_at) WHERE published_at IS NOT NULL",
)


def ddl(engine: Engine) -> tuple[str, ...]:
    """The statements creating the outbox on `engine`, in order (PostgreSQL 14+, SQLite 3.8+)."""
    return _POSTGRES if engine == "postgresql" else _SQLITE


def ddl_script(engine: Engine) -> str:
    """The DDL as one SQL script, for migration tools."""
    return "".join(f"{statement};\n\n" for statement in ddl(engine)).rstrip() + "\n"
