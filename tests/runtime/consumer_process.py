"""A consumer in its own process, for the SIGTERM and SIGKILL tests.

    python consumer_process.py QUEUE_URL DLQ_URL JOURNAL HANDLER_SECONDS

Each order.placed handler call appends `start <event id>` to JOURNAL, sleeps HANDLER_SECONDS,
then appends `done <event id>`. Settings come from FANOUT_CONSUMER_* variables.
"""

import asyncio
import sys
from pathlib import Path

from consumers.runtime.consumer import Consumer
from consumers.runtime.context import HandlerContext
from consumers.runtime.service import Service, handles
from consumers.runtime.settings import ConsumerSettings
from fanout.contract import CloudEvent, OrderPlaced
from fanout.signals import stop_on_signals


class SleepyService(Service):
    name = "sleepy"

    def __init__(self, journal: Path, seconds: float) -> None:
        self.journal = journal
        self.seconds = seconds

    def note(self, line: str) -> None:
        with self.journal.open("a") as journal:
            journal.write(line + "\n")

    @handles(OrderPlaced, timeout_s=120)
    async def on_placed(self, event: CloudEvent[OrderPlaced], context: HandlerContext) -> None:
        self.note(f"start {event.id}")
        await asyncio.sleep(self.seconds)
        self.note(f"done {event.id}")


async def main(queue_url: str, dlq_url: str, journal: str, seconds: str) -> None:
    service = SleepyService(Path(journal), float(seconds))
    consumer = Consumer(service, queue_url, dlq_url, ConsumerSettings())
    with stop_on_signals(consumer):
        await consumer.run()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
