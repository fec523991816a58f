# The consumer's ECS service (`fanout consume NAME`) and its backlog-per-task autoscaling.
module "service" {
  source = "../ecs-service"

  name                  = var.name
  environment           = var.environment
  deployment            = var.deployment
  command               = ["fanout", "consume", var.name]
  task_policy_json      = data.aws_iam_policy_document.task.json
  cpu                   = var.service.cpu
  memory                = var.service.memory
  desired_count         = var.service.min_tasks
  # Claim checks are read only from the payload bucket (the consumer's allow-list), and dead
  # letters too large for SQS are offloaded there.
  environment_variables = merge(
    var.service.environment,
    { FANOUT_TOPOLOGY_FIFO = tostring(var.fifo) },
    var.payload_bucket_arn == null ? {} : { FANOUT_PAYLOAD_BUCKET = split(":::", var.payload_bucket_arn)[1] },
  )
  secrets               = var.service.secrets
  egress                = var.service.egress
}

# Least privilege: consume its own queue, dead-letter to its own DLQ, verify its own part of the
# topology at start-up (TopologyClient.verify), use the message key, read offloaded payloads and
# offload dead letters too large for SQS (when a payload bucket is set). Nothing else.
data "aws_iam_policy_document" "task" {
  statement {
    sid       = "ConsumeOwnQueue"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"]
    resources = [aws_sqs_queue.queue.arn]
  }
  statement {
    sid       = "DeadLetterToOwnDlq"
    actions   = ["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"]
    resources = [aws_sqs_queue.dlq.arn]
  }
  statement {
    sid       = "VerifyOwnSubscription"
    actions   = ["sns:ListSubscriptionsByTopic"]
    resources = [var.topic_arn]
  }
  # ListTopics and GetSubscriptionAttributes support no resource-level permissions.
  statement {
    sid       = "FindTopicReadSubscription"
    actions   = ["sns:ListTopics", "sns:GetSubscriptionAttributes"]
    resources = ["*"]
  }
  statement {
    sid       = "UseMessageKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
  dynamic "statement" {
    for_each = var.payload_bucket_arn == null ? [] : [var.payload_bucket_arn]
    content {
      sid       = "ReadOffloadedPayloads"
      actions   = ["s3:GetObject"]
      resources = ["${statement.value}/fanout/*"]
    }
  }
  dynamic "statement" {
    for_each = var.payload_bucket_arn == null ? [] : [var.payload_bucket_arn]
    content {
      sid       = "OffloadOversizedDeadLetters"
      actions   = ["s3:PutObject"]
      resources = ["${statement.value}/fanout/dead-letters/*"]
    }
  }
}

resource "aws_appautoscaling_target" "service" {
  service_namespace  = "ecs"
  resource_id        = "service/${var.deployment.cluster_name}/${module.service.service_name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.service.min_tasks
  max_capacity       = var.service.max_tasks
}

# Target tracking on backlog per task: visible messages / running tasks.
resource "aws_appautoscaling_policy" "backlog_per_task" {
  name               = "${local.queue_name}-backlog-per-task"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.service.service_namespace
  resource_id        = aws_appautoscaling_target.service.resource_id
  scalable_dimension = aws_appautoscaling_target.service.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.service.backlog_per_task
    scale_out_cooldown = 60
    scale_in_cooldown  = 300

    customized_metric_specification {
      metrics {
        id          = "visible"
        label       = "Messages visible in ${local.queue_name}"
        return_data = false
        metric_stat {
          stat = "Sum"
          metric {
            namespace   = "AWS/SQS"
            metric_name = "ApproximateNumberOfMessagesVisible"
            dimensions {
              name  = "QueueName"
              value = aws_sqs_queue.queue.name
            }
          }
        }
      }
      metrics {
        id          = "tasks"
        label       = "Running tasks of ${module.service.service_name}"
        return_data = false
        metric_stat {
          stat = "Average"
          metric {
            namespace   = "ECS/ContainerInsights"
            metric_name = "RunningTaskCount"
            dimensions {
              name  = "ClusterName"
              value = var.deployment.cluster_name
            }
            dimensions {
              name  = "ServiceName"
              value = module.service.service_name
            }
          }
        }
      }
      metrics {
        id          = "backlog_per_task"
        label       = "Visible messages per running task"
        expression  = "visible / tasks"
        return_data = true
      }
    }
  }
}
