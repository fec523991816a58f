"""One look at a dev run: per-consumer queue depths, outcomes and alert state, plus the mail sent."""

import asyncio
from dataclasses import dataclass

from consumers.runtime.observer import Outcome
from fanout.aws import sync_client
from fanout.dev.environment import DevEnvironment
from fanout.dev.tally import Tally
from fanout.dev.traffic import Traffic
from fanout.local.smtp import ReceivedMail
from fanout.topology.depth import QueueDepth, read_depth
from monitor.service import QueueStatus


@dataclass(frozen=True)
class ConsumerRow:
    """One consumer's line of the table."""

    name: str
    routed: int  # published events its subscription filter lets through
    visible: int
    in_flight: int
    handled: int  # distinct events handled (duplicates skipped by idempotency count once)
    retried: int
    dead_lettered: int
    dlq: int
    alert: str  # "firing", "ok" or "" before the monitor's first check


@dataclass(frozen=True)
class Snapshot:
    """What the dashboard and the summary show."""

    elapsed_s: float
    published: int
    publish_failed: int
    publish_error: str
    rows: tuple[ConsumerRow, ...]
    mail_count: int
    recent_mail: tuple[ReceivedMail, ...]


async def _depths(env: DevEnvironment) -> dict[str, tuple[QueueDepth, QueueDepth]]:
    sqs = sync_client("sqs")

    async def both(name: str) -> tuple[QueueDepth, QueueDepth]:
        return await asyncio.gather(
            asyncio.to_thread(read_depth, sqs, env.topology.queue_url(name)),
            asyncio.to_thread(read_depth, sqs, env.topology.dlq_url(name)),
        )

    names = list(env.topology.deployed.consumers)
    return dict(zip(names, await asyncio.gather(*(both(name) for name in names)), strict=True))


def _alerts(statuses: list[QueueStatus]) -> dict[str, str]:
    return {status.reading.queue.consumer: "firing" if status.firing else "ok" for status in statuses}


async def take_snapshot(
    env: DevEnvironment,
    tally: Tally,
    traffic: Traffic,
    statuses: list[QueueStatus],
    elapsed_s: float,
    recent_mail: int = 5,
) -> Snapshot:
    """Read the queue depths and combine them with what the run counted."""
    depths = await _depths(env)
    alerts = _alerts(statuses)
    rows = tuple(
        ConsumerRow(
            name=name,
            routed=len(traffic.routed[name]),
            visible=queue.visible,
            in_flight=queue.in_flight,
            handled=len(tally.handled_ids[name]),
            retried=tally.outcomes[name][Outcome.RETRY],
            dead_lettered=tally.outcomes[name][Outcome.DEAD_LETTERED],
            dlq=dlq.total,
            alert=alerts.get(name, ""),
        )
        for name, (queue, dlq) in depths.items()
    )
    mails = env.mails()
    return Snapshot(
        elapsed_s=elapsed_s,
        published=traffic.published,
        publish_failed=traffic.failed,
        publish_error=traffic.last_error,
        rows=rows,
        mail_count=len(mails),
        recent_mail=tuple(mails[-recent_mail:]),
    )
