"""The Terraform declares the same topology as the code: consumers, filters, limits, names, policies."""

from typing import Any

import pytest
from infra_files import CONSUMER_MODULE, TERRAFORM, labelled, resource, statements
from pydantic import ValidationError

from fanout.topology import Topology, declared_topology
from fanout.topology.declared import TopologySettings
from fanout.topology.deploy import fifo_attributes, queue_policy, redrive_allow_policy
from fanout.topology.model import ConsumerSpec, QueueSettings

QUEUE_FIELDS = (
    "max_receive_count",
    "visibility_timeout_s",
    "retention_s",
    "dlq_retention_s",
    "receive_wait_s",
    "delay_s",
)


def hcl_consumers() -> dict[str, dict[str, Any]]:
    """`local.consumers` of the root module: the HCL copy of the topology."""
    consumers: dict[str, dict[str, Any]] = labelled(TERRAFORM, "locals")["consumers"]
    return consumers


def code_consumer(consumer: ConsumerSpec) -> dict[str, Any]:
    """A consumer of the code in the shape of `local.consumers`."""
    return {"filter_policy": consumer.filter_policy, **consumer.queue.model_dump(include=set(QUEUE_FIELDS))}


def topology_differences(hcl: dict[str, dict[str, Any]], topology: Topology) -> list[str]:
    """Every consumer or value on which the HCL and the code disagree."""
    code = {consumer.name: code_consumer(consumer) for consumer in topology.consumers}
    differences = [f"{name}: only in HCL" for name in hcl.keys() - code.keys()]
    differences += [f"{name}: only in code" for name in code.keys() - hcl.keys()]
    for name in hcl.keys() & code.keys():
        for field in sorted(hcl[name].keys() | code[name].keys()):
            if hcl[name].get(field) != code[name].get(field):
                differences.append(
                    f"{name}.{field}: HCL {hcl[name].get(field)!r}, code {code[name].get(field)!r}"
                )
    return differences


def test_hcl_consumers_match_the_declared_topology() -> None:
    assert topology_differences(hcl_consumers(), declared_topology("parity")) == []


def changed(spec: ConsumerSpec, field: str, value: Any) -> ConsumerSpec:
    """The consumer with one value changed, as an edit of consumers/catalog.py would."""
    if field == "event_types":
        return spec.model_copy(update={field: value})
    return spec.model_copy(update={"queue": spec.queue.model_copy(update={field: value})})


@pytest.mark.parametrize(
    ("consumer", "field", "value"),
    [
        ("inventory", "max_receive_count", 9),
        ("email", "visibility_timeout_s", 61),
        ("analytics", "retention_s", 86_400),
        ("email", "dlq_retention_s", 1_000_000),
        ("email", "receive_wait_s", 10),
        ("analytics", "delay_s", 30),
        ("inventory", "event_types", frozenset({"order.placed"})),
    ],
)
def test_a_change_on_one_side_only_is_reported(consumer: str, field: str, value: Any) -> None:
    topology = declared_topology("parity")
    specs = tuple(
        changed(spec, field, value) if spec.name == consumer else spec for spec in topology.consumers
    )
    differences = topology_differences(hcl_consumers(), topology.model_copy(update={"consumers": specs}))
    expected_field = "filter_policy" if field == "event_types" else field
    assert [difference.split(":")[0] for difference in differences] == [f"{consumer}.{expected_field}"]


def test_a_consumer_missing_from_hcl_is_reported() -> None:
    hcl = {name: values for name, values in hcl_consumers().items() if name != "analytics"}
    assert topology_differences(hcl, declared_topology("parity")) == ["analytics: only in code"]


def test_the_root_passes_every_value_to_the_consumer_module() -> None:
    call = labelled(TERRAFORM, "module")["consumer"]
    assert call["source"] == "./modules/consumer"
    assert call["for_each"] == "${local.consumers}"
    assert call["name"] == "${each.key}"
    assert call["environment"] == "${var.environment}"
    for field in ("filter_policy", *QUEUE_FIELDS):
        assert call[field] == f"${{each.value.{field}}}", field


def render(template: str, environment: str, consumer: str) -> str:
    return template.replace("${var.environment}", environment).replace("${var.name}", consumer)


def suffix(locals_: dict[str, Any], name: str, fifo: bool) -> str:
    """The value of a `var.fifo ? ".fifo" : ""` local for one setting of `fifo`."""
    expression = locals_[name]
    assert expression == '${var.fifo ? ".fifo" : ""}', expression
    return ".fifo" if fifo else ""


@pytest.mark.parametrize("fifo", [False, True])
def test_names_follow_the_code(fifo: bool) -> None:
    topology = declared_topology("prod", fifo=fifo)
    root_locals = labelled(TERRAFORM, "locals")
    topic = resource(TERRAFORM, "aws_sns_topic", "orders")["name"]
    assert topic.replace("${var.environment}", "prod").replace(
        "${local.topic}", root_locals["topic"]
    ).replace("${local.fifo_suffix}", suffix(root_locals, "fifo_suffix", fifo)) == (topology.topic_name)
    names = labelled(CONSUMER_MODULE, "locals")
    for consumer in topology.consumers:
        for template, code in (("queue_name", topology.queue_name), ("dlq_name", topology.dlq_name)):
            rendered = render(names[template], "prod", consumer.name)
            assert rendered.replace("${local.suffix}", suffix(names, "suffix", fifo)) == code(consumer.name)
    assert resource(CONSUMER_MODULE, "aws_sqs_queue", "queue")["name"] == "${local.queue_name}"
    assert resource(CONSUMER_MODULE, "aws_sqs_queue", "dlq")["name"] == "${local.dlq_name}"


