"""What the Terraform grants, alarms on and runs: least privilege, alarms, hardened Fargate services."""

import re
from pathlib import Path

import hcl2
import pytest
from infra_files import (
    CONSUMER_MODULE,
    HCL_OPTIONS,
    MODULES,
    SERVICE_MODULE,
    TERRAFORM,
    dockerfile,
    labelled,
    resource,
    statements,
    terraform_module,
)

from consumers.runtime.settings import DEFAULT_DRAIN_TIMEOUT_S
from fanout.contract.payloads import KEY_PREFIX
from fanout.topology import declared_topology
from monitor.settings import MonitorSettings
from producer.outbox.cloudwatch import OLDEST_PENDING_AGE
from producer.outbox.settings import OutboxSettings


def test_consumer_task_role_is_least_privilege() -> None:
    granted = {
        sid: (sorted(statement["actions"]), statement["resources"])
        for sid, statement in statements(CONSUMER_MODULE, "task").items()
    }
    queue, dlq = "${aws_sqs_queue.queue.arn}", "${aws_sqs_queue.dlq.arn}"
    assert granted == {
        "ConsumeOwnQueue": (
            [
                "sqs:ChangeMessageVisibility",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl",
                "sqs:ReceiveMessage",
            ],
            [queue],
        ),
        "DeadLetterToOwnDlq": (["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"], [dlq]),
        "VerifyOwnSubscription": (["sns:ListSubscriptionsByTopic"], ["${var.topic_arn}"]),
        "FindTopicReadSubscription": (["sns:GetSubscriptionAttributes", "sns:ListTopics"], ["*"]),
        "UseMessageKey": (["kms:Decrypt", "kms:GenerateDataKey"], ["${var.kms_key_arn}"]),
        "ReadOffloadedPayloads": (["s3:GetObject"], ["${statement.value}/fanout/*"]),
        "OffloadOversizedDeadLetters": (["s3:PutObject"], ["${statement.value}/fanout/dead-letters/*"]),
    }
    for sid in ("ReadOffloadedPayloads", "OffloadOversizedDeadLetters"):
        payloads = statements(CONSUMER_MODULE, "task")[sid]
        assert payloads["for_each"] == "${var.payload_bucket_arn == null ? [] : [var.payload_bucket_arn]}"
    service = labelled(CONSUMER_MODULE, "module")["service"]
    assert service["task_policy_json"] == "${data.aws_iam_policy_document.task.json}"
    assert service["command"] == ["fanout", "consume", "${var.name}"]


def test_the_publisher_may_offload_only_under_the_payload_prefix() -> None:
    granted = statements(TERRAFORM, "publisher")
    assert granted["OffloadLargePayloads"]["actions"] == ["s3:PutObject"]
    assert granted["OffloadLargePayloads"]["resources"] == [f"${{statement.value}}/{KEY_PREFIX}*"]
    assert labelled(TERRAFORM, "module")["consumer"]["payload_bucket_arn"] == "${var.payload_bucket_arn}"


def test_monitor_reads_every_queue_and_publishes_only_to_the_alarm_topic() -> None:
    granted = statements(TERRAFORM, "monitor")
    assert granted["ReadQueueDepths"]["resources"] == "${local.all_queue_arns}"
    assert granted["ReadQueueDepths"]["actions"] == ["sqs:GetQueueAttributes", "sqs:GetQueueUrl"]
    # Receiving (a peek) only on the DLQs; never on a consumer's queue, never a delete or send.
    assert granted["PeekDeadLetters"]["resources"] == "${local.dlq_arns}"
    sqs_actions = {
        (action, statement["resources"] if isinstance(statement["resources"], str) else "")
        for statement in granted.values()
        for action in statement["actions"]
        if action.startswith("sqs:")
    }
    assert {action for action, resources in sqs_actions if resources != "${local.dlq_arns}"} == {
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
    }
    forbidden = {"sqs:DeleteMessage", "sqs:SendMessage", "sqs:PurgeQueue"}
    assert not {action for action, _ in sqs_actions} & forbidden
    assert granted["PublishAlerts"] == {
        "sid": "PublishAlerts",
        "actions": ["sns:Publish"],
        "resources": ["${aws_sns_topic.alarms.arn}"],
    }
    monitor = labelled(TERRAFORM, "module")["monitor"]
    assert monitor["command"] == ["fanout", "monitor"]
    assert monitor["desired_count"] == 1
    # The alarm topic reaches the monitor through a variable its settings read.
    assert "FANOUT_MONITOR_ALARM_TOPIC_ARN = aws_sns_topic.alarms.arn" in monitor["environment_variables"]
    assert "alarm_topic_arn" in MonitorSettings.model_fields


