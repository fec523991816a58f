"""One look at a consumer's DLQ: depths, a peeked sample, the oldest message's age.

ApproximateAgeOfOldestMessage is a CloudWatch metric, not a queue attribute, and moto emits no
CloudWatch metrics; so the age is estimated on every endpoint from the SentTimestamp of peeked
messages (exact when the peek saw every message, a lower bound otherwise).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from fanout.topology.depth import read_depth
from monitor.dlq.messages import AGE_SAMPLE_SIZE, DeadLetter, OldestAge, oldest_age, peek
from monitor.dlq.queues import DeadLetterQueue

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


@dataclass(frozen=True)
class DlqReading:
    """What the monitor saw of one DLQ."""

    queue: DeadLetterQueue
    depth: int
    source_depth: int
    sample: list[DeadLetter]
    oldest: OldestAge | None

    def recent(self, count: int) -> list[DeadLetter]:
        """The most recently dead-lettered messages of the sample."""
        return sorted(self.sample, key=lambda letter: letter.sent_at, reverse=True)[:count]


def read_dlq(sqs: "SQSClient", queue: DeadLetterQueue, now: datetime) -> DlqReading:
    """Read depths (DLQ: visible + in flight + delayed, so a concurrent peek does not hide messages)."""
    depth = read_depth(sqs, queue.dlq.url).total
    source_depth = read_depth(sqs, queue.source.url).total
    sample = peek(sqs, queue.dlq.url, min(depth, AGE_SAMPLE_SIZE))
    return DlqReading(queue, depth, source_depth, sample, oldest_age(sample, depth, now))
