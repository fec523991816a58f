"""The topology against a real endpoint: apply, idempotency, verify, drift, routing."""

import json

import pytest

from fanout.aws import sync_client
from fanout.contract import OrderShipped, new_event
from fanout.contract.wire import message_attributes
from fanout.topology import AppliedTopology, QueueSettings, TopologyClient, declared_topology
from fanout.topology.model import ConsumerSpec, Topology


def client() -> TopologyClient:
    return TopologyClient(sync_client("sns"), sync_client("sqs"))


def test_declared_consumers_and_filters() -> None:
    topology = declared_topology("prod")
    assert [c.name for c in topology.consumers] == ["email", "inventory", "analytics"]
    assert topology.consumer("inventory").filter_policy == {"event_type": ["order.cancelled", "order.placed"]}
    assert topology.queue_name("email") == "prod-email"
    assert topology.dlq_name("email") == "prod-email-dlq"
    assert topology.topic_name == "prod-orders"


def test_dlq_retention_must_exceed_source_retention() -> None:
    with pytest.raises(ValueError, match="dlq_retention_s"):
        QueueSettings(retention_s=1_209_600, dlq_retention_s=1_209_600)


@pytest.mark.conformance
def test_apply_creates_queues_with_redrive_and_policy(fanout_topology: AppliedTopology) -> None:
    sqs = sync_client("sqs")
    inventory = fanout_topology.deployed.consumers["inventory"]
    attributes = sqs.get_queue_attributes(QueueUrl=inventory.queue.url, AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "30"
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == inventory.dlq.arn
    assert int(redrive["maxReceiveCount"]) == 8
    policy = json.loads(attributes["Policy"])
    allow = policy["Statement"][0]
    assert allow["Condition"]["ArnEquals"]["aws:SourceArn"] == fanout_topology.deployed.topic_arn
    dlq = sqs.get_queue_attributes(QueueUrl=inventory.dlq.url, AttributeNames=["All"])["Attributes"]
    assert dlq["MessageRetentionPeriod"] == "1209600"


@pytest.mark.conformance
def test_apply_is_idempotent_and_verify_is_clean(fanout_topology: AppliedTopology) -> None:
    again = client().apply(fanout_topology.declared)
    assert again == fanout_topology.deployed
    subscriptions = sync_client("sns").list_subscriptions_by_topic(TopicArn=again.topic_arn)["Subscriptions"]
    assert len(subscriptions) == 3
    assert client().verify(fanout_topology.declared) == []


@pytest.mark.conformance
def test_verify_reports_drift_without_fixing_it(fanout_topology: AppliedTopology) -> None:
    sqs = sync_client("sqs")
    url = fanout_topology.queue_url("email")
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "5"})
    drifts = client().verify(fanout_topology.declared)
    email = fanout_topology.declared.queue_name("email")
    assert any("VisibilityTimeout" in drift and email in drift for drift in drifts)
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"] == {
        "VisibilityTimeout": "5"
    }
    client().apply(fanout_topology.declared)
    assert client().verify(fanout_topology.declared) == []


@pytest.mark.conformance
def test_verify_reports_missing_resources(fanout_prefix: str) -> None:
    assert client().verify(declared_topology(fanout_prefix)) == [
        f"topic {fanout_prefix}-orders does not exist"
    ]


@pytest.mark.conformance
def test_apply_updates_a_changed_filter_policy(fanout_topology: AppliedTopology) -> None:
    narrowed = Topology(
        prefix=fanout_topology.declared.prefix,
        consumers=(ConsumerSpec(name="email", event_types=frozenset({"order.shipped"})),),
    )
    drifts = client().verify(narrowed)
    assert any("FilterPolicy" in drift for drift in drifts)
    client().apply(narrowed)
    assert client().verify(narrowed) == []


@pytest.mark.conformance
def test_fan_out_reaches_exactly_the_subscribed_queues(fanout_topology: AppliedTopology) -> None:
    from datetime import UTC, datetime

    event = new_event(
        OrderShipped(order_id="o-1", carrier="DHL", tracking_number="T1", shipped_at=datetime.now(UTC))
    )
    sync_client("sns").publish(
        TopicArn=fanout_topology.deployed.topic_arn,
        Message=event.model_dump_json(),
        MessageAttributes=message_attributes(event),  # type: ignore[arg-type]
    )
    sqs = sync_client("sqs")
    received = {}
    for name in ("email", "inventory", "analytics"):
        messages = sqs.receive_message(
            QueueUrl=fanout_topology.queue_url(name), WaitTimeSeconds=1, MaxNumberOfMessages=10
        ).get("Messages", [])
        received[name] = [json.loads(m["Body"])["id"] for m in messages]
    assert received == {"email": [event.id], "inventory": [], "analytics": [event.id]}


def test_queue_delay_is_declared_per_consumer(fanout_endpoint: str) -> None:
    from fanout.local.endpoint import reset_endpoint

    reset_endpoint(fanout_endpoint)
    delayed = Topology(
        prefix="test",
        consumers=(
            ConsumerSpec(
                name="email", event_types=frozenset({"order.shipped"}), queue=QueueSettings(delay_s=2)
            ),
            ConsumerSpec(name="analytics", event_types=frozenset({"order.shipped"})),
        ),
    )
    deployed = client().apply(delayed)
    sqs = sync_client("sqs")
    email, analytics = (deployed.consumers[name].queue.url for name in ("email", "analytics"))
    assert sqs.get_queue_attributes(QueueUrl=email, AttributeNames=["DelaySeconds"])["Attributes"] == {
        "DelaySeconds": "2"
    }
    sqs.set_queue_attributes(QueueUrl=email, Attributes={"DelaySeconds": "0"})
    assert client().verify(delayed) == ["test-email: DelaySeconds is '0', want '2'"]
    client().apply(delayed)
    from datetime import UTC, datetime

    event = new_event(
        OrderShipped(order_id="o-1", carrier="DHL", tracking_number="T1", shipped_at=datetime.now(UTC))
    )
    sync_client("sns").publish(
        TopicArn=deployed.topic_arn,
        Message=event.model_dump_json(),
        MessageAttributes=message_attributes(event),  # type: ignore[arg-type]
    )
    assert len(sqs.receive_message(QueueUrl=analytics, WaitTimeSeconds=0).get("Messages", [])) == 1
    assert sqs.receive_message(QueueUrl=email, WaitTimeSeconds=0).get("Messages", []) == []  # delayed
    later = sqs.receive_message(QueueUrl=email, WaitTimeSeconds=5).get("Messages", [])
    assert [json.loads(message["Body"])["id"] for message in later] == [event.id]


def test_queue_delay_is_limited_to_what_sqs_allows() -> None:
    for wrong in (-1, 901):
        with pytest.raises(ValueError, match="delay_s"):
            QueueSettings(delay_s=wrong)