def test_fifo_is_one_switch_for_topic_queues_and_dlqs() -> None:
    """var.fifo reaches the topic, every queue and DLQ, and the services' FANOUT_TOPOLOGY_FIFO; content-
    based deduplication stays off (the producer sends the event id), as fanout.topology.deploy does."""
    assert labelled(TERRAFORM, "variable")["fifo"]["default"] is False
    topic = resource(TERRAFORM, "aws_sns_topic", "orders")
    assert (topic["fifo_topic"], topic["content_based_deduplication"]) == ("${var.fifo}", False)
    assert labelled(TERRAFORM, "module")["consumer"]["fifo"] == "${var.fifo}"
    for name in ("queue", "dlq"):
        queue = resource(CONSUMER_MODULE, "aws_sqs_queue", name)
        assert (queue["fifo_queue"], queue["content_based_deduplication"]) == ("${var.fifo}", False)
    assert fifo_attributes(declared_topology("x", fifo=True)) == {"ContentBasedDeduplication": "false"}
    service = labelled(CONSUMER_MODULE, "module")["service"]
    assert "FANOUT_TOPOLOGY_FIFO = tostring(var.fifo)" in service["environment_variables"]
    monitor = labelled(TERRAFORM, "module")["monitor"]
    assert "FANOUT_TOPOLOGY_FIFO = tostring(var.fifo)" in monitor["environment_variables"]
    assert (TopologySettings.model_config.get("env_prefix"), "fifo" in TopologySettings.model_fields) == (
        "FANOUT_TOPOLOGY_",
        True,
    )


def test_queue_delay_is_validated_like_the_code() -> None:
    validation = labelled(CONSUMER_MODULE, "variable")["delay_s"]["validation"][0]
    assert "var.delay_s <= 900" in validation["condition"] and "var.delay_s >= 0" in validation["condition"]
    assert QueueSettings(delay_s=900).delay_s == 900
    for wrong in (-1, 901):
        with pytest.raises(ValidationError):
            QueueSettings(delay_s=wrong)
    assert resource(CONSUMER_MODULE, "aws_sqs_queue", "queue")["delay_seconds"] == "${var.delay_s}"


def test_the_consumer_module_applies_its_values_to_the_queues() -> None:
    queue = resource(CONSUMER_MODULE, "aws_sqs_queue", "queue")
    assert queue["visibility_timeout_seconds"] == "${var.visibility_timeout_s}"
    assert queue["message_retention_seconds"] == "${var.retention_s}"
    assert queue["receive_wait_time_seconds"] == "${var.receive_wait_s}"
    assert "maxReceiveCount = var.max_receive_count" in queue["redrive_policy"]
    assert "deadLetterTargetArn = aws_sqs_queue.dlq.arn" in queue["redrive_policy"]
    dlq = resource(CONSUMER_MODULE, "aws_sqs_queue", "dlq")
    assert dlq["message_retention_seconds"] == "${var.dlq_retention_s}"
    for sqs_queue in (queue, dlq):
        assert sqs_queue["kms_master_key_id"] == "${var.kms_key_arn}"


def test_the_subscription_is_raw_and_filtered_like_the_code() -> None:
    subscription = resource(CONSUMER_MODULE, "aws_sns_topic_subscription", "queue")
    assert subscription["protocol"] == "sqs"
    assert subscription["endpoint"] == "${aws_sqs_queue.queue.arn}"
    assert subscription["raw_message_delivery"] is True
    assert subscription["filter_policy"] == "${jsonencode(var.filter_policy)}"
    assert subscription["filter_policy_scope"] == "MessageAttributes"


def test_redrive_allow_policy_is_limited_to_the_source_queue() -> None:
    allow = resource(CONSUMER_MODULE, "aws_sqs_queue_redrive_allow_policy", "dlq")["redrive_allow_policy"]
    code = redrive_allow_policy("SOURCE")
    assert f'redrivePermission = "{code["redrivePermission"]}"' in allow
    assert "sourceQueueArns = [aws_sqs_queue.queue.arn]" in allow


def test_queue_policy_statements_match_the_code() -> None:
    """Same statements as fanout.topology.deploy.queue_policy: only the topic sends; TLS only."""
    hcl = statements(CONSUMER_MODULE, "queue") | statements(CONSUMER_MODULE, "tls_only")
    queue_document = resource(CONSUMER_MODULE, "aws_iam_policy_document", "queue", family="data")
    assert queue_document["source_policy_documents"] == [
        '${data.aws_iam_policy_document.tls_only["queue"].json}'
    ]
    for statement in queue_policy("QUEUE", "TOPIC")["Statement"]:
        ours = hcl[statement["Sid"]]
        assert ours.get("effect", "Allow") == statement["Effect"]
        assert ours["actions"] == [statement["Action"]]
        principal = ours["principals"][0]
        expected_principal = statement["Principal"]
        if expected_principal == "*":
            assert (principal["type"], principal["identifiers"]) == ("*", ["*"])
        else:
            assert principal == {"type": "Service", "identifiers": [expected_principal["Service"]]}
        ((test, conditions),) = statement["Condition"].items()
        ((variable, value),) = conditions.items()
        condition = ours["condition"][0]
        assert (condition["test"], condition["variable"]) == (test, variable)
        assert condition["values"] == (["${var.topic_arn}"] if value == "TOPIC" else [value])


def test_dlq_retention_must_outlive_the_queue_in_hcl_too() -> None:
    validations = labelled(CONSUMER_MODULE, "variable")["dlq_retention_s"]["validation"]
    assert any(v["condition"] == "${var.dlq_retention_s > var.retention_s}" for v in validations)
