"""What publishing reports: one result per event, and the results of a publish_many call."""

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Self

from fanout.errors import FanoutError

SHOWN_FAILURES = 3


@dataclass(frozen=True)
class PublishResult:
    """The outcome for one event: its SNS message id, or the error that stopped it."""

    event_id: str
    message_id: str | None
    error: str | None
    attempts: int

    @property
    def ok(self) -> bool:
        return self.message_id is not None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class PublishFailed(FanoutError):
    """Some events were not published (after retrying what could be retried)."""

    def __init__(self, failed: tuple[PublishResult, ...], total: int) -> None:
        shown = "; ".join(f"{result.event_id}: {result.error}" for result in failed[:SHOWN_FAILURES])
        more = f" (+{len(failed) - SHOWN_FAILURES} more)" if len(failed) > SHOWN_FAILURES else ""
        super().__init__(f"{len(failed)} of {total} event(s) not published: {shown}{more}")
        self.failed = failed


@dataclass(frozen=True)
class BatchResult:
    """Per-event results of one publish_many call, in the order the events were given."""

    results: tuple[PublishResult, ...]

    @property
    def succeeded(self) -> tuple[PublishResult, ...]:
        return tuple(result for result in self.results if result.ok)

    @property
    def failed(self) -> tuple[PublishResult, ...]:
        return tuple(result for result in self.results if not result.ok)

    @property
    def message_ids(self) -> Mapping[str, str]:
        """Event id → SNS message id, for the published events."""
        return {result.event_id: result.message_id for result in self.results if result.message_id}

    def raise_for_failures(self) -> Self:
        """Raise PublishFailed if any event was not published; otherwise return self."""
        if failed := self.failed:
            raise PublishFailed(failed, len(self.results))
        return self
