"""Relay settings from `FANOUT_OUTBOX_*` environment variables (the CLI's flags override them)."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_METRICS_PORT = 9103
WEEK_S = 7 * 24 * 3600


class OutboxSettings(BaseSettings):
    """How the relay reads the outbox, publishes, reports and cleans up."""

    model_config = SettingsConfigDict(env_prefix="FANOUT_OUTBOX_", extra="ignore")

    database_url: str = Field(default="", description="postgresql:// or sqlite:///path of the outbox.")
    batch_size: int = Field(default=100, ge=1, le=10_000, description="Rows claimed per round.")
    poll_interval_s: float = Field(
        default=5.0,
        gt=0,
        le=3600,
        description="Longest wait between rounds without a NOTIFY (SQLite: always).",
    )
    max_backoff_s: float = Field(default=30.0, gt=0, le=3600, description="Cap of the wait while SNS fails.")
    retention_s: float = Field(default=WEEK_S, ge=0, description="Published rows are deleted after this.")
    cleanup_interval_s: float = Field(default=300.0, gt=0, description="Seconds between clean-ups.")
    metrics_port: int = Field(
        default=DEFAULT_METRICS_PORT, ge=0, le=65535, description="/healthz + /metrics; 0 = off."
    )
    cloudwatch_namespace: str | None = Field(
        default=None,
        description="Send pending / oldest pending age / failing to CloudWatch under it (every minute).",
    )
    topic_arn: str | None = Field(default=None, description="Topic to publish to; default: the declared one.")
    log_json: bool = Field(default=False, description="Logs as JSON lines (else key=value lines).")
    log_level: str = Field(default="info", description="debug, info, warning, error.")
