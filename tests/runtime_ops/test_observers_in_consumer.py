"""Operations pieces wired into a real Consumer on the moto endpoint: spy, metrics, logs, store, health."""

import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from consumers.runtime.consumer import Consumer
from consumers.runtime.context import HandlerContext
from consumers.runtime.health import serve_health
from consumers.runtime.idempotency_stores import SqliteStore
from consumers.runtime.logs import OUTCOME_LOGGER, LoggingObserver, configure_logging, flush_logs
from consumers.runtime.metrics import UNDECODED_EVENT_TYPE, MetricsObserver
from consumers.runtime.observer import Outcome
from consumers.runtime.service import Service, handles
from consumers.runtime.settings import ConsumerSettings
from fanout.aws import sync_client
from fanout.contract import OrderCancelled
from fanout.contract.envelope import CloudEvent
from fanout.contract.wire import message_attributes
from fanout.testing.spy import HandlerSpy
from fanout.topology import AppliedTopology
from runtime_ops.support import cancelled_event, json_lines


class Cancellations(Service):
    """Counts the order.cancelled events it handles."""

    name = f"ops-{uuid.uuid4().hex[:8]}"  # its own metrics series on the shared registry

    def __init__(self) -> None:
        self.handled: list[str] = []

    @handles(OrderCancelled)
    async def on_cancelled(self, event: CloudEvent[OrderCancelled], context: HandlerContext) -> None:
        self.handled.append(event.id)


def send(queue_url: str, body: str, attributes: dict[str, Any]) -> None:
    sync_client("sqs").send_message(QueueUrl=queue_url, MessageBody=body, MessageAttributes=attributes)


@pytest.mark.usefixtures("restore_logging")
async def test_a_duplicate_and_a_malformed_message_as_operators_see_them(
    fanout_topology: AppliedTopology,
    handler_spy: HandlerSpy,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(json=True, level="debug")
    service, store = Cancellations(), SqliteStore(tmp_path / "idempotency.db")
    settings = ConsumerSettings(wait_time_s=1, drain_timeout_s=5, health_port=0, busy_retry_delay_s=0)
    queue_url = fanout_topology.queue_url("email")
    consumer = Consumer(
        service,
        queue_url,
        fanout_topology.dlq_url("email"),
        settings,
        observers=[handler_spy, MetricsObserver(), LoggingObserver()],
        idempotency=store,
    )
    event = cancelled_event()
    for _ in range(2):  # SQS at-least-once: the same event delivered twice
        send(queue_url, event.model_dump_json(), dict(message_attributes(event)))
    send(queue_url, "{not json", {})

    async with serve_health(consumer, port=0, host="127.0.0.1") as server, aiohttp.ClientSession() as http:
        async with consumer.running():
            await handler_spy.wait_for(event_id=event.id, outcome=Outcome.HANDLED, timeout=20)
            await handler_spy.wait_for(event_id=event.id, outcome=Outcome.DUPLICATE, timeout=20)
            malformed = await handler_spy.wait_for(outcome=Outcome.DEAD_LETTERED, timeout=20)
            async with http.get(f"{server.url}/readyz") as response:
                assert response.status == 200
            async with http.get(f"{server.url}/metrics") as response:
                exposition = await response.text()
        async with http.get(f"{server.url}/readyz") as response:
            assert response.status == 503  # stopped

    await store.close()
    assert service.handled == [event.id]
    assert malformed.event is None
    messages = {
        (sample.labels["event_type"], sample.labels["outcome"]): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        if sample.name == "fanout_consumer_messages_total" and sample.labels["consumer"] == service.name
    }
    assert messages[event.type, Outcome.HANDLED] == 1
    assert messages[event.type, Outcome.DUPLICATE] == 1
    assert messages[UNDECODED_EVENT_TYPE, Outcome.DEAD_LETTERED] == 1
    assert flush_logs()
    output = capsys.readouterr().err
    lines = json_lines(output)
    logged = [line for line in lines if line["logger"] == OUTCOME_LOGGER and line.get("event_id") == event.id]
    [dead_letter] = [line for line in lines if line["event"] == "dead-lettered"]  # one line per dead letter
    assert dead_letter["level"] == "error"
    assert dead_letter["reason"] and dead_letter["message_id"] == malformed.context.message_id
    assert "{not json" not in output  # never the body
    assert {line["outcome"] for line in logged} >= {Outcome.HANDLED, Outcome.DUPLICATE}
    assert all(line["correlation_id"] == event.correlationid for line in logged)
