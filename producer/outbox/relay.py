"""One relay round: claim heads, publish them with the batched publisher, record every outcome.

Nothing is lost: a row stays pending until SNS has accepted it; a failed row records its error
and waits (exponential, up to a minute) before its next attempt, holding back its subject's later rows.
"""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from fanout.contract.envelope import CloudEvent
from fanout.contract.errors import ContractError
from fanout.contract.registry import ORDER_EVENTS, EventRegistry
from fanout.errors import FanoutError
from producer.entries import OversizedMessage, build_entries
from producer.options import PublishOptions
from producer.outbox.store import OutboxStore, Outcome, PendingRow
from producer.publisher import Publisher

DEFAULT_BATCH_SIZE = 100
MAX_ROW_RETRY_S = 60.0


def row_retry_s(attempts: int) -> float:
    """Seconds a row waits after its `attempts`-th failure: 2, 4, 8 ... capped at a minute."""
    return min(2.0 ** min(attempts, 16), MAX_ROW_RETRY_S)


@dataclass(frozen=True)
class RoundResult:
    """How one round went; `first_error` describes a failure (never an event body)."""

    claimed: int = 0
    published: int = 0
    failed: int = 0
    first_error: str | None = None


class Relay:
    """Publishes the outbox's pending rows; one instance per store (one connection)."""

    def __init__(
        self,
        store: OutboxStore,
        *,
        options: PublishOptions | None = None,
        topic_arn: str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        registry: EventRegistry = ORDER_EVENTS,
        publisher_factory: Callable[[], Publisher] | None = None,
    ) -> None:
        self.store = store
        self._options = options or PublishOptions()
        self._batch_size = batch_size
        self._registry = registry
        self._factory = publisher_factory or (lambda: Publisher(topic_arn=topic_arn, options=self._options))
        self._publisher: Publisher | None = None

    def publish_round(self, *, respect_backoff: bool = True) -> RoundResult:
        """Claim up to `batch_size` heads, publish them, settle them; database errors propagate."""
        with self.store.claim(self._batch_size, respect_backoff=respect_backoff) as claim:
            if not claim.rows:
                return RoundResult()
            outcomes = self._publish(claim.rows)
            claim.settle(outcomes)
        failures = [outcome for outcome in outcomes if outcome.message_id is None]
        return RoundResult(
            claimed=len(outcomes),
            published=len(outcomes) - len(failures),
            failed=len(failures),
            first_error=failures[0].error if failures else None,
        )

    def _publish(self, rows: Sequence[PendingRow]) -> list[Outcome]:
        outcomes: dict[int, Outcome] = {}
        events: list[tuple[PendingRow, CloudEvent[Any]]] = []
        for row in rows:
            try:
                events.append((row, self._registry.parse_envelope(json.loads(row.body))))
            except (ContractError, ValueError) as error:
                outcomes[row.row_id] = failed(row, f"undecodable outbox row: {error}")
        try:
            publisher = self._publisher = self._publisher or self._factory()
        except (FanoutError, ClientError, BotoCoreError) as error:
            outcomes.update(
                (row.row_id, failed(row, f"no topic to publish to: {error}")) for row, _ in events
            )
            return [outcomes[row.row_id] for row in rows]
        try:
            result = publisher.publish_many([event for _, event in events])
        except OversizedMessage:  # raised before any call: set those events aside, publish the rest
            events = self._without_oversized(publisher, events, outcomes)
            result = publisher.publish_many([event for _, event in events])
        for (row, _), item in zip(events, result.results, strict=True):
            outcomes[row.row_id] = (
                Outcome(row.row_id, message_id=item.message_id)
                if item.message_id is not None
                else failed(row, item.error or "not published")
            )
        return [outcomes[row.row_id] for row in rows]

    def _without_oversized(
        self,
        publisher: Publisher,
        events: list[tuple[PendingRow, CloudEvent[Any]]],
        outcomes: dict[int, Outcome],
    ) -> list[tuple[PendingRow, CloudEvent[Any]]]:
        """The events that fit the topic (or go through S3); each of the others fails alone."""
        kept = []
        for row, event in events:
            try:
                build_entries(
                    [event],
                    topic_arn=publisher.topic_arn,
                    max_message_bytes=self._options.max_message_bytes,
                    payload_bucket=self._options.payload_bucket,
                )
                kept.append((row, event))
            except OversizedMessage as error:
                outcomes[row.row_id] = failed(row, str(error))
        return kept


def failed(row: PendingRow, error: str) -> Outcome:
    return Outcome(row.row_id, error=error, retry_in_s=row_retry_s(row.attempts + 1))
