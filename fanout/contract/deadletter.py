"""The message attributes the consumer runtime records when it dead-letters a message.

The body is kept byte-for-byte so a redrive replays the original message; the reason travels
beside it. The monitor and `fanout dlq show` read these same names.
"""

from enum import StrEnum


class DeadLetterAttribute(StrEnum):
    """Attribute names on a message the runtime sent to a DLQ (SQS allows 10 per message)."""

    REASON = "fanout_dlq_reason"
    DETAIL = "fanout_dlq_detail"
    SOURCE_QUEUE = "fanout_dlq_source_queue"
    FIRST_SEEN = "fanout_dlq_first_seen"
    RECEIVE_COUNT = "fanout_dlq_receive_count"
    DEAD_LETTERED_AT = "fanout_dlq_dead_lettered_at"


class DeadLetterReason(StrEnum):
    """Why the runtime gave a message up (beside the contract's RejectReason values)."""

    RETRIES_EXHAUSTED = "retries_exhausted"
    PERMANENT_FAILURE = "permanent_failure"
    UNHANDLED_TYPE = "unhandled_type"
    DELAY_TOO_LONG = "delay_too_long"  # its `notbefore` lies beyond the receives the queue allows


MAX_DETAIL_LENGTH = 1024
