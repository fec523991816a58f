"""Dead-lettering: the original body and attributes go to the DLQ with the reason recorded.

The body is sent byte-for-byte so a redrive replays the original. The runtime's attributes
(fanout.contract.deadletter) always fit: the original attributes fill what is left of SQS's 10,
contract attributes first; any that do not fit are named in the detail. When body and attributes
would exceed SQS's 1 MiB (counted in UTF-8 bytes), the detail goes first; then the body is
offloaded to the payload bucket and the DLQ message carries the claim check instead (a redrive
replays the pointer, which the consumer follows); without a bucket, the original attributes go,
then the rest of the runtime's record, the reason last.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import structlog

from consumers.runtime.acker import DeleteBatcher
from consumers.runtime.broker import QueueBroker
from consumers.runtime.message import ReceivedMessage
from consumers.runtime.payloads import PayloadStore
from fanout.contract.deadletter import MAX_DETAIL_LENGTH, DeadLetterAttribute
from fanout.contract.payloads import PAYLOAD_SIZE_ATTRIBUTE, PayloadPointer
from fanout.contract.wire import (
    CORRELATION_ID_ATTRIBUTE,
    EVENT_TYPE_ATTRIBUTE,
    EVENT_VERSION_ATTRIBUTE,
    MAX_MESSAGE_ATTRIBUTES,
    message_size,
)

if TYPE_CHECKING:
    from types_aiobotocore_sqs.type_defs import MessageAttributeValueTypeDef

MAX_MESSAGE_BYTES = 1024 * 1024  # SQS counts the body plus each attribute's name, type and value
CONTRACT_ATTRIBUTES = (EVENT_TYPE_ATTRIBUTE, EVENT_VERSION_ATTRIBUTE, CORRELATION_ID_ATTRIBUTE)

EXPENDABLE_RECORD = (  # what of the runtime's record goes first when a body leaves no room
    DeadLetterAttribute.DETAIL,
    DeadLetterAttribute.DEAD_LETTERED_AT,
    DeadLetterAttribute.FIRST_SEEN,
    DeadLetterAttribute.SOURCE_QUEUE,
    DeadLetterAttribute.RECEIVE_COUNT,
    DeadLetterAttribute.REASON,
)

Attributes = dict[str, "MessageAttributeValueTypeDef"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class DeadLetterMessage:
    """What goes to the DLQ: the body (the original, or a claim check for it) and the attributes."""

    body: str
    attributes: Attributes
    offload: PayloadPointer | None = None  # store the original body here before sending


def _string(value: str) -> "MessageAttributeValueTypeDef":
    return {"DataType": "String", "StringValue": value}


def _sendable(value: Mapping[str, Any]) -> "MessageAttributeValueTypeDef":
    """A received attribute as SendMessage accepts it (SQS only supports scalar values)."""
    sendable: MessageAttributeValueTypeDef = {"DataType": value["DataType"]}
    if "StringValue" in value:
        sendable["StringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        sendable["BinaryValue"] = value["BinaryValue"]
    return sendable


def dead_letter_attributes(
    message: ReceivedMessage, reason: str, detail: str, source_queue: str, now: datetime | None = None
) -> Attributes:
    """The original message attributes plus the runtime's, within SQS's count limit."""
    budget = MAX_MESSAGE_ATTRIBUTES - len(DeadLetterAttribute)
    # A message redriven by StartMessageMoveTask still carries its previous record: replaced here.
    originals = [name for name in message.message_attributes if name not in set(DeadLetterAttribute)]
    names = sorted(originals, key=lambda name: (name not in CONTRACT_ATTRIBUTES, name))
    kept, dropped = names[:budget], names[budget:]
    if dropped:
        detail = f"{detail} (attributes not kept: {', '.join(dropped)})"
    attributes: Attributes = {name: _sendable(message.message_attributes[name]) for name in kept}
    attributes.update(
        {
            DeadLetterAttribute.REASON: _string(reason),
            DeadLetterAttribute.DETAIL: _string(_truncate(detail or reason)),
            DeadLetterAttribute.SOURCE_QUEUE: _string(source_queue),
            DeadLetterAttribute.FIRST_SEEN: _string(message.first_received_at.isoformat()),
            DeadLetterAttribute.RECEIVE_COUNT: {
                "DataType": "Number",
                "StringValue": str(message.receive_count),
            },
            DeadLetterAttribute.DEAD_LETTERED_AT: _string((now or datetime.now(UTC)).isoformat()),
        }
    )
    return attributes


def plan_dead_letter(
    message: ReceivedMessage,
    reason: str,
    detail: str,
    source_queue: str,
    payload_bucket: str | None = None,
    now: datetime | None = None,
) -> DeadLetterMessage:
    """The DLQ message for `message`, within SQS's 1 MiB and 10 attributes.

    Over the size: drop the detail; then offload the body to `payload_bucket` (a claim check,
    attributes kept); without a bucket, drop the original attributes, then the rest of the
    runtime's record, the reason last. The body cannot shrink (a redrive replays it byte for byte),
    and a DLQ send that SQS refuses would leave the message stuck on its queue: a dead letter with
    less of its record beats none.
    """
    attributes = dead_letter_attributes(message, reason, detail, source_queue, now)
    body = message.body
    if message_size(body, attributes) <= MAX_MESSAGE_BYTES:
        return DeadLetterMessage(body, attributes)
    detail_value = attributes.pop(DeadLetterAttribute.DETAIL)
    originals = [name for name in attributes if name not in set(DeadLetterAttribute)]
    if message_size(body, attributes) > MAX_MESSAGE_BYTES and payload_bucket:
        # The claim check is small: the detail comes back, with the body's size beside it.
        pointer = PayloadPointer.for_dead_letter(payload_bucket, message.message_id)
        size = len(body.encode("utf-8", "surrogatepass"))
        attributes[DeadLetterAttribute.DETAIL] = detail_value
        attributes[PAYLOAD_SIZE_ATTRIBUTE] = {"DataType": "Number", "StringValue": str(size)}
        while len(attributes) > MAX_MESSAGE_ATTRIBUTES:
            del attributes[originals.pop()]
        return DeadLetterMessage(pointer.body(), attributes, offload=pointer)
    for name in [*originals, *EXPENDABLE_RECORD]:
        if message_size(body, attributes) <= MAX_MESSAGE_BYTES:
            break
        attributes.pop(name, None)
    return DeadLetterMessage(body, attributes)


def _truncate(text: str) -> str:
    return text if len(text) <= MAX_DETAIL_LENGTH else text[: MAX_DETAIL_LENGTH - 1] + "…"


class DeadLetterer:
    """Sends a message to the DLQ and, only once that succeeded, deletes it from the source."""

    def __init__(
        self,
        broker: QueueBroker,
        deletes: DeleteBatcher,
        source_queue: str,
        payloads: PayloadStore | None = None,
    ) -> None:
        self._broker = broker
        self._deletes = deletes
        self._source_queue = source_queue
        self._payloads = payloads

    async def dead_letter(self, message: ReceivedMessage, reason: str, detail: str) -> bool:
        """True when the message is in the DLQ; False leaves it on the source queue for redelivery."""
        bucket = self._payloads.bucket if self._payloads is not None else None
        letter = plan_dead_letter(message, reason, detail, self._source_queue, bucket)
        try:
            if letter.offload is not None and self._payloads is not None:
                await self._payloads.store(letter.offload, message.body)
            await self._broker.send_to_dlq(message, letter.attributes, letter.body)
        except Exception as error:
            log.error(
                "dead-letter send failed; the message stays on its queue",
                message_id=message.message_id,
                reason=reason,
                error=str(error),
            )
            return False
        self._deletes.delete(message)
        return True
