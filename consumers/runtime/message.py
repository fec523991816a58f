"""A received SQS message with the delivery facts the runtime needs (no SQS calls here)."""

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

from consumers.runtime.backoff import MAX_VISIBILITY_S

if TYPE_CHECKING:
    from types_aiobotocore_sqs.type_defs import MessageAttributeValueOutputTypeDef, MessageTypeDef

VISIBILITY_MARGIN_S = 5  # stay this far inside SQS's 12-hour limit


def _from_epoch_ms(value: str | None) -> datetime:
    return datetime.fromtimestamp(int(value) / 1000, UTC) if value else datetime.now(UTC)


@dataclass(frozen=True)
class ReceivedMessage:
    """One delivery of a message: body, receipt handle and SQS attributes."""

    message_id: str
    receipt_handle: str
    body: str
    system_attributes: Mapping[str, str]
    message_attributes: Mapping[str, "MessageAttributeValueOutputTypeDef"]
    received_at: float = field(default_factory=time.monotonic)  # monotonic clock, when it arrived

    @classmethod
    def from_sqs(cls, raw: "MessageTypeDef", received_at: float) -> "ReceivedMessage":
        """Build from one entry of a ReceiveMessage response."""
        return cls(
            message_id=raw.get("MessageId", ""),
            receipt_handle=raw.get("ReceiptHandle", ""),
            body=raw.get("Body", ""),
            # The parsed response's own dicts, not copies: nothing else holds or changes them.
            system_attributes=cast(Mapping[str, str], raw.get("Attributes", {})),
            message_attributes=raw.get("MessageAttributes", {}),
            received_at=received_at,
        )

    @property
    def receive_count(self) -> int:
        """ApproximateReceiveCount: 1 on the first delivery."""
        return int(self.system_attributes.get("ApproximateReceiveCount", "1"))

    @property
    def group_id(self) -> str | None:
        """MessageGroupId on a FIFO queue; None on a standard queue."""
        return self.system_attributes.get("MessageGroupId")

    @property
    def sent_at(self) -> datetime:
        return _from_epoch_ms(self.system_attributes.get("SentTimestamp"))

    @property
    def first_received_at(self) -> datetime:
        return _from_epoch_ms(self.system_attributes.get("ApproximateFirstReceiveTimestamp"))

    def visibility_headroom_s(self, now: float | None = None) -> int:
        """Longest visibility timeout SQS still accepts for this delivery (12 h from its receipt)."""
        elapsed = (time.monotonic() if now is None else now) - self.received_at
        return max(0, int(MAX_VISIBILITY_S - elapsed - VISIBILITY_MARGIN_S))
