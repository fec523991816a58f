"""The overview: per consumer its queue, DLQ, alert and metrics, each with the time it was read."""

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fanout.dashboard.alerts import read_alerts
from fanout.dashboard.metrics import MetricsScraper
from fanout.topology.depth import read_depth
from monitor.dlq.messages import AGE_SAMPLE_SIZE, oldest_age, peek
from monitor.dlq.queues import DeadLetterQueue

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def read_queues(sqs: "SQSClient", queue: DeadLetterQueue) -> dict[str, Any]:
    """Depths of a consumer's queue and DLQ, and the DLQ's oldest message age (from a peek)."""
    source = read_depth(sqs, queue.source.url)
    source_read_at = now_iso()
    dlq = read_depth(sqs, queue.dlq.url)
    age = oldest_age(peek(sqs, queue.dlq.url, min(dlq.total, AGE_SAMPLE_SIZE)), dlq.total, datetime.now(UTC))
    return {
        "queue": {
            "name": queue.source.name,
            "visible": source.visible,
            "in_flight": source.in_flight,
            "delayed": source.delayed,
            "read_at": source_read_at,
        },
        "dlq": {
            "name": queue.dlq.name,
            "depth": dlq.total,
            "oldest_age_s": round(age.seconds, 1) if age else None,
            "oldest_age_exact": age.exact if age else True,
            "read_at": now_iso(),
        },
    }


async def overview(
    sqs: "SQSClient", queues: list[DeadLetterQueue], scraper: MetricsScraper, state_path: Path | None
) -> dict[str, Any]:
    """Everything the overview shows; a source that fails is reported in `errors`, not fatal."""
    errors: list[str] = []
    readings = await asyncio.gather(*(asyncio.to_thread(read_queues, sqs, queue) for queue in queues))
    try:
        alerts = await read_alerts([queue.dlq.name for queue in queues], state_path)
        alerts_read_at = now_iso()
    except Exception as error:  # a locked or foreign state file must not take the page down
        errors.append(f"monitor state: {type(error).__name__}")
        alerts, alerts_read_at = {}, None
    metrics, metric_errors = await scraper.read()
    errors += [f"metrics {url}: {reason}" for url, reason in sorted(metric_errors.items())]
    consumers = []
    for queue, reading in zip(queues, readings, strict=True):
        alert = alerts.get(queue.dlq.name)
        consumer_metrics = metrics.get(queue.consumer)
        consumers.append(
            {
                "consumer": queue.consumer,
                **reading,
                "alert": {**alert.as_dict(), "read_at": alerts_read_at} if alert else None,
                "metrics": consumer_metrics.as_dict() if consumer_metrics else None,
            }
        )
    return {
        "generated_at": now_iso(),
        "metrics_configured": scraper.configured,
        "consumers": consumers,
        "errors": errors,
    }
