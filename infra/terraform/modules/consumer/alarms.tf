# Dead letters waiting, and messages waiting too long: both notify the alarm topic and clear with OK.
resource "aws_cloudwatch_metric_alarm" "dlq_depth" {
  alarm_name          = "${local.dlq_name}-messages-visible"
  alarm_description   = "Dead letters in ${local.dlq_name}. Inspect: fanout dlq show ${var.name}; redrive: fanout dlq redrive ${var.name}"
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dlq.name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = var.dlq_alarm_threshold
  treat_missing_data  = "notBreaching" # SQS emits no metrics for an idle queue
  alarm_actions       = [var.alarm_topic_arn]
  ok_actions          = [var.alarm_topic_arn]
}

resource "aws_cloudwatch_metric_alarm" "oldest_message_age" {
  alarm_name          = "${local.queue_name}-oldest-message-age"
  alarm_description   = "Messages in ${local.queue_name} wait longer than ${var.oldest_message_age_alarm_s} s: the ${var.name} consumer is down or cannot keep up."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = aws_sqs_queue.queue.name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = var.oldest_message_age_alarm_s
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]
  ok_actions          = [var.alarm_topic_arn]
}
