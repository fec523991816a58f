"""Large payloads through S3 (claim check), in the AWS extended clients' wire format.

An event too large for SNS is stored as an S3 object and the message carries a pointer instead:

    ["software.amazon.payloadoffloading.PayloadS3Pointer", {"s3BucketName": "b", "s3Key": "k"}]

with the original size in the `ExtendedPayloadSize` message attribute — the format of the Amazon
SNS/SQS Extended Client Libraries (Java, Python, .NET), so either side can be one of those.
"""

import json
from dataclasses import dataclass
from typing import Any, Self

POINTER_CLASS = "software.amazon.payloadoffloading.PayloadS3Pointer"
PAYLOAD_SIZE_ATTRIBUTE = "ExtendedPayloadSize"
KEY_PREFIX = "fanout/"


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
    def parse(cls, document: Any) -> Self | None:
        """The pointer a decoded message body is, or None when it is not one."""
        match document:
            case [str(kind), {"s3BucketName": str(bucket), "s3Key": str(key)}] if kind == POINTER_CLASS:
                return cls(bucket, key)
        return None

    def body(self) -> str:
        """The message body that stands for the payload."""
        return json.dumps([POINTER_CLASS, {"s3BucketName": self.bucket, "s3Key": self.key}])

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}"
