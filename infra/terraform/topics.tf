# The orders topic every consumer subscribes to, and the alarm topic on-call subscribes to.
resource "aws_sns_topic" "orders" {
  name              = "${var.environment}-${local.topic}${local.fifo_suffix}"
  kms_master_key_id = aws_kms_key.messages.arn
  # FIFO: the producer sets the message group (order id) and deduplication id (event id) itself.
  fifo_topic                  = var.fifo
  content_based_deduplication = false
}

resource "aws_sns_topic" "alarms" {
  name              = "${var.environment}-fanout-alarms"
  kms_master_key_id = aws_kms_key.messages.arn
}

resource "aws_sns_topic_subscription" "on_call" {
  for_each = { for subscription in var.alarm_subscriptions : "${subscription.protocol}:${subscription.endpoint}" => subscription }

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = each.value.protocol
  endpoint  = each.value.endpoint
}

# Attach to the order service's role: publish to the topic, with the key it is encrypted with.
resource "aws_iam_policy" "publisher" {
  name        = "${var.environment}-fanout-publisher"
  description = "Publish order events to ${aws_sns_topic.orders.name}"
  policy      = data.aws_iam_policy_document.publisher.json
}

data "aws_iam_policy_document" "publisher" {
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
  dynamic "statement" {
    for_each = var.payload_bucket_arn == null ? [] : [var.payload_bucket_arn]
    content {
      sid       = "OffloadLargePayloads"
      actions   = ["s3:PutObject"]
      resources = ["${statement.value}/fanout/*"]
    }
  }
}
