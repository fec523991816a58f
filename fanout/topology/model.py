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


class QueueSettings(BaseModel):
    """SQS settings for one consumer's queue and its dead-letter queue."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_receive_count: int = Field(default=5, ge=1, le=1000)
    visibility_timeout_s: int = Field(default=60, ge=0, le=43_200)
    retention_s: int = Field(default=FOUR_DAYS, ge=60, le=FOURTEEN_DAYS)
    dlq_retention_s: int = Field(default=FOURTEEN_DAYS, ge=60, le=FOURTEEN_DAYS)
    receive_wait_s: int = Field(default=20, ge=0, le=20)

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
    """Everything the fan-out needs on the broker, with names carrying an environment prefix."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    prefix: Name
    topic: Name = "orders"
    consumers: tuple[ConsumerSpec, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_consumers(self) -> Self:
        names = [consumer.name for consumer in self.consumers]
        if len(names) != len(set(names)):
            raise ValueError(f"consumer names repeat: {names}")
        return self

    @property
    def topic_name(self) -> str:
        return f"{self.prefix}-{self.topic}"

    def queue_name(self, consumer: str) -> str:
        return f"{self.prefix}-{self.consumer(consumer).name}"

    def dlq_name(self, consumer: str) -> str:
        return f"{self.queue_name(consumer)}-dlq"

    def consumer(self, name: str) -> ConsumerSpec:
        """The consumer called `name`, or a ConfigurationError naming the known ones."""
        for consumer in self.consumers:
            if consumer.name == name:
                return consumer
        known = ", ".join(c.name for c in self.consumers)
        raise ConfigurationError(f"unknown consumer {name!r} (known: {known})")
