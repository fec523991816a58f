"""Through the real consumer runtime: bad messages dead-lettered, paged, redriven, handled, resolved."""

import io
from pathlib import Path

import pytest
from monitor_support import ManualClock, Receiver, eventually, shipped_body, visible

from consumers.runtime.consumer import Consumer
from consumers.runtime.context import HandlerContext
from consumers.runtime.errors import PermanentError
from consumers.runtime.service import Service, handles
from consumers.runtime.settings import ConsumerSettings
from fanout.aws import sync_client
from fanout.cli import main
from fanout.contract import CloudEvent, OrderShipped
from fanout.topology import AppliedTopology
from monitor.runner import open_monitor
from monitor.settings import MonitorSettings


class ShippingNotices(Service):
    """Fails every event while `broken`, as a service with a bad deploy would."""

    name = "email"

    def __init__(self) -> None:
        self.broken = True
        self.handled: list[str] = []

    @handles(OrderShipped)
    async def notify(self, event: CloudEvent[OrderShipped], context: HandlerContext) -> None:
        if self.broken:
            raise PermanentError("template missing")
        self.handled.append(event.data.order_id)


def run_cli(argv: list[str]) -> int:
    try:
        main(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


@pytest.mark.conformance
async def test_dead_letters_page_once_then_redrive_is_handled_and_purge_resolves(
    fanout_topology: AppliedTopology,
    test_env: str,
    tmp_path: Path,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    queue, dlq = fanout_topology.queue_url("email"), fanout_topology.dlq_url("email")
    sqs = sync_client("sqs")
    sqs.send_message(QueueUrl=queue, MessageBody="{poison")
    for order in ("o-1", "o-2"):
        body, attributes = shipped_body(order)
        sqs.send_message(QueueUrl=queue, MessageBody=body, MessageAttributes=attributes)
    service = ShippingNotices()
    consumer = Consumer(
        service, queue, dlq, ConsumerSettings(wait_time_s=1, drain_timeout_s=5, health_port=0)
    )
    settings = MonitorSettings(
        state_path=tmp_path / "alerts.sqlite3",
        webhook_urls=[f"{receiver.url}/hook"],
        thresholds={"email": {"depth": 3}},
        metrics_port=0,
    )

    async with consumer.running(), open_monitor(settings, clock=ManualClock()) as monitor:
        await eventually(lambda: visible(dlq) == 3, "three dead letters")
        await monitor.check()
        await monitor.check()
        [alert] = receiver.received("/hook")
        assert alert["kind"] == "firing" and alert["depth"] == 3
        assert {sample["reason"] for sample in alert["recent_reasons"]} == {"malformed", "permanent_failure"}

        service.broken = False
        assert run_cli(["dlq", "redrive", "email"]) == 0
        await eventually(lambda: sorted(service.handled) == ["o-1", "o-2"], "the redriven events handled")
        await eventually(lambda: visible(dlq) == 1, "the poison message back in the DLQ")
        await monitor.check()
        assert len(receiver.received("/hook")) == 1  # still firing, not yet due again

        monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
        assert run_cli(["dlq", "purge", "email"]) == 0
        await monitor.check()

    assert [a["kind"] for a in receiver.received("/hook")] == ["firing", "resolved"]
