"""A measured process: `python -m fanout.bench.worker JOB_JSON` runs one job and reports on stdout.

Each job runs in its own process so that its CPU time and RSS are its own (the endpoint and the
refiller live elsewhere). Protocol, one JSON object per line on stdout: while draining, the worker
prints {"progress": N} (messages drained so far); the deliveries job prints {"ready": true}, then
reads {"expect": N, "timeout_s": T} from stdin; every job ends with {"result": {...}} (exit 0)
or {"error": "..."} (exit 1). Logs go to stderr.
"""

import asyncio
import json
import sys
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from fanout.bench.ceiling import drain
from fanout.bench.consume import bench_settings, consume
from fanout.bench.deliveries import record_deliveries
from fanout.bench.window import Window
from fanout.logs import configure_logging

Kind = Literal["ceiling", "consumer", "deliveries"]


class WorkerJob(BaseModel):
    """What a worker process is asked to do."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Kind
    consumer: str = ""  # ceiling/consumer: the service whose queue is drained
    queue_url: str = ""
    dlq_url: str = ""
    warmup: int = 0
    messages: int = 0
    checkpoint_every: int = 1
    wait_time_s: int = 1
    timeout_s: float = 60.0
    queues: dict[str, tuple[str, str]] = {}  # deliveries: consumer → (queue url, dlq url)


def emit(document: dict[str, Any]) -> None:
    print(json.dumps(document), flush=True)


def _ready() -> None:
    emit({"ready": True})


def _progress(count: int) -> None:
    emit({"progress": count})


async def _expected() -> tuple[int, float]:
    request = json.loads(await asyncio.to_thread(sys.stdin.readline))
    return int(request["expect"]), float(request["timeout_s"])


def run_job(job: WorkerJob) -> dict[str, Any]:
    """Run the job in this process and return its JSON-able result."""
    settings = bench_settings(job.wait_time_s)
    if job.kind == "deliveries":
        deliveries = asyncio.run(record_deliveries(job.queues, settings, _ready, _expected))
        return {"deliveries": deliveries}
    window = Window(job.warmup, job.messages, job.checkpoint_every, _progress)
    if job.kind == "ceiling":
        return drain(job.queue_url, window, job.wait_time_s, job.timeout_s).as_dict()
    measured = asyncio.run(consume(job.consumer, job.queue_url, job.dlq_url, window, settings, job.timeout_s))
    runtime = {
        "concurrency": settings.concurrency,
        "pollers": settings.pollers,
        "buffer_size": settings.buffer_size,
        "wait_time_s": settings.wait_time_s,
    }
    return {**measured.as_dict(), "settings": runtime}


def main(argv: list[str]) -> int:
    """Entry point of the worker process."""
    configure_logging(json=False, level="WARNING")
    try:
        result = run_job(WorkerJob.model_validate_json(argv[1]))
    except Exception as error:
        emit({"error": f"{type(error).__name__}: {error}"})
        return 1
    emit({"result": result})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
