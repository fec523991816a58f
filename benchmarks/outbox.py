"""Outbox benchmark: relay throughput (and the raw batched publisher's, as its ceiling) and
commit → published latency with LISTEN/NOTIFY.

    python benchmarks/outbox.py [--database-url URL] [--events 2000] [--rate 50] [--seconds 10]

The database defaults to PostgreSQL at FANOUT_TEST_POSTGRES_URL (postgresql://postgres@127.0.0.1:5432/test);
the benchmark works in a schema of its own, dropped at the end. The endpoint is AWS_ENDPOINT_URL,
or moto in its own process. The topic has no subscriptions: moto's fan-out work would otherwise be
measured, not the relay's. Figures are printed and written to benchmarks/results/outbox-<UTC>.json.
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg

from fanout.aws import sync_client
from fanout.bench.endpoint import bench_endpoint
from fanout.topology import TopologyClient, declared_topology
from producer.demo import demo_events
from producer.outbox import TABLE, create_outbox, outbox_status, stage
from producer.outbox.runner import publish_pending
from producer.outbox.settings import OutboxSettings
from producer.publisher import Publisher

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_DATABASE = os.environ.get("FANOUT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def scratch_schema(url: str) -> Iterator[str]:
    """A URL whose search_path is a fresh schema, dropped afterwards."""
    schema = f"fanout_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            separator = "&" if "?" in url else "?"
            yield f"{url}{separator}options={quote(f'-csearch_path={schema}')}"
        finally:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


def topic_without_subscriptions() -> str:
    sns = sync_client("sns")
    deployed = TopologyClient(sns, sync_client("sqs")).apply(declared_topology())
    for consumer in deployed.consumers.values():
        if consumer.subscription_arn:
            sns.unsubscribe(SubscriptionArn=consumer.subscription_arn)
    return deployed.topic_arn


def throughput(url: str, topic_arn: str, events: int, seed: int) -> dict[str, Any]:
    """Stage `events` in one commit, time `relay --once`; then the same count through Publisher directly."""
    staged = list(demo_events(events, seed=seed))
    with psycopg.connect(url) as connection:
        for event in staged:
            stage(connection, event)
    started = time.perf_counter()
    published = publish_pending(OutboxSettings(database_url=url, topic_arn=topic_arn, batch_size=500))
    relay_s = time.perf_counter() - started
    assert published == events, f"published {published} of {events}"
    direct = list(demo_events(events, seed=seed + 1))
    started = time.perf_counter()
    Publisher(topic_arn=topic_arn).publish_many(direct).raise_for_failures()
    direct_s = time.perf_counter() - started
    return {
        "events": events,
        "relay_events_per_s": round(events / relay_s, 1),
        "publisher_events_per_s": round(events / direct_s, 1),
        "relay_vs_publisher": round(direct_s / relay_s, 2),
    }


def latency(url: str, topic_arn: str, rate: float, seconds: float, seed: int) -> dict[str, Any]:
    """A relay process (poll interval 30 s: only NOTIFY wakes it sooner); one commit per event at `rate`."""
    relay = subprocess.Popen(
        [sys.executable, "-m", "fanout.cli", "outbox", "relay", "--database-url", url],
        env={
            **os.environ,
            "FANOUT_OUTBOX_TOPIC_ARN": topic_arn,
            "FANOUT_OUTBOX_POLL_INTERVAL_S": "30",
            "FANOUT_OUTBOX_METRICS_PORT": "0",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    count = int(rate * seconds)
    warm_up, *events = list(demo_events(count + 1, seed=seed))
    try:
        with psycopg.connect(url) as connection:
            with connection.transaction():  # the relay's first round makes its clients: not measured
                stage(connection, warm_up)
            while outbox_status(url).pending:
                time.sleep(0.1)
            started = time.perf_counter()
            for number, event in enumerate(events):
                time.sleep(max(0.0, started + number / rate - time.perf_counter()))
                with connection.transaction():
                    stage(connection, event)
        deadline = time.monotonic() + 60
        while outbox_status(url).pending and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        relay.send_signal(signal.SIGTERM)
        relay.wait(timeout=30)
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            f"SELECT published_at - created_at FROM {TABLE} WHERE event_id = ANY(%s)",
            ([e.id for e in events],),
        ).fetchall()
    delays_ms = sorted(row[0] * 1000 for row in rows if row[0] is not None)
    assert len(delays_ms) == count, f"{count - len(delays_ms)} event(s) not published"
    cuts = statistics.quantiles(delays_ms, n=100)
    return {
        "events": count,
        "rate_per_s": rate,
        "p50_ms": round(cuts[49], 1),
        "p95_ms": round(cuts[94], 1),
        "p99_ms": round(cuts[98], 1),
        "max_ms": round(delays_ms[-1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python benchmarks/outbox.py", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default=DEFAULT_DATABASE, help="PostgreSQL (a scratch schema is used)"
    )
    parser.add_argument("--events", type=int, default=2000, help="events for the throughput phase")
    parser.add_argument("--rate", type=float, default=50.0, help="commits per second in the latency phase")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the latency phase")
    parser.add_argument("--seed", type=int, default=7)
    arguments = parser.parse_args()
    os.environ.setdefault("FANOUT_ENV", "bench")
    with bench_endpoint() as endpoint, scratch_schema(arguments.database_url) as url:
        create_outbox(url)
        topic_arn = topic_without_subscriptions()
        figures = {
            "endpoint": endpoint.kind,
            "throughput": throughput(url, topic_arn, arguments.events, arguments.seed),
            "latency": latency(url, topic_arn, arguments.rate, arguments.seconds, arguments.seed + 2),
        }
    print(json.dumps(figures, indent=2))
    RESULTS.mkdir(exist_ok=True)
    target = RESULTS / f"outbox-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    target.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"written to {target}", file=sys.stderr)


if __name__ == "__main__":
    main()
