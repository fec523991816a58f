"""What an alert says: the queue, how deep, why, a sample of reasons, and what to run next."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, computed_field

from monitor.dlq.messages import DeadLetter, format_duration


class AlertKind(StrEnum):
    FIRING = "firing"  # first notice
    REPEAT = "repeat"  # still firing after the re-notify interval
    RESOLVED = "resolved"  # the DLQ drained


class ReasonSample(BaseModel):
    """Why one recently dead-lettered message is there."""

    model_config = ConfigDict(frozen=True)

    reason: str
    detail: str | None
    event_type: str | None
    event_id: str | None
    dead_lettered_at: str

    @classmethod
    def of(cls, letter: DeadLetter) -> "ReasonSample":
        return cls(
            reason=letter.reason,
            detail=letter.detail or letter.decode_error,
            event_type=letter.event_type,
            event_id=letter.event_id,
            dead_lettered_at=letter.dead_lettered_at,
        )


class Alert(BaseModel):
    """One notification about one consumer's DLQ."""

    model_config = ConfigDict(frozen=True)

    kind: AlertKind
    consumer: str
    dlq: str
    source_queue: str
    depth: int
    source_depth: int
    threshold: int
    trigger: str
    oldest_age_s: float | None
    oldest_age_exact: bool
    recent_reasons: list[ReasonSample]
    omitted_reasons: int = 0  # samples left out to fit a sink's size limit
    inspect_command: str
    redrive_command: str
    at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def dedup_key(self) -> str:
        """Stable per queue, so PagerDuty groups every notice of one DLQ into one incident."""
        return f"fanout-dlq/{self.dlq}"

    @property
    def summary(self) -> str:
        """One line for a pager or a chat message."""
        if self.kind is AlertKind.RESOLVED:
            return f"RESOLVED: DLQ {self.dlq} ({self.consumer}) drained"
        age = ""
        if self.oldest_age_s is not None:
            age = f", oldest {'' if self.oldest_age_exact else '≥ '}{format_duration(self.oldest_age_s)}"
        label = "FIRING" if self.kind is AlertKind.FIRING else "STILL FIRING"
        return f"{label}: DLQ {self.dlq} ({self.consumer}) holds {self.depth} message(s){age}: {self.trigger}"
