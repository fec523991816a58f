"""The topology, declared once: topic, per-consumer queue, DLQ, subscription filter and limits.

`fanout topology apply` creates it on an endpoint, Terraform declares the same for AWS, and a test
proves the two agree. Limits follow AWS (see shared design notes).
"""

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from fanout.contract.wire import EVENT_TYPE_ATTRIBUTE
from fanout.errors import ConfigurationError

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,30}$")]

FOUR_DAYS = 4 * 24 * 3600
FOURTEEN_DAYS = 14 * 24 * 3600
MAX_QUEUE_DELAY_S = 900  # SQS DelaySeconds
DEFERRAL_S = 43_200 - 60  # what one receive can surely defer a message by: SQS's 12 h, less a margin
RETENTION_MARGIN_S = 3600  # a delayed event is due at least this long before SQS would drop it
FIFO_SUFFIX = ".fifo"  # FIFO topic and queue names must end with it


class QueueSettings(BaseModel):
    """SQS settings for one consumer's queue and its dead-letter queue."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_receive_count: int = Field(default=5, ge=1, le=1000)
    visibility_timeout_s: int = Field(default=60, ge=0, le=43_200)
    retention_s: int = Field(default=FOUR_DAYS, ge=60, le=FOURTEEN_DAYS)
    dlq_retention_s: int = Field(default=FOURTEEN_DAYS, ge=60, le=FOURTEEN_DAYS)
    receive_wait_s: int = Field(default=20, ge=0, le=20)
    delay_s: int = Field(default=0, ge=0, le=MAX_QUEUE_DELAY_S)
    """Queue-level DelaySeconds: every message stays invisible this long after it arrives."""

    @property
    def longest_delay_s(self) -> int:
        """Longest `notbefore` delay this queue honours: each receive before the due time defers the
        message by at most 12 h and spends one of `max_receive_count` receives (one is left for the
        handler), and the message must be due well within the retention period."""
        by_receives = (self.max_receive_count - 1) * DEFERRAL_S
        return max(0, min(by_receives, self.retention_s - RETENTION_MARGIN_S))

    @model_validator(mode="after")
    def _dlq_outlives_source(self) -> Self:
        # A standard DLQ keeps the original enqueue time: a shorter retention loses messages.
        if self.dlq_retention_s <= self.retention_s:
            raise ValueError("dlq_retention_s must exceed retention_s")
        return self


class ConsumerSpec(BaseModel):
    """One consumer service: the event types it accepts and its queue settings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Name
    event_types: frozenset[str] = Field(min_length=1, max_length=150)
    queue: QueueSettings = QueueSettings()

    @property
    def filter_policy(self) -> dict[str, list[str]]:
        """The subscription filter policy (MessageAttributes scope) on the event_type attribute."""
        return {EVENT_TYPE_ATTRIBUTE: sorted(self.event_types)}


class Topology(BaseModel):
    """Everything the fan-out needs on the broker, with names carrying an environment prefix.

    `fifo=True` makes every topic and queue FIFO: names end with `.fifo`, content-based
    deduplication is off (the producer sends the event id as deduplication id and the subject,
    the order id, as message group).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    prefix: Name
    topic: Name = "orders"
    consumers: tuple[ConsumerSpec, ...] = Field(min_length=1)
    fifo: bool = False

    @model_validator(mode="after")
    def _unique_consumers(self) -> Self:
        names = [consumer.name for consumer in self.consumers]
        if len(names) != len(set(names)):
            raise ValueError(f"consumer names repeat: {names}")
        return self

    @property
    def suffix(self) -> str:
        """`.fifo` on a FIFO topology, else nothing."""
        return FIFO_SUFFIX if self.fifo else ""

    @property
    def topic_name(self) -> str:
        return f"{self.prefix}-{self.topic}{self.suffix}"

    def queue_name(self, consumer: str) -> str:
        return f"{self.prefix}-{self.consumer(consumer).name}{self.suffix}"

    def dlq_name(self, consumer: str) -> str:
        return f"{self.prefix}-{self.consumer(consumer).name}-dlq{self.suffix}"

    @property
    def longest_delay_s(self) -> int:
        """Longest delay every consumer honours (see QueueSettings.longest_delay_s)."""
        return min(consumer.queue.longest_delay_s for consumer in self.consumers)

    def consumer(self, name: str) -> ConsumerSpec:
        """The consumer called `name`, or a ConfigurationError naming the known ones."""
        for consumer in self.consumers:
            if consumer.name == name:
                return consumer
        known = ", ".join(c.name for c in self.consumers)
        raise ConfigurationError(f"unknown consumer {name!r} (known: {known})")
