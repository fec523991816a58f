"""How the producer publishes: the message size limit and the retry policy for failed batch entries."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fanout.backoff import Backoff, Exponential, Jitter
from fanout.errors import ConfigurationError
from producer.entries import DEFAULT_MAX_MESSAGE_BYTES, LARGEST_MAX_MESSAGE_BYTES


def default_backoff() -> Backoff:
    """0.1 s, 0.2 s, 0.4 s ... capped at 5 s, full jitter."""
    return Exponential(initial_s=0.1, factor=2.0, cap_s=5.0, jitter=Jitter.FULL)


@dataclass(frozen=True)
class RetryPolicy:
    """Entries a PublishBatch call failed with a server fault or throttling are re-sent, alone, later."""

    max_attempts: int = 5
    backoff: Backoff = field(default_factory=default_backoff)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ConfigurationError(f"max_attempts must be at least 1, not {self.max_attempts}")

    def should_retry(self, failure: Mapping[str, Any], attempts: int) -> bool:
        """SenderFault=True (invalid parameter, too long, ...) would fail again; anything else may pass."""
        return not failure.get("SenderFault", False) and attempts < self.max_attempts

    def delay_s(self, retry: int) -> float:
        """Seconds to wait before the `retry`-th re-send (1 for the first)."""
        return self.backoff.delay_s(retry)


@dataclass(frozen=True)
class PublishOptions:
    """Limits and retries shared by the sync and async publishers."""

    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    payload_bucket: str | None = None
    """S3 bucket for events over `max_message_bytes` (claim check); None: such events fail."""

    def __post_init__(self) -> None:
        if not 1 <= self.max_message_bytes <= LARGEST_MAX_MESSAGE_BYTES:
            raise ConfigurationError(
                f"max_message_bytes must be 1..{LARGEST_MAX_MESSAGE_BYTES}, not {self.max_message_bytes}"
            )
