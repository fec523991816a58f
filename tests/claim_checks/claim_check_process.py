"""A consumer in its own process that reports its own peak RSS (for the claim-check memory test).

    python claim_check_process.py QUEUE_URL DLQ_URL

Runs until its first message is settled, then prints one JSON line:
{"outcome": ..., "attempt": ..., "max_rss_mib": ...}. Settings come from FANOUT_* variables.
"""

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from consumers.runtime.consumer import Consumer
from consumers.runtime.context import HandlerContext
from consumers.runtime.service import Service, handles
from consumers.runtime.settings import ConsumerSettings
from fanout.contract import CloudEvent, OrderPlaced
from fanout.testing.spy import HandlerSpy


class Sink(Service):
    name = "analytics"

    @handles(OrderPlaced)
    async def on_placed(self, event: CloudEvent[OrderPlaced], context: HandlerContext) -> None:
        return None


async def main(queue_url: str, dlq_url: str) -> dict[str, Any]:
    spy = HandlerSpy()
    async with Consumer(Sink(), queue_url, dlq_url, ConsumerSettings(), [spy]).running():
        record = await spy.wait_for(predicate=lambda r: r.outcome in {"handled", "dead_lettered"}, timeout=60)
    return {
        "outcome": record.outcome,
        "attempt": record.context.attempt,
        "max_rss_mib": peak_rss_kib() / 1024,
    }


def peak_rss_kib() -> int:
    """This process image's peak RSS (VmHWM). Not getrusage's ru_maxrss: Linux carries that over
    exec from the forking parent (here the test process, which holds the moto server)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1], sys.argv[2]))))
