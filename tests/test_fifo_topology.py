"""FIFO declared once: FANOUT_TOPOLOGY_FIFO=true makes `fanout topology`, `publish`, `status`,
`dlq` and `monitor` work on a `.fifo` topic, queues and DLQs (moto server, real clients)."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fanout.aws import sync_client
from fanout.cli import main
from fanout.contract.deadletter import DeadLetterAttribute
from fanout.local.endpoint import reset_endpoint
from fanout.testing.plugin import TEST_PREFIX
from fanout.topology import TopologyClient, declared_topology
from fanout.topology.deploy import DeployedTopology

PLACED = {
    "order_id": "ord-fifo-1",
    "customer_id": "cust-1",
    "customer_email": "ada@example.com",
    "items": [{"sku": "MUG", "quantity": 2, "unit_price": "9.99"}],
    "total": "19.98",
    "currency": "EUR",
    "placed_at": "2026-03-01T09:00:00Z",
}


def run(argv: list[str]) -> int:
    """Run the CLI in-process and return its exit code."""
    try:
        main(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


def client() -> TopologyClient:
    return TopologyClient(sync_client("sns"), sync_client("sqs"))


@pytest.fixture
def fifo_env(fanout_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """An empty endpoint; FANOUT_ENV=test and FANOUT_TOPOLOGY_FIFO=true."""
    reset_endpoint(fanout_endpoint)
    monkeypatch.setenv("FANOUT_ENV", TEST_PREFIX)
    monkeypatch.setenv("FANOUT_TOPOLOGY_FIFO", "true")
    yield


def applied(capsys: pytest.CaptureFixture[str]) -> DeployedTopology:
    """`fanout topology apply`, then what it deployed."""
    assert run(["topology", "apply", "--json"]) == 0
    capsys.readouterr()
    return client().resolve(declared_topology())


def receive_all(queue_url: str) -> list[dict[str, Any]]:
    """Receive and delete every message of a queue, with its system attributes."""
    sqs = sync_client("sqs")
    found: list[dict[str, Any]] = []
    while batch := sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0, MessageSystemAttributeNames=["All"]
    ).get("Messages", []):
        found += [dict(message) for message in batch]
        for message in batch:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return found


def test_fifo_names_end_with_fifo_and_keep_their_limits() -> None:
    topology = declared_topology("prod", fifo=True)
    assert topology.topic_name == "prod-orders.fifo"
    assert topology.queue_name("email") == "prod-email.fifo"
    assert topology.dlq_name("email") == "prod-email-dlq.fifo"
    longest = declared_topology("a" * 31, fifo=True)
    assert max(len(longest.dlq_name(c.name)) for c in longest.consumers) <= 80  # SQS queue name limit
    assert declared_topology("prod").dlq_name("email") == "prod-email-dlq"


def test_the_setting_chooses_fifo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FANOUT_TOPOLOGY_FIFO", "true")
    assert declared_topology("x").fifo
    monkeypatch.setenv("FANOUT_TOPOLOGY_FIFO", "false")
    assert not declared_topology("x").fifo


def test_apply_creates_only_fifo_resources(fifo_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    deployed = applied(capsys)
    sns, sqs = sync_client("sns"), sync_client("sqs")
    topics = [topic["TopicArn"] for topic in sns.list_topics()["Topics"]]
    assert topics == [deployed.topic_arn] and deployed.topic_arn.endswith(":test-orders.fifo")
    topic = sns.get_topic_attributes(TopicArn=deployed.topic_arn)["Attributes"]
    assert (topic["FifoTopic"], topic["ContentBasedDeduplication"]) == ("true", "false")
    urls = sqs.list_queues()["QueueUrls"]
    assert len(urls) == 6 and all(url.endswith(".fifo") for url in urls)
    for url in urls:
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert (attributes["FifoQueue"], attributes["ContentBasedDeduplication"]) == ("true", "false")
    email = deployed.consumers["email"]
    redrive = json.loads(
        sqs.get_queue_attributes(QueueUrl=email.queue.url, AttributeNames=["RedrivePolicy"])["Attributes"][
            "RedrivePolicy"
        ]
    )
    assert redrive["deadLetterTargetArn"] == email.dlq.arn and email.dlq.name == "test-email-dlq.fifo"
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=deployed.topic_arn)["Subscriptions"]
    assert sorted(s["Endpoint"].rsplit(":", 1)[1] for s in subscriptions) == [
        "test-analytics.fifo",
        "test-email.fifo",
        "test-inventory.fifo",
    ]


def test_apply_again_verify_and_show(fifo_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    first = applied(capsys)
    assert run(["topology", "apply"]) == 0
    capsys.readouterr()
    assert run(["topology", "verify"]) == 0
    assert "matches" in capsys.readouterr().out
    assert run(["consume", "email", "--check"]) == 0  # the consumer finds and verifies its .fifo queue
    assert "topology matches" in capsys.readouterr().out
    assert run(["topology", "show", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["topic_arn"] == first.topic_arn
    assert shown["consumers"]["inventory"]["dlq"]["name"] == "test-inventory-dlq.fifo"
    assert len(sync_client("sqs").list_queues()["QueueUrls"]) == 6  # nothing standard appeared


def test_verify_reports_content_based_deduplication_turned_on(
    fifo_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed = applied(capsys)
    sync_client("sqs").set_queue_attributes(
        QueueUrl=deployed.consumers["email"].queue.url, Attributes={"ContentBasedDeduplication": "true"}
    )
    sync_client("sns").set_topic_attributes(
        TopicArn=deployed.topic_arn, AttributeName="ContentBasedDeduplication", AttributeValue="true"
    )
    drifts = client().verify(declared_topology())
    assert sorted(drift.split(":")[0] for drift in drifts) == ["test-email.fifo", "test-orders.fifo"]
    # A consumer verifying its own part does not read the topic (its task role may not).
    assert client().verify(declared_topology(), ["inventory"]) == []
    assert run(["topology", "verify"]) == 1
    client().apply(declared_topology())
    assert client().verify(declared_topology()) == []


def test_a_standard_deployment_does_not_pass_for_fifo(fifo_env: None) -> None:
    client().apply(declared_topology(fifo=False))
    assert client().verify(declared_topology()) == ["topic test-orders.fifo does not exist"]


def test_publish_sets_group_and_deduplication_ids(fifo_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    deployed = applied(capsys)
    assert run(["publish", "order.placed", "--data", json.dumps(PLACED)]) == 0
    assert run(["publish", "order.placed", "--data", json.dumps(PLACED)]) == 0  # a new event id
    messages = receive_all(deployed.consumers["inventory"].queue.url)
    assert len(messages) == 2
    for message in messages:
        event = json.loads(message["Body"])
        assert message["Attributes"]["MessageGroupId"] == "ord-fifo-1" == event["subject"]
        assert message["Attributes"]["MessageDeduplicationId"] == event["id"]


def test_status_monitor_and_dlq_tools_work_on_fifo_dlqs(
    fifo_env: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    deployed = applied(capsys)
    sqs = sync_client("sqs")
    dlq = deployed.consumers["email"].dlq
    for index in range(3):
        sqs.send_message(
            QueueUrl=dlq.url,
            MessageBody=json.dumps({"not": "an event", "index": index}),
            MessageGroupId=f"ord-{index % 2}",
            MessageDeduplicationId=f"dead-{index}",
            MessageAttributes={
                DeadLetterAttribute.REASON.value: {"DataType": "String", "StringValue": "malformed"}
            },
        )
    assert run(["status", "--json"]) == 0
    rows = {row["consumer"]: row["dlq"] for row in json.loads(capsys.readouterr().out)}
    assert rows == {"email": 3, "inventory": 0, "analytics": 0}
    assert run(["monitor", "--once", "--state", str(tmp_path / "state.db")]) == 3  # over the threshold
    capsys.readouterr()
    assert run(["dlq", "show", "email", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["depth"] == 3
    assert run(["dlq", "redrive", "email"]) == 0
    back = receive_all(deployed.consumers["email"].queue.url)
    assert sorted(message["Attributes"]["MessageGroupId"] for message in back) == ["ord-0", "ord-0", "ord-1"]
    assert sorted(json.loads(message["Body"])["index"] for message in back) == [0, 1, 2]
    attributes = sqs.get_queue_attributes(QueueUrl=dlq.url, AttributeNames=["All"])["Attributes"]
    assert int(attributes["ApproximateNumberOfMessages"]) == 0
