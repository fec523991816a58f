"""Delayed delivery, the producer's half: `delay` becomes the envelope's `notbefore` extension."""

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import Drain
from test_producer_cli import PLACED, assert_one_line_error, run_cli

from fanout.contract import ORDER_EVENTS, OrderShipped, new_event
from fanout.contract.envelope import CloudEvent
from fanout.contract.wire import read_body
from fanout.topology import AppliedTopology, QueueSettings, declared_topology
from producer.async_publisher import AsyncPublisher
from producer.delays import InvalidDelay, parse_delay, with_delay
from producer.publisher import Publisher

EXTENSION_NAME = re.compile(r"^[a-z0-9]{1,20}$")  # CloudEvents 1.0 extension attribute names


def shipped(order_id: str = "ord-d-1") -> CloudEvent[OrderShipped]:
    return new_event(
        OrderShipped(order_id=order_id, carrier="DHL", tracking_number="T-1", shipped_at=datetime.now(UTC))
    )


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90), ("90s", 90), ("1.5s", 1.5), ("5m", 300), ("1h30m", 5400), ("2d", 172_800), ("1h0m5s", 3605)],
)
def test_parse_delay(text: str, seconds: float) -> None:
    assert parse_delay(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "soon", "5 minutes", "-5s", "5x", "m5"])
def test_parse_delay_refuses_what_is_not_a_duration(text: str) -> None:
    with pytest.raises(InvalidDelay, match="not a duration"):
        parse_delay(text)


def test_with_delay_sets_notbefore_and_checks_the_bound() -> None:
    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    event = shipped()
    [delayed] = with_delay([event], timedelta(seconds=90), longest_s=3600, now=now)
    assert delayed.notbefore == now + timedelta(seconds=90)
    assert (delayed.id, delayed.data) == (event.id, event.data)
    assert with_delay([event], 0, longest_s=3600, now=now) == [event]
    with pytest.raises(InvalidDelay, match="negative"):
        with_delay([event], -1, longest_s=3600)
    with pytest.raises(InvalidDelay, match="exceeds"):
        with_delay([event], 3601, longest_s=3600)


def test_the_declared_topology_honours_up_to_its_smallest_receive_budget() -> None:
    topology = declared_topology("test")
    # analytics has maxReceiveCount 3: two 12 h deferrals (less a minute each), then its handler.
    assert topology.longest_delay_s == 2 * (43_200 - 60)
    assert topology.consumer("inventory").queue.longest_delay_s == 7 * (43_200 - 60)
    short_lived = QueueSettings(max_receive_count=10, retention_s=7200)
    assert short_lived.longest_delay_s == 3600  # due an hour before retention would drop it


def test_notbefore_is_an_rfc3339_extension_written_only_when_set() -> None:
    assert EXTENSION_NAME.match("notbefore")
    event = shipped()
    assert "notbefore" not in json.loads(event.model_dump_json())
    due = datetime(2026, 12, 6, 12, 0, 5, tzinfo=UTC)
    document = json.loads(event.model_copy(update={"notbefore": due}).model_dump_json())
    assert document["notbefore"] == "2026-12-06T12:00:05Z"
    read = read_body(json.dumps(document))
    assert isinstance(read, CloudEvent) and read.notbefore == due
    naive = {**document, "notbefore": "2026-12-06T12:00:05"}
    with pytest.raises(Exception, match="with an offset"):
        ORDER_EVENTS.parse_envelope(naive)


def bodies(topology: AppliedTopology, drain: Drain) -> list[dict[str, Any]]:
    return [json.loads(message["Body"]) for message in drain(topology.queue_url("analytics"))]


def test_publisher_and_async_publisher_send_notbefore(fanout_topology: AppliedTopology, drain: Drain) -> None:
    before = datetime.now(UTC)
    Publisher().publish(shipped("ord-sync"), delay=timedelta(seconds=90))

    async def publish_async() -> None:
        async with AsyncPublisher() as publisher:
            await publisher.publish(shipped("ord-async"), delay=30)

    asyncio.run(publish_async())
    after = datetime.now(UTC)
    sent = {
        body["subject"]: datetime.fromisoformat(body["notbefore"]) for body in bodies(fanout_topology, drain)
    }
    assert before + timedelta(seconds=90) <= sent["ord-sync"] <= after + timedelta(seconds=90)
    assert before + timedelta(seconds=30) <= sent["ord-async"] <= after + timedelta(seconds=30)


def test_a_delay_longer_than_the_queues_honour_publishes_nothing(
    fanout_topology: AppliedTopology, drain: Drain
) -> None:
    with pytest.raises(InvalidDelay, match="exceeds"):
        Publisher().publish_many([shipped()], delay=timedelta(days=3))
    assert bodies(fanout_topology, drain) == []


def test_cli_delay_flag(
    fanout_topology: AppliedTopology, drain: Drain, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(
        ["publish", "order.placed", "--data", json.dumps(PLACED), "--delay", "soon"], capsys
    )
    assert_one_line_error(code, err, "not a duration")
    code, _, err = run_cli(["publish", "order.placed", "--data", json.dumps(PLACED), "--delay", "3d"], capsys)
    assert_one_line_error(code, err, "exceeds")
    assert bodies(fanout_topology, drain) == []
    code, _, _ = run_cli(["publish", "--demo", "3", "--delay", "2m"], capsys)
    assert code == 0
    sent = bodies(fanout_topology, drain)
    assert sent and all("notbefore" in body for body in sent)
    assert len({body["notbefore"] for body in sent}) == 1  # one due time for the whole call
