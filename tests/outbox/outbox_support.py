"""Helpers of the outbox tests: staging events, reading the outbox and the queues."""

import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import psycopg

from fanout.aws import sync_client
from fanout.contract.envelope import CloudEvent, new_event
from fanout.contract.orders import OrderCancelled, OrderItem, OrderPlaced, OrderShipped
from fanout.contract.registry import ORDER_EVENTS
from fanout.contract.wire import read_body
from producer.outbox import TABLE, stage

Connect = Callable[[], Any]
"""Opens a DB-API connection (psycopg or sqlite3) to the outbox's database."""


def stage_committed(url: str, events: Iterable[CloudEvent[Any]], *, rollback: bool = False) -> None:
    """Stage each event in a transaction of its own, committed (or rolled back)."""
    for event in events:
        if url.startswith("sqlite:///"):
            with sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30) as lite:
                stage(lite, event)
                if rollback:
                    lite.rollback()
            lite.close()
        else:
            with psycopg.connect(url) as connection:
                stage(connection, event)
                if rollback:
                    connection.rollback()


def rows(url: str, columns: str = "event_id, published_at") -> list[tuple[Any, ...]]:
    sql = f"SELECT {columns} FROM {TABLE} ORDER BY id"
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30) as lite:
            result = list(lite.execute(sql).fetchall())
        lite.close()
        return result
    with psycopg.connect(url, autocommit=True) as connection:
        return list(connection.execute(sql).fetchall())


def receive_event_ids(queue_url: str) -> Counter[str]:
    """Event id → how many messages carry it, for everything the queue holds now (deleted as read)."""
    sqs = sync_client("sqs")
    seen: Counter[str] = Counter()
    while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
        "Messages", []
    ):
        for message in batch:
            event = read_body(message["Body"], ORDER_EVENTS)
            assert isinstance(event, CloudEvent)
            seen[event.id] += 1
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)],
        )
    return seen


def placed(order_id: str, lines: int = 1) -> CloudEvent[Any]:
    """An order.placed event with `lines` order lines (about 60 bytes each)."""
    items = [OrderItem(sku=f"SKU-{n}", quantity=1, unit_price=Decimal("1.50")) for n in range(lines)]
    return new_event(
        OrderPlaced(
            order_id=order_id,
            customer_id="cust-1",
            customer_email="ada@example.com",
            items=items,
            total=Decimal("1.50") * lines,
            currency="EUR",
            placed_at=datetime(2026, 3, 1, tzinfo=UTC),
        )
    )


def cancelled(order_id: str) -> CloudEvent[Any]:
    return new_event(
        OrderCancelled(
            order_id=order_id, reason="customer request", cancelled_at=datetime(2026, 3, 3, tzinfo=UTC)
        )
    )


def shipped(order_id: str) -> CloudEvent[Any]:
    return new_event(
        OrderShipped(
            order_id=order_id,
            carrier="DHL",
            tracking_number="T-1",
            shipped_at=datetime(2026, 3, 2, tzinfo=UTC),
        )
    )
