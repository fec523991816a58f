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
  all_queue_arns = flatten([for consumer in module.consumer : [consumer.queue_arn, consumer.dlq_arn]])
}

data "aws_iam_policy_document" "monitor" {
  # Depth and age of every queue and DLQ; peeking at dead letters restores their visibility.
  statement {
    sid       = "ReadEveryQueue"
    actions   = ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:ChangeMessageVisibility"]
    resources = local.all_queue_arns
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
