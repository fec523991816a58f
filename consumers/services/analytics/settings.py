"""Analytics service settings, from FANOUT_ANALYTICS_* environment variables."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from consumers.runtime.settings import ConsumerSettings
from consumers.services.database import DatabaseUrl
from fanout.errors import ConfigurationError
from fanout.state import sqlite_url


class AnalyticsSettings(BaseSettings):
    """Where events are kept and how they are batched."""

    model_config = SettingsConfigDict(env_prefix="FANOUT_ANALYTICS_", extra="ignore")

    database_url: DatabaseUrl = Field(default_factory=lambda: sqlite_url("analytics.sqlite3"))
    batch_size: int = Field(default=10, ge=1, le=1000)
    """Events written per transaction; the consumer's concurrency must be at least this."""
    flush_interval_s: float = Field(default=1.0, gt=0, le=60)
    """Longest an event waits for its batch to fill before it is written anyway."""
    pool_size: int = Field(default=2, ge=1, le=100)

    def check_runtime(self, consumer: ConsumerSettings) -> None:
        """A batch only fills when that many handlers run at once: refuse a smaller concurrency."""
        if consumer.concurrency < self.batch_size:
            raise ConfigurationError(
                f"FANOUT_ANALYTICS_BATCH_SIZE={self.batch_size} exceeds FANOUT_CONSUMER_CONCURRENCY="
                f"{consumer.concurrency}: a batch could never fill; lower the batch size or raise concurrency"
            )
