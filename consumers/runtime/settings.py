"""Consumer runtime settings from `FANOUT_CONSUMER_*` environment variables, validated at start-up."""

import math
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from pydantic import Field, NonNegativeFloat
from pydantic_settings import BaseSettings, SettingsConfigDict

from consumers.runtime.backoff import MAX_VISIBILITY_S, Backoff, Explicit, Exponential, Fixed, Jitter, Linear
from consumers.runtime.payloads import DEFAULT_MAX_PAYLOAD_BYTES, PayloadStore

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

RECEIVE_BATCH = 10  # SQS returns at most 10 messages per ReceiveMessage
# Well below the 30 s platforms give by default between SIGTERM and SIGKILL: after the drain the
# consumer still releases what it cancelled and flushes deletes (about 1-2 s).
DEFAULT_DRAIN_TIMEOUT_S = 20.0


class RetryStrategy(StrEnum):
    """The service-wide default backoff (a handler's @handles(retry=...) overrides it)."""

    FIXED = "fixed"
    LINEAR = "linear"
    EXPONENTIAL = "exponential"
    EXPLICIT = "explicit"


class ConsumerSettings(BaseSettings):
    """How a consumer polls, runs handlers, retries, drains and reports."""

    model_config = SettingsConfigDict(env_prefix="FANOUT_CONSUMER_", extra="forbid", populate_by_name=True)

    concurrency: int = Field(default=10, ge=1, le=1000, description="Handlers running at once.")
    buffer_size: int = Field(
        default=10, ge=1, le=1000, description="Received messages waiting for a free handler slot."
    )
    wait_time_s: int = Field(default=20, ge=0, le=20, description="Long-poll wait (WaitTimeSeconds).")
    delete_flush_interval_s: float = Field(
        default=0.05, gt=0, le=1, description="Longest a finished message waits for its batched delete."
    )
    drain_timeout_s: float = Field(
        default=DEFAULT_DRAIN_TIMEOUT_S,
        ge=0,
        le=3600,
        description="Time in-flight handlers get to finish at shutdown; keep drain + 5 s under the "
        "platform's grace period (compose stop_grace_period, ECS stopTimeout).",
    )
    handler_timeout_s: float = Field(
        default=60, gt=0, le=MAX_VISIBILITY_S, description="Default handler timeout (a timeout is retried)."
    )
    heartbeat: bool = Field(default=True, description="Extend visibility while a handler runs.")
    busy_retry_delay_s: int = Field(
        default=5, ge=0, le=900, description="Delay before retrying an event another consumer is handling."
    )

    retry_strategy: RetryStrategy = RetryStrategy.EXPONENTIAL
    retry_initial_s: NonNegativeFloat = Field(
        default=2, description="fixed: the delay; linear and exponential: the first delay."
    )
    retry_step_s: NonNegativeFloat = Field(default=10, description="linear: added per attempt.")
    retry_factor: float = Field(default=2, ge=1, description="exponential: multiplier per attempt.")
    retry_delays_s: list[NonNegativeFloat] = Field(
        default=[10, 30, 60, 300], min_length=1, description="explicit: one delay per attempt (JSON list)."
    )
    retry_cap_s: float = Field(default=900, ge=0, le=MAX_VISIBILITY_S)
    retry_jitter: Jitter = Jitter.NONE

    health_port: int = Field(default=8080, ge=0, le=65535, description="Health/metrics port; 0 = off.")
    log_json: bool = False
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    idempotency_url: str = Field(
        default="",
        pattern=r"^$|^(sqlite|postgresql|postgres)://",
        description="sqlite:///path.db or postgresql://...; empty = no idempotency store.",
    )

    payload_bucket: str = Field(
        default="",
        validation_alias="FANOUT_PAYLOAD_BUCKET",
        description="The payload bucket (claim checks): read from, and where oversized dead letters go.",
    )
    payload_buckets: list[str] = Field(
        default=[], description="Further buckets claim checks may point to (JSON list)."
    )
    payload_max_bytes: int = Field(
        default=DEFAULT_MAX_PAYLOAD_BYTES, ge=1, description="Largest claim-check payload read (bytes)."
    )

    def payload_store(self, s3: "S3Client") -> PayloadStore:
        """The claim-check store: the payload bucket plus `payload_buckets` allowed, reads capped."""
        allowed = [bucket for bucket in (self.payload_bucket, *self.payload_buckets) if bucket]
        return PayloadStore(s3, allowed, self.payload_max_bytes, self.payload_bucket or None)

    @property
    def pollers(self) -> int:
        """One long-poll loop per 10 handler slots, so receiving keeps up with the handlers."""
        return math.ceil(self.concurrency / RECEIVE_BATCH)

    def default_backoff(self) -> Backoff:
        """The backoff for handlers that do not name their own."""
        cap_s, jitter = self.retry_cap_s, self.retry_jitter
        match self.retry_strategy:
            case RetryStrategy.FIXED:
                return Fixed(interval_s=self.retry_initial_s, cap_s=cap_s, jitter=jitter)
            case RetryStrategy.LINEAR:
                return Linear(
                    initial_s=self.retry_initial_s, step_s=self.retry_step_s, cap_s=cap_s, jitter=jitter
                )
            case RetryStrategy.EXPONENTIAL:
                return Exponential(
                    initial_s=self.retry_initial_s, factor=self.retry_factor, cap_s=cap_s, jitter=jitter
                )
            case RetryStrategy.EXPLICIT:
                return Explicit(delays_s=tuple(self.retry_delays_s), cap_s=cap_s, jitter=jitter)
