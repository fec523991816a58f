# The transactional outbox relay (`fanout outbox relay`): publishes what the order service stages in
# its PostgreSQL database. Off until var.outbox_relay.enabled (it needs that database's URL as a secret).
locals {
  outbox_relay             = var.outbox_relay.enabled ? { "outbox-relay" = var.outbox_relay } : {}
  outbox_metrics_namespace = "Fanout/Outbox"
  payload_bucket_name      = var.payload_bucket_arn == null ? null : element(split(":::", var.payload_bucket_arn), 1)
}

module "outbox_relay" {
  source   = "./modules/ecs-service"
  for_each = local.outbox_relay

  name             = each.key
  environment      = var.environment
  deployment       = local.deployment
  command          = ["fanout", "outbox", "relay"]
  task_policy_json = data.aws_iam_policy_document.outbox_relay.json
  cpu              = each.value.cpu
  memory           = each.value.memory
  # Relays in parallel never publish a row twice (FOR UPDATE SKIP LOCKED): a rolling deployment is safe.
  desired_count = each.value.desired_count
  environment_variables = merge(
    each.value.environment,
    local.payload_bucket_name == null ? {} : { FANOUT_PAYLOAD_BUCKET = local.payload_bucket_name },
    {
      FANOUT_OUTBOX_TOPIC_ARN            = aws_sns_topic.orders.arn
      FANOUT_OUTBOX_CLOUDWATCH_NAMESPACE = local.outbox_metrics_namespace
    },
  )
  secrets = merge(each.value.secrets, { FANOUT_OUTBOX_DATABASE_URL = each.value.database_url_secret_arn })
  egress  = each.value.egress
}

data "aws_iam_policy_document" "outbox_relay" {
  statement {
    sid       = "PublishOrderEvents"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.orders.arn]
  }
  statement {
    sid       = "EncryptWithMessageKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.messages.arn]
  }
  # PutMetricData has no resource-level permissions: the condition limits it to the outbox namespace.
  statement {
    sid       = "ReportOutboxMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = [local.outbox_metrics_namespace]
    }
  }
  dynamic "statement" {
    for_each = var.payload_bucket_arn == null ? [] : [var.payload_bucket_arn]
    content {
      sid       = "OffloadLargePayloads"
      actions   = ["s3:PutObject"]
      resources = ["${statement.value}/fanout/*"]
    }
  }
}

# Events wait in the outbox too long: the relay is down (it then sends no figures: missing data
# breaches), SNS is unreachable, or an event keeps failing (`fanout outbox status`).
resource "aws_cloudwatch_metric_alarm" "outbox_oldest_pending_age" {
  for_each = local.outbox_relay

  alarm_name          = "${var.environment}-outbox-oldest-pending-age"
  alarm_description   = "Events wait in the outbox longer than ${each.value.oldest_pending_age_alarm_s} s: check the ${var.environment}-outbox-relay service and fanout outbox status."
  namespace           = local.outbox_metrics_namespace
  metric_name         = "OldestPendingAge"
  dimensions          = { Environment = var.environment }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = each.value.oldest_pending_age_alarm_s
  treat_missing_data  = "breaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}