def test_the_dlq_tools_have_their_own_policy_apart_from_the_monitor() -> None:
    granted = statements(TERRAFORM, "dlq_tools")
    dead_letters = granted["InspectRedrivePurgeDeadLetters"]
    assert dead_letters["resources"] == "${local.dlq_arns}"
    assert {"sqs:PurgeQueue", "sqs:DeleteMessage", "sqs:StartMessageMoveTask"} <= set(dead_letters["actions"])
    assert granted["SendBackToSourceQueues"]["resources"] == "${local.source_queue_arns}"
    assert "sqs:ReceiveMessage" not in granted["SendBackToSourceQueues"]["actions"]
    policy = resource(TERRAFORM, "aws_iam_policy", "dlq_tools")
    assert policy["policy"] == "${data.aws_iam_policy_document.dlq_tools.json}"


def test_task_and_execution_roles_are_separate() -> None:
    definition = resource(SERVICE_MODULE, "aws_ecs_task_definition", "service")
    assert definition["task_role_arn"] == "${aws_iam_role.task.arn}"
    assert definition["execution_role_arn"] == "${aws_iam_role.execution.arn}"
    assert resource(SERVICE_MODULE, "aws_iam_role_policy", "task")["role"] == "${aws_iam_role.task.id}"


@pytest.mark.parametrize(
    ("alarm", "metric", "queue"),
    [
        ("dlq_depth", "ApproximateNumberOfMessagesVisible", "dlq"),
        ("oldest_message_age", "ApproximateAgeOfOldestMessage", "queue"),
    ],
)
def test_alarms_notify_the_alarm_topic_and_ignore_idle_queues(alarm: str, metric: str, queue: str) -> None:
    body = resource(CONSUMER_MODULE, "aws_cloudwatch_metric_alarm", alarm)
    assert (body["namespace"], body["metric_name"]) == ("AWS/SQS", metric)
    assert body["dimensions"] == {"QueueName": f"${{aws_sqs_queue.{queue}.name}}"}
    assert body["comparison_operator"] == "GreaterThanOrEqualToThreshold"
    assert body["treat_missing_data"] == "notBreaching"
    assert body["alarm_actions"] == body["ok_actions"] == ["${var.alarm_topic_arn}"]


def test_fargate_services_are_hardened() -> None:
    container = labelled(SERVICE_MODULE, "locals")["container"]
    assert container["readonlyRootFilesystem"] is True
    assert container["healthCheck"]["command"] == ["CMD", "python", "-m", "fanout.healthcheck"]
    # FANOUT_ENV (the code's name prefix) comes last in the merge: extra variables cannot change it.
    assert "merge(var.environment_variables, {FANOUT_ENV = var.environment," in container["environment"]
    service = resource(SERVICE_MODULE, "aws_ecs_service", "service")
    assert service["launch_type"] == "FARGATE"
    assert service["network_configuration"][0]["assign_public_ip"] is False
    log_group = resource(SERVICE_MODULE, "aws_cloudwatch_log_group", "service")
    assert log_group["retention_in_days"] == "${var.deployment.log_retention_days}"
    assert log_group["kms_key_id"] == "${var.deployment.kms_key_arn}"


def test_writable_mounts_cover_the_image_workdir() -> None:
    """With a read-only root filesystem, the image's working directory (SQLite files) must be a volume."""
    writable = labelled(SERVICE_MODULE, "locals")["writable_paths"]
    workdir = [i["value"] for i in dockerfile().structure if i["instruction"] == "WORKDIR"][-1]
    assert workdir in writable.values()
    assert "/tmp" in writable.values()


