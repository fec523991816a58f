"""The DLQ browser's view of dead-lettered messages (read with monitor.dlq.messages, never consumed)."""

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from fanout.contract.deadletter import DeadLetterAttribute
from fanout.contract.errors import ContractError
from fanout.contract.payloads import PayloadPointer
from fanout.contract.wire import read_body
from fanout.topology.depth import read_depth
from monitor.dlq.messages import DeadLetter, oldest_age, peek
from monitor.dlq.queues import DeadLetterQueue

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


def pretty_body(body: str) -> str:
    """The body as indented JSON when it is JSON, else as it is."""
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


def subject_of(letter: DeadLetter) -> str | None:
    """The event's subject (order id) when the body decodes."""
    try:
        decoded = read_body(letter.body)
    except ContractError:
        return None
    return None if isinstance(decoded, PayloadPointer) else decoded.subject


def message_view(letter: DeadLetter, preview_chars: int) -> dict[str, Any]:
    """One message as the API returns it; the body pretty-printed and cut at `preview_chars`."""
    pretty = pretty_body(letter.body)
    return {
        "message_id": letter.message_id,
        "event_id": letter.event_id,
        "event_type": letter.event_type,
        "subject": subject_of(letter),
        "reason": letter.reason,
        "detail": letter.detail or letter.decode_error,
        "source_queue": letter.message_attributes.get(DeadLetterAttribute.SOURCE_QUEUE.value, {}).get(
            "StringValue"
        ),
        "receive_count": letter.attempts,
        "first_seen": letter.first_seen,
        "dead_lettered_at": letter.dead_lettered_at,
        "body_bytes": len(letter.body.encode("utf-8")),
        "body": pretty[:preview_chars],
        "body_truncated": len(pretty) > preview_chars,
    }


def browse(sqs: "SQSClient", queue: DeadLetterQueue, limit: int, preview_chars: int) -> dict[str, Any]:
    """Depth, oldest age and up to `limit` messages of one consumer's DLQ."""
    depth = read_depth(sqs, queue.dlq.url).total
    letters = peek(sqs, queue.dlq.url, min(depth, limit))
    age = oldest_age(letters, depth, datetime.now(UTC))
    return {
        "consumer": queue.consumer,
        "dlq": queue.dlq.name,
        "source_queue": queue.source.name,
        "depth": depth,
        "oldest_age_s": round(age.seconds, 1) if age else None,
        "oldest_age_exact": age.exact if age else True,
        "read_at": datetime.now(UTC).isoformat(),
        "messages": [message_view(letter, preview_chars) for letter in letters],
    }


def find_body(sqs: "SQSClient", queue: DeadLetterQueue, message_id: str, limit: int) -> str | None:
    """The whole body of one message (for download), or None when it is not among the first `limit`."""
    depth = read_depth(sqs, queue.dlq.url).total
    for letter in peek(sqs, queue.dlq.url, min(depth, limit)):
        if letter.message_id == message_id:
            return letter.body
    return None
