"""Outbox database URLs: `postgresql://...` (also `postgres://`, `postgresql+psycopg://`) or `sqlite:///path`."""

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from fanout.errors import ConfigurationError
from producer.outbox.schema import Engine

SQLITE_PREFIX = "sqlite:///"
POSTGRES_SCHEMES = ("postgresql", "postgres")


def mask_password(url: str) -> str:
    """The URL with its password (if any) replaced by `***`: safe for logs and errors."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return "<unparsable database URL>"
    if not password:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass(frozen=True)
class DatabaseUrl:
    """A parsed outbox database URL: the engine and what its driver connects with."""

    engine: Engine
    target: str
    """conninfo URL for psycopg, file path for sqlite3."""
    masked: str

    @classmethod
    def parse(cls, url: str) -> "DatabaseUrl":
        masked = mask_password(url)
        scheme, separator, rest = url.partition("://")
        if separator and scheme.split("+", 1)[0] in POSTGRES_SCHEMES:
            return cls("postgresql", f"postgresql://{rest}", masked)
        if url.startswith(SQLITE_PREFIX) and url != SQLITE_PREFIX:
            return cls("sqlite", url.removeprefix(SQLITE_PREFIX), masked)
        raise ConfigurationError(f"not a postgresql:// or sqlite:///path database URL: {masked}")

    @property
    def sqlite_path(self) -> Path:
        return Path(self.target)
