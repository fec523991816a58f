"""Dashboard settings from `FANOUT_DASHBOARD_*` environment variables.

FANOUT_DASHBOARD_TOKEN=...                                    # enables redrive and purge
FANOUT_DASHBOARD_CONSUMER_METRICS='["http://email:8080/metrics"]'
FANOUT_DASHBOARD_PROCESSED_EVENTS='{"email": "sqlite:///var/lib/fanout/email.db"}'
FANOUT_DASHBOARD_EVENT_LOG=postgresql://fanout@db/analytics   # the analytics service's database
"""

from typing import Annotated

from pydantic import AnyHttpUrl, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

STORE_URL_PATTERN = r"^(sqlite|postgresql|postgres)://"
StoreUrl = Annotated[str, Field(pattern=STORE_URL_PATTERN)]


class DashboardSettings(BaseSettings):
    """What the dashboard reads besides the endpoint and the topology (from the usual variables)."""

    model_config = SettingsConfigDict(env_prefix="FANOUT_DASHBOARD_", extra="ignore")

    token: SecretStr | None = Field(
        default=None, min_length=8, description="Token for redrive and purge; unset = read-only."
    )
    consumer_metrics: list[AnyHttpUrl] = Field(
        default_factory=list, description="Consumers' /metrics URLs (JSON list)."
    )
    processed_events: dict[str, StoreUrl] = Field(
        default_factory=dict,
        description="Per consumer, the URL of the store holding its processed_events table (JSON object).",
    )
    event_log: str | None = Field(
        default=None,
        pattern=STORE_URL_PATTERN,
        description="Database of the analytics service (analytics_events): finds events by order id.",
    )
    concurrency: int = Field(default=10, ge=1, description="Consumers' handler slots, for utilisation.")
    refresh_s: float = Field(default=5.0, ge=1, le=300, description="How often the page refreshes.")
    body_preview_chars: int = Field(default=4096, ge=256, description="Longer bodies are truncated.")
    browse_limit: int = Field(default=50, ge=1, le=1000, description="DLQ messages shown per consumer.")
    metrics_timeout_s: float = Field(default=2.0, gt=0, description="Timeout of one /metrics scrape.")
