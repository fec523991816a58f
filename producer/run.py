"""The I/O-free core of publishing many events, shared by the sync and async publishers.

A run hands out PublishBatch calls one at a time (`next_batch`), takes back each response
(`record`) or a whole-call failure (`abort`), re-queues only entries that failed retryably,
and finally reports one result per event (`result`). On a FIFO topic a message group's events
keep their order: a group has at most one entry per call, and once one of its entries is to be
retried, its later entries wait for the same retry round. The publishers only do the calls and sleeps:

    while (batch := run.next_batch()) is not None:
        sleep(batch.delay_s); store(batch.uploads); run.record(batch, sns.publish_batch(**batch.request))
"""

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fanout.contract.envelope import CloudEvent
from fanout.redaction import log_safe
from producer.batching import plan_batches
from producer.entries import Offload, PublishEntry, build_entries
from producer.options import PublishOptions
from producer.results import BatchResult, PublishResult


@dataclass
class _Pending:
    """An event not yet settled: where it goes in the results, and how often it was sent."""

    position: int
    entry: PublishEntry
    attempts: int = 0


@dataclass(frozen=True)
class Batch:
    """One PublishBatch call: wait `delay_s`, store `uploads`, then send `request` (ids: positions)."""

    delay_s: float
    members: tuple[_Pending, ...]
    request: dict[str, Any] = field(repr=False)

    @property
    def uploads(self) -> list[Offload]:
        """Bodies of this batch's offloaded events, to store before the call."""
        return [item.entry.offload for item in self.members if item.entry.offload is not None]


def failure_text(failure: Mapping[str, Any]) -> str:
    """A Failed entry of a PublishBatch response as `Code: Message`."""
    return f"{failure.get('Code', 'Error')}: {failure.get('Message', '')}".rstrip(": ")


class PublishRun:
    """The state of one publish_many call; raises OversizedMessage at construction, before any call."""

    def __init__(self, events: Sequence[CloudEvent[Any]], *, topic_arn: str, options: PublishOptions) -> None:
        entries = build_entries(
            events,
            topic_arn=topic_arn,
            max_message_bytes=options.max_message_bytes,
            payload_bucket=options.payload_bucket,
        )
        self._topic_arn = topic_arn
        self._options = options
        self._results: list[PublishResult | None] = [None] * len(entries)
        self._to_send = [_Pending(position, entry) for position, entry in enumerate(entries)]
        self._queued: deque[tuple[float, list[_Pending]]] = deque()
        self._held_groups: set[str] = set()  # FIFO groups with an entry waiting for the next round
        self._round = 0

    def next_batch(self, *, new_round: bool = True) -> Batch | None:
        """The next call to make, or None when every event is settled.

        `new_round=False`: only a call of the current round (a caller with calls still in flight
        waits for them before the retry round, so that the round's backoff applies to all of it).
        """
        while True:
            if new_round and not self._queued and self._to_send:
                self._start_round()
            if not self._queued:
                return None
            delay_s, planned = self._queued.popleft()
            members = [item for item in planned if item.entry.group_id not in self._held_groups]
            self._to_send += [item for item in planned if item.entry.group_id in self._held_groups]
            if members:
                break
        for item in members:
            item.attempts += 1
        request = {
            "TopicArn": self._topic_arn,
            "PublishBatchRequestEntries": [
                item.entry.request_entry(str(index)) for index, item in enumerate(members)
            ],
        }
        return Batch(delay_s, tuple(members), request)

    def _start_round(self) -> None:
        self._round += 1
        self._held_groups.clear()
        delay_s = self._options.retry.delay_s(self._round - 1) if self._round > 1 else 0.0
        pending = sorted(self._to_send, key=lambda item: item.position)  # keep the caller's order
        self._to_send = []
        groups = plan_batches(
            pending,
            lambda item: item.entry.size,
            max_bytes=self._options.max_message_bytes,
            group=lambda item: item.entry.group_id,
        )
        for number, group in enumerate(groups):
            self._queued.append((delay_s if number == 0 else 0.0, group))

    def record(self, batch: Batch, response: Mapping[str, Any]) -> None:
        """Settle what succeeded or failed for good; queue retryable failures for the next round."""
        unanswered = {str(index): item for index, item in enumerate(batch.members)}
        for success in response.get("Successful", []):
            item = unanswered.pop(success["Id"])
            self._settle(item, message_id=success["MessageId"])
        for failure in response.get("Failed", []):
            item = unanswered.pop(failure["Id"])
            self._retry_or_settle(item, failure)
        for item in unanswered.values():  # SNS answers every entry; never lose one that it did not
            self._retry_or_settle(item, {"Code": "NoResult", "Message": "entry missing from the response"})

    def abort(self, batch: Batch, error: BaseException) -> None:
        """A whole call failed (after the SDK's own retries): fail its entries, send nothing more."""
        text = log_safe(str(error))  # one line: an endpoint's HTML error page spans many
        for item in batch.members:
            self._settle(item, error=text)
        unsent = [item for _, queued in self._queued for item in queued] + self._to_send
        for item in unsent:
            self._settle(item, error=f"not sent: an earlier PublishBatch call failed: {text}")
        self._queued.clear()
        self._to_send = []

    def result(self) -> BatchResult:
        """Per-event results in the order the events were given (call once next_batch is None)."""
        if self._to_send or self._queued or any(result is None for result in self._results):
            raise RuntimeError("publish run is not finished")
        return BatchResult(tuple(result for result in self._results if result is not None))

    def _retry_or_settle(self, item: _Pending, failure: Mapping[str, Any]) -> None:
        if self._options.retry.should_retry(failure, item.attempts):
            self._to_send.append(item)
            if item.entry.group_id is not None:
                self._held_groups.add(item.entry.group_id)
        else:
            self._settle(item, error=failure_text(failure))

    def _settle(self, item: _Pending, *, message_id: str | None = None, error: str | None = None) -> None:
        self._results[item.position] = PublishResult(item.entry.event_id, message_id, error, item.attempts)
