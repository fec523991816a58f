"""Large payloads through S3 (claim check), in the AWS extended clients' wire format.

An event too large for SNS is stored as an S3 object and the message carries a pointer instead:

    ["software.amazon.payloadoffloading.PayloadS3Pointer", {"s3BucketName": "b", "s3Key": "k"}]

with the original size in the `ExtendedPayloadSize` message attribute — the format of the Amazon
SNS/SQS Extended Client Libraries (Java, Python, .NET), so either side can be one of those. Readers
also accept their legacy format (`com.amazon.sqs.javamessaging.MessageS3Pointer` with the size in
`SQSLargePayloadSize`), which those clients still write with `use_legacy_attribute=True`; writers
emit only the current one.
"""

import json
from dataclasses import dataclass
from typing import Any, Self

POINTER_CLASS = "software.amazon.payloadoffloading.PayloadS3Pointer"
LEGACY_POINTER_CLASS = "com.amazon.sqs.javamessaging.MessageS3Pointer"
PAYLOAD_SIZE_ATTRIBUTE = "ExtendedPayloadSize"
LEGACY_PAYLOAD_SIZE_ATTRIBUTE = "SQSLargePayloadSize"
POINTER_CLASSES = frozenset({POINTER_CLASS, LEGACY_POINTER_CLASS})
SIZE_ATTRIBUTES = (PAYLOAD_SIZE_ATTRIBUTE, LEGACY_PAYLOAD_SIZE_ATTRIBUTE)
KEY_PREFIX = "fanout/"
DEAD_LETTER_KEY_PREFIX = "fanout/dead-letters/"


@dataclass(frozen=True)
class PayloadPointer:
    """Where an offloaded message body is kept."""

    bucket: str
    key: str

    @classmethod
    def for_event(cls, bucket: str, event_id: str) -> Self:
        """The pointer an event's body is offloaded to (one object per event id)."""
        return cls(bucket, f"{KEY_PREFIX}{event_id}.json")

    @classmethod
    def for_dead_letter(cls, bucket: str, message_id: str) -> Self:
        """Where a body too large to dead-letter with its record is kept (one object per message)."""
        return cls(bucket, f"{DEAD_LETTER_KEY_PREFIX}{message_id}.json")

    @classmethod
    def parse(cls, document: Any) -> Self | None:
        """The pointer a decoded message body is (either format), or None when it is not one."""
        match document:
            case [str(kind), {"s3BucketName": str(bucket), "s3Key": str(key)}] if kind in POINTER_CLASSES:
                return cls(bucket, key)
        return None

    def body(self) -> str:
        """The message body that stands for the payload (always the current format)."""
        return json.dumps([POINTER_CLASS, {"s3BucketName": self.bucket, "s3Key": self.key}])

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}"
