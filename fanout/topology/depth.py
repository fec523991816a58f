"""Queue depth as SQS reports it (approximate counts from GetQueueAttributes)."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

DEPTH_ATTRIBUTES = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)


@dataclass(frozen=True)
class QueueDepth:
    """Messages waiting (visible), being handled (in flight) and delayed."""

    visible: int
    in_flight: int
    delayed: int

    @property
    def total(self) -> int:
        return self.visible + self.in_flight + self.delayed

    @classmethod
    def from_attributes(cls, attributes: dict[str, str]) -> "QueueDepth":
        visible, in_flight, delayed = (int(attributes.get(name, "0")) for name in DEPTH_ATTRIBUTES)
        return cls(visible, in_flight, delayed)


def read_depth(sqs: "SQSClient", queue_url: str) -> QueueDepth:
    """Read one queue's depth."""
    response = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=list(DEPTH_ATTRIBUTES))  # type: ignore[arg-type]
    return QueueDepth.from_attributes({str(name): value for name, value in response["Attributes"].items()})
