"""One event as an SNS publish entry: body, attributes, FIFO ids, and its size as SNS counts it."""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from fanout.contract.envelope import CloudEvent, with_trace_context
from fanout.contract.payloads import PAYLOAD_SIZE_ATTRIBUTE, PayloadPointer
from fanout.contract.wire import StringAttributes, message_attributes, message_size
from fanout.errors import FanoutError
from fanout.topology.model import FIFO_SUFFIX

DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024  # SNS default; a topic's MaximumMessageSize can raise it
LARGEST_MAX_MESSAGE_BYTES = 1024 * 1024  # the most any SNS topic accepts
SHOWN_OVERSIZED = 3


class OversizedMessage(FanoutError):
    """Events exceed the topic's message size limit; raised before anything is sent."""


def is_fifo_topic(topic_arn: str) -> bool:
    """FIFO topic names (hence ARNs) end with `.fifo`."""
    return topic_arn.endswith(FIFO_SUFFIX)


def utf8_length(text: str) -> int:
    return len(text.encode("utf-8"))


@dataclass(frozen=True)
class Offload:
    """An event body that travels through S3: stored at `pointer` before the message is sent."""

    pointer: PayloadPointer
    body: str


@dataclass(frozen=True)
class PublishEntry:
    """What SNS receives for one event."""

    event_id: str
    message: str
    attributes: StringAttributes
    group_id: str | None = None
    deduplication_id: str | None = None
    offload: "Offload | None" = None  # the real body, to store where the pointer `message` says

    @cached_property
    def size(self) -> int:
        """Bytes SNS counts against its limit: the body plus each attribute's name, type and value."""
        return message_size(self.message, self.attributes)

    def request_entry(self, entry_id: str) -> dict[str, Any]:
        """This entry as a PublishBatch request entry with the given batch-unique id."""
        entry: dict[str, Any] = {
            "Id": entry_id,
            "Message": self.message,
            "MessageAttributes": self.attributes,
        }
        if self.group_id is not None:
            entry["MessageGroupId"] = self.group_id
        if self.deduplication_id is not None:
            entry["MessageDeduplicationId"] = self.deduplication_id
        return entry


def build_entry(event: CloudEvent[Any], *, fifo: bool) -> PublishEntry:
    """Body = the CloudEvent JSON; on FIFO topics the subject orders and the event id deduplicates.

    The current span's trace context travels with the event (CloudEvents distributed tracing).
    """
    event = with_trace_context(event)
    return PublishEntry(
        event_id=event.id,
        message=event.model_dump_json(),
        attributes=message_attributes(event),
        group_id=event.subject if fifo else None,
        deduplication_id=event.id if fifo else None,
    )


def offload(entry: PublishEntry, bucket: str) -> PublishEntry:
    """The entry with its body moved to S3: the message becomes a pointer, the size an attribute."""
    pointer = PayloadPointer.for_event(bucket, entry.event_id)
    size = {"DataType": "Number", "StringValue": str(utf8_length(entry.message))}
    return replace(
        entry,
        message=pointer.body(),
        attributes={**entry.attributes, PAYLOAD_SIZE_ATTRIBUTE: size},
        offload=Offload(pointer, entry.message),
    )


def build_entries(
    events: Iterable[CloudEvent[Any]],
    *,
    topic_arn: str,
    max_message_bytes: int,
    payload_bucket: str | None = None,
) -> list[PublishEntry]:
    """Entries for every event; over the limit, offloaded to `payload_bucket` or OversizedMessage."""
    fifo = is_fifo_topic(topic_arn)
    entries = [build_entry(event, fifo=fifo) for event in events]
    if payload_bucket is not None:
        entries = [
            offload(entry, payload_bucket) if entry.size > max_message_bytes else entry for entry in entries
        ]
    oversized = [entry for entry in entries if entry.size > max_message_bytes]
    if oversized:
        shown = ", ".join(f"{entry.event_id} ({entry.size:,} bytes)" for entry in oversized[:SHOWN_OVERSIZED])
        more = f" and {len(oversized) - SHOWN_OVERSIZED} more" if len(oversized) > SHOWN_OVERSIZED else ""
        raise OversizedMessage(
            f"{len(oversized)} event(s) exceed the {max_message_bytes:,}-byte SNS message limit "
            f"(body + message attributes): {shown}{more}; nothing was published "
            "(set a payload bucket to send large events through S3)"
        )
    return entries
