"""Monitor settings from the environment (prefix FANOUT_MONITOR_), with per-queue threshold overrides.

FANOUT_MONITOR_DEPTH_THRESHOLD=1
FANOUT_MONITOR_THRESHOLDS='{"analytics": {"depth": 50, "growth": 10}}'
"""

from pathlib import PurePath
from typing import Annotated, Literal

from pydantic import AfterValidator, AnyHttpUrl, BaseModel, BeforeValidator, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from yarl import URL

from fanout.state import state_file

PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"


def http_url(secret: SecretStr) -> SecretStr:
    """Accept an http(s) URL with a host; the error never repeats the value (it may hold a token)."""
    try:
        url = URL(secret.get_secret_value())
    except ValueError:
        raise ValueError("must be an http(s) URL") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError("must be an http(s) URL")
    return secret


def path_text(value: object) -> object:
    """Accept a Path for the state location (it is kept as text: a path or a URL)."""
    return str(value) if isinstance(value, PurePath) else value


SecretUrl = Annotated[SecretStr, AfterValidator(http_url)]
"""A URL whose path or query is a credential (Slack webhooks, tokened webhooks): kept as SecretStr."""


class QueueThresholds(BaseModel):
    """When a DLQ alert fires: depth ≥ `depth`, or the depth grew by ≥ `growth` since the last check."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    depth: int = Field(default=1, ge=1)
    growth: int | None = Field(default=None, ge=1)


class ThresholdOverride(BaseModel):
    """A per-queue override; fields left out keep the global value."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    depth: int | None = Field(default=None, ge=1)
    growth: int | None = Field(default=None, ge=1)


class MonitorSettings(BaseSettings):
    """Everything the DLQ monitor needs; every field is FANOUT_MONITOR_<NAME> in the environment."""

    model_config = SettingsConfigDict(env_prefix="FANOUT_MONITOR_", extra="ignore")

    interval_s: float = Field(default=60.0, gt=0, description="Seconds between checks.")
    depth_threshold: int = Field(default=1, ge=1, description="Alert when a DLQ holds this many messages.")
    growth_threshold: int | None = Field(
        default=None, ge=1, description="Alert when a DLQ grew by this many since the last check."
    )
    thresholds: dict[str, ThresholdOverride] = Field(
        default_factory=dict, description="Per-consumer overrides, JSON: {name: {depth, growth}}."
    )
    renotify_s: float = Field(default=3600.0, gt=0, description="Repeat a still-firing alert this often.")
    state_path: Annotated[str, BeforeValidator(path_text)] = Field(
        default_factory=lambda: str(state_file("monitor.sqlite3")),
        description="Alert state: a SQLite file, or a postgresql:// URL for state that outlives the task.",
    )
    sample_size: int = Field(default=5, ge=1, le=10, description="DLQ messages peeked per alert.")
    metrics_host: str = "0.0.0.0"
    metrics_port: int = Field(default=9102, ge=0, le=65535, description="/metrics and /healthz; 0 = off.")

    log_alerts: bool = True
    log_json: bool = Field(
        default=False, description="JSON log lines (the image's default) instead of key=value."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    webhook_urls: list[SecretUrl] = Field(default_factory=list, description="Generic JSON webhooks.")
    slack_webhook_url: SecretUrl | None = None
    pagerduty_routing_key: SecretStr | None = None
    pagerduty_url: AnyHttpUrl = AnyHttpUrl(PAGERDUTY_EVENTS_URL)
    alarm_topic_arn: str | None = Field(default=None, description="SNS topic to publish alerts to.")

    sink_attempts: int = Field(
        default=3, ge=1, le=10, description="Tries per alert per sink within one check (then next check)."
    )
    sink_backoff_s: float = Field(default=1.0, ge=0, description="First retry delay; doubles each try.")
    sink_timeout_s: float = Field(default=10.0, gt=0, description="Timeout of one delivery attempt.")
    stop_timeout_s: float = Field(
        default=1.0,
        gt=0,
        le=3.0,
        description="On SIGTERM, wait this long for in-flight deliveries, then cancel.",
    )

    def thresholds_for(self, consumer: str) -> QueueThresholds:
        """The global thresholds with this consumer's override applied."""
        base = QueueThresholds(depth=self.depth_threshold, growth=self.growth_threshold)
        override = self.thresholds.get(consumer)
        return base.model_copy(update=override.model_dump(exclude_unset=True)) if override else base
