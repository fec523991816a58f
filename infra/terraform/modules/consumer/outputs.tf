output "queue_name" {
  description = "Name of the consumer's queue."
  value       = aws_sqs_queue.queue.name
}

output "queue_url" {
  description = "URL of the consumer's queue."
  value       = aws_sqs_queue.queue.id
}

output "queue_arn" {
  description = "ARN of the consumer's queue."
  value       = aws_sqs_queue.queue.arn
}

output "dlq_name" {
  description = "Name of the consumer's DLQ."
  value       = aws_sqs_queue.dlq.name
}

output "dlq_url" {
  description = "URL of the consumer's DLQ."
  value       = aws_sqs_queue.dlq.id
}

output "dlq_arn" {
  description = "ARN of the consumer's DLQ."
  value       = aws_sqs_queue.dlq.arn
}

output "subscription_arn" {
  description = "ARN of the queue's subscription to the orders topic."
  value       = aws_sns_topic_subscription.queue.arn
}

output "dlq_alarm_arn" {
  description = "ARN of the DLQ depth alarm."
  value       = aws_cloudwatch_metric_alarm.dlq_depth.arn
}

output "oldest_message_age_alarm_arn" {
  description = "ARN of the queue's oldest-message-age alarm."
  value       = aws_cloudwatch_metric_alarm.oldest_message_age.arn
}

output "service" {
  description = "The consumer's ECS service: name, ARNs of service, task definition and roles, log group, security group."
  value = {
    name                = module.service.service_name
    arn                 = module.service.service_arn
    task_definition_arn = module.service.task_definition_arn
    task_role_arn       = module.service.task_role_arn
    execution_role_arn  = module.service.execution_role_arn
    log_group_name      = module.service.log_group_name
    security_group_id   = module.service.security_group_id
  }
}

output "autoscaling_policy_arn" {
  description = "ARN of the backlog-per-task scaling policy."
  value       = aws_appautoscaling_policy.backlog_per_task.arn
}
