"""The example order service: 202 + Location, the order's events and whether each was published."""

import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from outbox_support import receive_event_ids

from fanout.topology import AppliedTopology
from producer.outbox.runner import publish_pending
from producer.outbox.settings import OutboxSettings

sys.path.append(str(Path(__file__).resolve().parents[2]))  # the repository root: examples/

from examples.order_service.app import create_app
from examples.order_service.database import OrderDatabase

ORDER = {
    "customer_id": "cust-9",
    "customer_email": "ada@example.com",
    "currency": "EUR",
    "items": [
        {"sku": "MUG", "quantity": 2, "unit_price": "9.99"},
        {"sku": "TEA", "quantity": 1, "unit_price": "4.50"},
    ],
}


@pytest.fixture
async def client(outbox_url: str) -> AsyncIterator[TestClient[Any, Any]]:
    database = await OrderDatabase.open(outbox_url)
    async with TestClient(TestServer(create_app(database))) as test_client:
        yield test_client
    await database.close()


async def test_an_order_is_accepted_and_its_event_published_by_the_relay(
    client: TestClient[Any, Any], outbox_url: str, fanout_topology: AppliedTopology
) -> None:
    response = await client.post("/orders", json=ORDER)
    assert response.status == 202
    accepted = await response.json()
    assert response.headers["Location"] == f"/orders/{accepted['order_id']}"

    shown = await (await client.get(response.headers["Location"])).json()
    assert shown["total"] == "24.48"
    assert [(e["id"], e["type"], e["published"]) for e in shown["events"]] == [
        (accepted["event_id"], "order.placed", False)
    ]

    assert publish_pending(OutboxSettings(database_url=outbox_url)) == 1
    shown = await (await client.get(response.headers["Location"])).json()
    assert shown["events"][0]["published"] is True and shown["events"][0]["message_id"]
    assert receive_event_ids(fanout_topology.queue_url("analytics")) == {accepted["event_id"]: 1}


async def test_invalid_orders_and_repeats_stage_nothing(
    client: TestClient[Any, Any], outbox_url: str
) -> None:
    bad = await client.post("/orders", json={**ORDER, "currency": "EURO"})
    assert bad.status == 400 and "currency" in (await bad.json())["error"]
    assert (await client.post("/orders", data=b"{not json")).status == 400

    first = await client.post("/orders", json={**ORDER, "order_id": "ord-fixed"})
    assert first.status == 202
    repeat = await client.post("/orders", json={**ORDER, "order_id": "ord-fixed"})
    assert repeat.status == 409  # the transaction rolled back: no second order, no second event
    shown = await (await client.get("/orders/ord-fixed")).json()
    assert [e["id"] for e in shown["events"]] == [(await first.json())["event_id"]]
    assert (await client.get("/orders/ord-none")).status == 404
