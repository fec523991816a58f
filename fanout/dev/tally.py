"""What the consumers of a dev run did, counted per consumer from the runtime's outcome reports."""

from collections import Counter, defaultdict
from typing import Any

from consumers.runtime.context import HandlerContext
from consumers.runtime.observer import NullObserver, Outcome
from fanout.contract.envelope import CloudEvent

DONE_OUTCOMES = frozenset({Outcome.HANDLED, Outcome.DUPLICATE})


class Tally(NullObserver):
    """A RuntimeObserver keeping outcome counts, handled event ids and in-flight handlers per consumer."""

    def __init__(self) -> None:
        self.outcomes: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.handled_ids: defaultdict[str, set[str]] = defaultdict(set)
        self.dead_lettered_ids: defaultdict[str, set[str]] = defaultdict(set)
        self.in_flight: Counter[str] = Counter()

    def on_outcome(
        self,
        consumer: str,
        outcome: str,
        event: CloudEvent[Any] | None,
        context: HandlerContext,
        duration_s: float,
        error: BaseException | None,
    ) -> None:
        self.outcomes[consumer][outcome] += 1
        if event is None:
            return
        if outcome in DONE_OUTCOMES:
            self.handled_ids[consumer].add(event.id)
        elif outcome == Outcome.DEAD_LETTERED:
            self.dead_lettered_ids[consumer].add(event.id)

    def on_in_flight(self, consumer: str, count: int) -> None:
        self.in_flight[consumer] = count
