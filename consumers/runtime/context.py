"""What a handler learns about the message it is handling."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class HandlerContext:
    """Delivery facts for one handler call."""

    consumer: str
    message_id: str
    attempt: int  # SQS ApproximateReceiveCount: 1 on first delivery
    max_attempts: int  # the queue's maxReceiveCount
    first_received_at: datetime
    sent_at: datetime

    @property
    def is_last_attempt(self) -> bool:
        return self.attempt >= self.max_attempts
