"""Delayed delivery: a message whose event carries `notbefore` is hidden again until it is due.

SNS has no per-message delay, so the producer writes the due time into the envelope (the
`notbefore` extension) and the runtime defers the message with ChangeMessageVisibility. SQS lets
one receive hide a message for at most 12 h, so longer delays are deferred again on each later
receive, always by as much as SQS allows, to spend as few receives as possible.

Every receive counts toward the queue's maxReceiveCount, deferrals included: a delay that needs
`n` deferrals leaves the handler `maxReceiveCount - n` attempts. A message whose delay cannot be
honoured within the receives it has left is dead-lettered at once with the reason
`delay_too_long` rather than moved silently by the redrive policy (the producer refuses such
delays for the declared topology: `Topology.longest_delay_s`).
"""

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from consumers.runtime.message import ReceivedMessage


@dataclass(frozen=True)
class Deferral:
    """How to defer one delivery of a message that is not due yet."""

    due_in_s: float
    visibility_s: int  # hide it this long now: until due, or as long as SQS allows
    handled_on_receive: int  # the receive (ApproximateReceiveCount) that will find it due

    def fits(self, max_receive_count: int) -> bool:
        """Whether the due receive comes before the redrive policy moves the message away."""
        return self.handled_on_receive <= max_receive_count

    def describe(self, max_receive_count: int) -> str:
        return (
            f"due in {self.due_in_s:.0f} s: needs receive {self.handled_on_receive}, "
            f"maxReceiveCount is {max_receive_count} (each receive defers at most 12 h)"
        )


def deferral(
    not_before: datetime | None, message: ReceivedMessage, now: datetime | None = None
) -> Deferral | None:
    """None when the message may be handled now; otherwise how to defer it.

    Visibility is whole seconds, rounded up, so the message never reappears before it is due.
    """
    if not_before is None:
        return None
    due_in_s = (not_before - (now or datetime.now(UTC))).total_seconds()
    if due_in_s <= 0:
        return None
    wanted = math.ceil(due_in_s)
    headroom = max(1, message.visibility_headroom_s())
    return Deferral(
        due_in_s=due_in_s,
        visibility_s=min(wanted, headroom),
        handled_on_receive=message.receive_count + math.ceil(wanted / headroom),
    )