def test_queues_and_topics_are_encrypted_with_a_rotated_customer_key() -> None:
    key = resource(TERRAFORM, "aws_kms_key", "messages")
    assert key["enable_key_rotation"] is True
    for topic in ("orders", "alarms"):
        assert (
            resource(TERRAFORM, "aws_sns_topic", topic)["kms_master_key_id"] == "${aws_kms_key.messages.arn}"
        )
    sns = statements(TERRAFORM, "key")["SnsUsesKey"]
    assert sns["principals"][0]["identifiers"] == ["sns.amazonaws.com"]
    assert set(sns["actions"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}


@pytest.mark.parametrize(
    ("variable", "bounds"),
    [
        ("max_receive_count", ("1", "1000")),
        ("visibility_timeout_s", ("0", "43200")),
        ("retention_s", ("60", "1209600")),
        ("receive_wait_s", ("0", "20")),
    ],
)
def test_queue_variables_validate_the_aws_limits(variable: str, bounds: tuple[str, str]) -> None:
    conditions = " ".join(
        v["condition"] for v in labelled(CONSUMER_MODULE, "variable")[variable]["validation"]
    )
    low, high = bounds
    assert f"var.{variable} >= {low}" in conditions
    assert f"var.{variable} <= {high}" in conditions


@pytest.mark.parametrize("module", MODULES, ids=lambda path: path.name)
def test_every_variable_and_output_is_described_and_versions_are_pinned(module: Path) -> None:
    for kind in ("variable", "output"):
        for name, body in labelled(module, kind).items():
            assert body.get("description"), f"{kind} {name} has no description"
    (settings,) = terraform_module(module)["terraform"]
    assert re.fullmatch(r">= 1\.\d+\.\d+, < 2\.0\.0", settings["required_version"])
    assert settings["required_providers"][0]["aws"]["version"].startswith("~> 5.")


def test_example_tfvars_set_only_declared_variables_and_every_required_one() -> None:
    with (TERRAFORM / "terraform.tfvars.example").open() as source:
        example = hcl2.load(source, serialization_options=HCL_OPTIONS)
    variables = labelled(TERRAFORM, "variable")
    required = {name for name, body in variables.items() if "default" not in body}
    assert set(example) <= set(variables)
    assert required <= set(example)
    assert set(example["consumer_services"]) == {c.name for c in declared_topology("x").consumers}


def test_consumer_services_default_has_one_entry_per_consumer() -> None:
    default = labelled(TERRAFORM, "variable")["consumer_services"]["default"]
    assert set(default) == {consumer.name for consumer in declared_topology("x").consumers}


def test_the_ecs_stop_timeout_outlasts_the_default_drain() -> None:
    """drain + 5 s < stopTimeout: the consumer releases and flushes before ECS SIGKILLs it."""
    stop_timeout_s = labelled(SERVICE_MODULE, "variable")["stop_timeout_s"]["default"]
    assert stop_timeout_s > DEFAULT_DRAIN_TIMEOUT_S + 5
    for name, module in labelled(TERRAFORM, "module").items():
        assert module.get("stop_timeout_s", stop_timeout_s) > DEFAULT_DRAIN_TIMEOUT_S + 5, name


def test_the_outbox_relay_publishes_only_to_the_orders_topic_and_alarms_when_its_figures_stop() -> None:
    granted = statements(TERRAFORM, "outbox_relay")
    assert {sid: (sorted(s["actions"]), s["resources"]) for sid, s in granted.items()} == {
        "PublishOrderEvents": (["sns:Publish"], ["${aws_sns_topic.orders.arn}"]),
        "EncryptWithMessageKey": (["kms:Decrypt", "kms:GenerateDataKey"], ["${aws_kms_key.messages.arn}"]),
        "ReportOutboxMetrics": (["cloudwatch:PutMetricData"], ["*"]),
        "OffloadLargePayloads": (["s3:PutObject"], [f"${{statement.value}}/{KEY_PREFIX}*"]),
    }
    (condition,) = granted["ReportOutboxMetrics"]["condition"]
    assert condition["variable"] == "cloudwatch:namespace"
    assert condition["values"] == ["${local.outbox_metrics_namespace}"]

    relay = labelled(TERRAFORM, "module")["outbox_relay"]
    assert relay["command"] == ["fanout", "outbox", "relay"]
    assert relay["for_each"] == "${local.outbox_relay}"
    # The variables the relay reads (OutboxSettings: FANOUT_OUTBOX_<FIELD>).
    for variable in ("FANOUT_OUTBOX_TOPIC_ARN", "FANOUT_OUTBOX_CLOUDWATCH_NAMESPACE"):
        assert variable in relay["environment_variables"]
        assert variable.removeprefix("FANOUT_OUTBOX_").lower() in OutboxSettings.model_fields
    assert "FANOUT_OUTBOX_DATABASE_URL = each.value.database_url_secret_arn" in relay["secrets"]

    alarm = resource(TERRAFORM, "aws_cloudwatch_metric_alarm", "outbox_oldest_pending_age")
    assert (alarm["namespace"], alarm["metric_name"]) == (
        "${local.outbox_metrics_namespace}",
        OLDEST_PENDING_AGE,
    )
    assert alarm["dimensions"] == {"Environment": "${var.environment}"}
    assert alarm["treat_missing_data"] == "breaching"  # a dead relay sends nothing
    assert alarm["alarm_actions"] == alarm["ok_actions"] == ["${aws_sns_topic.alarms.arn}"]
    namespace = labelled(TERRAFORM, "locals")["outbox_metrics_namespace"]
    assert namespace == "Fanout/Outbox"
