"""Outbox database URLs: `postgresql://...` (also `postgres://`, `postgresql+psycopg://`) or `sqlite:///path`."""

from dataclasses import dataclass
from pathlib import Path

from fanout.errors import ConfigurationError
from fanout.redaction import mask_url_password
from producer.outbox.schema import Engine

SQLITE_PREFIX = "sqlite:///"
POSTGRES_SCHEMES = ("postgresql", "postgres")


@dataclass(frozen=True)
class DatabaseUrl:
    """A parsed outbox database URL: the engine and what its driver connects with."""

    engine: Engine
    target: str
    """conninfo URL for psycopg, file path for sqlite3."""
    masked: str

    @classmethod
    def parse(cls, url: str) -> "DatabaseUrl":
        masked = mask_url_password(url)
        scheme, separator, rest = url.partition("://")
        if separator and scheme.split("+", 1)[0] in POSTGRES_SCHEMES:
            return cls("postgresql", f"postgresql://{rest}", masked)
        if url.startswith(SQLITE_PREFIX) and url != SQLITE_PREFIX:
            return cls("sqlite", url.removeprefix(SQLITE_PREFIX), masked)
        raise ConfigurationError(f"not a postgresql:// or sqlite:///path database URL: {masked}")

    @property
    def sqlite_path(self) -> Path:
        return Path(self.target)
