# The DLQ monitor (`fanout monitor`): one task that reads every queue and DLQ and publishes
# alerts to the alarm topic, next to the CloudWatch alarms.
module "monitor" {
  source = "./modules/ecs-service"

  name                 = "monitor"
  environment          = var.environment
  deployment           = local.deployment
  command              = ["fanout", "monitor"]
  task_policy_json     = data.aws_iam_policy_document.monitor.json
  cpu                  = var.monitor_service.cpu
  memory               = var.monitor_service.memory
  desired_count        = 1
  # A singleton: the old task stops before the new one starts, so no alert is sent twice.
  deployment_minimum_healthy_percent = 0
  deployment_maximum_percent         = 100
  environment_variables = merge(var.monitor_service.environment, {
    FANOUT_MONITOR_ALARM_TOPIC_ARN = aws_sns_topic.alarms.arn
    FANOUT_TOPOLOGY_FIFO           = tostring(var.fifo)
  })
  secrets = var.monitor_service.secrets
  egress  = var.monitor_service.egress
}

locals {
  source_queue_arns = [for consumer in module.consumer : consumer.queue_arn]
  dlq_arns          = [for consumer in module.consumer : consumer.dlq_arn]
  all_queue_arns    = concat(local.source_queue_arns, local.dlq_arns)
}

# Least privilege: the monitor reads depths everywhere and peeks only at dead letters. It never
# receives from a consumer's queue; moving and deleting dead letters is the DLQ tools' policy below.
data "aws_iam_policy_document" "monitor" {
  statement {
    sid       = "ReadQueueDepths"
    actions   = ["sqs:GetQueueAttributes", "sqs:GetQueueUrl"]
    resources = local.all_queue_arns
  }
  # The oldest dead letter's age comes from a peek, which then restores the messages' visibility.
  statement {
    sid       = "PeekDeadLetters"
    actions   = ["sqs:ReceiveMessage", "sqs:ChangeMessageVisibility"]
    resources = local.dlq_arns
  }
  statement {
    sid       = "PublishAlerts"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]
  }
  statement {
    sid       = "ResolveTopology"
    actions   = ["sns:ListSubscriptionsByTopic"]
    resources = [aws_sns_topic.orders.arn]
  }
  # These support no resource-level permissions.
  statement {
    sid       = "FindTopicAndReadQueueMetrics"
    actions   = ["sns:ListTopics", "cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics"]
    resources = ["*"]
  }
  statement {
    sid       = "UseMessageKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.messages.arn]
  }
}

# `fanout dlq list / show / redrive / purge` run by an operator, not by the monitor: attach this
# policy to the role or group operators use (output dlq_tools_policy_arn).
resource "aws_iam_policy" "dlq_tools" {
  name        = "${var.environment}-fanout-dlq-tools"
  description = "fanout dlq tools: inspect, redrive and purge the consumers' dead-letter queues."
  policy      = data.aws_iam_policy_document.dlq_tools.json
}

data "aws_iam_policy_document" "dlq_tools" {
  statement {
    sid = "InspectRedrivePurgeDeadLetters"
    actions = [
      "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:ChangeMessageVisibility",
      "sqs:DeleteMessage", "sqs:PurgeQueue", "sqs:StartMessageMoveTask", "sqs:ListMessageMoveTasks",
      "sqs:CancelMessageMoveTask",
    ]
    resources = local.dlq_arns
  }
  # Redrive sends back to the source queue (StartMessageMoveTask, or the copy where it is missing).
  statement {
    sid       = "SendBackToSourceQueues"
    actions   = ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"]
    resources = local.source_queue_arns
  }
  statement {
    sid       = "ResolveTopology"
    actions   = ["sns:ListSubscriptionsByTopic"]
    resources = [aws_sns_topic.orders.arn]
  }
  statement {
    sid       = "FindTopic"
    actions   = ["sns:ListTopics"]
    resources = ["*"] # no resource-level permissions exist for it
  }
  statement {
    sid       = "UseMessageKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.messages.arn]
  }
}
