# The consumer's queue, its DLQ, their policies and the subscription to the orders topic: the same
# attributes fanout.topology.deploy applies to a local endpoint.
locals {
  suffix     = var.fifo ? ".fifo" : ""
  queue_name = "${var.environment}-${var.name}${local.suffix}"
  dlq_name   = "${var.environment}-${var.name}-dlq${local.suffix}"
}

resource "aws_sqs_queue" "dlq" {
  name                              = local.dlq_name
  fifo_queue                        = var.fifo # a DLQ is of its source queue's type
  content_based_deduplication       = false
  message_retention_seconds         = var.dlq_retention_s
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300
}

resource "aws_sqs_queue" "queue" {
  name                              = local.queue_name
  fifo_queue                        = var.fifo
  content_based_deduplication       = false
  delay_seconds                     = var.delay_s
  visibility_timeout_seconds        = var.visibility_timeout_s
  message_retention_seconds         = var.retention_s
  receive_wait_time_seconds         = var.receive_wait_s
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = var.max_receive_count
  })
}

# Only this consumer's queue may move messages into its DLQ.
resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  queue_url = aws_sqs_queue.dlq.id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.queue.arn]
  })
}

resource "aws_sqs_queue_policy" "queue" {
  queue_url = aws_sqs_queue.queue.id
  policy    = data.aws_iam_policy_document.queue.json
}

resource "aws_sqs_queue_policy" "dlq" {
  queue_url = aws_sqs_queue.dlq.id
  policy    = data.aws_iam_policy_document.tls_only["dlq"].json
}

# Both queues refuse any request that does not use TLS.
data "aws_iam_policy_document" "tls_only" {
  for_each = { queue = aws_sqs_queue.queue.arn, dlq = aws_sqs_queue.dlq.arn }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [each.value]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

# Only the orders topic may send to the queue.
data "aws_iam_policy_document" "queue" {
  source_policy_documents = [data.aws_iam_policy_document.tls_only["queue"].json]

  statement {
    sid       = "AllowOrdersTopic"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.queue.arn]
    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [var.topic_arn]
    }
  }
}

resource "aws_sns_topic_subscription" "queue" {
  topic_arn            = var.topic_arn
  protocol             = "sqs"
  endpoint             = aws_sqs_queue.queue.arn
  raw_message_delivery = true
  filter_policy        = jsonencode(var.filter_policy)
  filter_policy_scope  = "MessageAttributes"

  depends_on = [aws_sqs_queue_policy.queue] # SNS may deliver as soon as it subscribes
}
