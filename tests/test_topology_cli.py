"""`fanout topology apply / verify / show` and `fanout status` on the endpoint (any endpoint)."""

import json

import pytest
from endpoint_support import receive_at_least

from fanout.aws import sync_client
from fanout.cli import main
from fanout.contract import OrderShipped, new_event
from fanout.contract.wire import message_attributes


def run(argv: list[str]) -> int:
    try:
        main(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


@pytest.mark.conformance
def test_apply_then_verify_show_and_status(fanout_prefix: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["topology", "verify"]) == 1
    assert capsys.readouterr().err.strip() == f"drift: topic {fanout_prefix}-orders does not exist"

    assert run(["topology", "apply", "--json"]) == 0
    applied = json.loads(capsys.readouterr().out)
    assert run(["topology", "verify"]) == 0
    assert "topology matches the declaration" in capsys.readouterr().out
    assert run(["topology", "show", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == applied

    event = new_event(
        OrderShipped(order_id="o-1", carrier="DHL", tracking_number="T-1", shipped_at="2026-03-02T09:00:00Z")
    )
    sync_client("sns").publish(
        TopicArn=applied["topic_arn"],
        Message=event.model_dump_json(),
        MessageAttributes=message_attributes(event),  # type: ignore[arg-type]
    )
    email = applied["consumers"]["email"]["queue"]["url"]
    [received] = receive_at_least(email, 1)  # order.shipped: email and analytics, not inventory

    assert run(["status", "--json"]) == 0
    rows = {row["consumer"]: row for row in json.loads(capsys.readouterr().out)}
    assert (rows["email"]["visible"], rows["email"]["in_flight"]) == (0, 1)
    assert rows["inventory"]["visible"] + rows["inventory"]["in_flight"] == 0
    assert json.loads(received["Body"])["id"] == event.id
