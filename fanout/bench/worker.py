"""A measured process: `python -m fanout.bench.worker JOB_JSON` runs one job and reports on stdout.

Each job runs in its own process so that its CPU time and RSS are its own (the endpoint and the
refiller live elsewhere). Kinds: the serial boto3 loop (`ceiling`), the pipelined aiobotocore
loop, the consumer as shipped, a peer library, the latency phase's three consumers
(`deliveries`); `environment` is set before the job runs (endpoint, consumer settings).

Protocol, one JSON object per line on stdout: while draining, the worker prints {"progress": N}
(messages drained so far); the deliveries job prints {"ready": true}, then reads
{"expect": N, "timeout_s": T} from stdin; every job ends with {"result": {...}} (exit 0)
or {"error": "..."} (exit 1). Logs go to stderr.
"""

import asyncio
import json
import os
import sys
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from consumers.runtime.settings import ConsumerSettings
from fanout.bench.ceiling import drain
from fanout.bench.consume import bench_settings, consume
from fanout.bench.deliveries import record_deliveries
from fanout.bench.pipelined import drain_pipelined
from fanout.bench.window import Window
from fanout.logs import configure_logging

Kind = Literal["ceiling", "pipelined", "consumer", "deliveries", "peer"]


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
    peer: str = ""  # peer: which library (fanout.bench.peers)
    environment: dict[str, str] = {}  # set in the worker before the job runs (endpoint, settings)


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
    if job.kind == "deliveries":
        settings = bench_settings(job.wait_time_s)
        deliveries = asyncio.run(record_deliveries(job.queues, settings, _ready, _expected))
        return {"deliveries": deliveries}
    window = Window(job.warmup, job.messages, job.checkpoint_every, _progress)
    if job.kind == "ceiling":
        return drain(job.queue_url, window, job.wait_time_s, job.timeout_s).as_dict()
    if job.kind == "pipelined":
        return asyncio.run(drain_pipelined(job.queue_url, window, job.wait_time_s, job.timeout_s)).as_dict()
    if job.kind == "peer":
        from fanout.bench.peers import run_peer  # imports the peer library: only in its own worker

        return {**run_peer(job.peer, job.queue_url, window, job.timeout_s).as_dict(), "peer": job.peer}
    measured, handled = asyncio.run(consume(job.consumer, job.queue_url, job.dlq_url, window, job.timeout_s))
    shipped = ConsumerSettings()  # what the consumer read from the environment
    runtime = {
        "concurrency": shipped.concurrency,
        "pollers": shipped.pollers,
        "buffer_size": shipped.buffer_size,
        "wait_time_s": shipped.wait_time_s,
        "log_level": shipped.log_level,
    }
    return {**measured.as_dict(), "handled_total": handled, "settings": runtime}


def main(argv: list[str]) -> int:
    """Entry point of the worker process."""
    configure_logging(json=False, level="WARNING")
    try:
        job = WorkerJob.model_validate_json(argv[1])
        os.environ.update(job.environment)
        result = run_job(job)
    except Exception as error:
        emit({"error": f"{type(error).__name__}: {error}"})
        return 1
    emit({"result": result})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
