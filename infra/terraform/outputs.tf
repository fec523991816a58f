output "topic_arn" {
  description = "ARN of the orders topic (the producer publishes here)."
  value       = aws_sns_topic.orders.arn
}

output "topic_name" {
  description = "Name of the orders topic."
  value       = aws_sns_topic.orders.name
}

output "alarm_topic_arn" {
  description = "ARN of the alarm topic (CloudWatch alarms and the monitor publish here; on-call subscribes)."
  value       = aws_sns_topic.alarms.arn
}

output "kms_key_arn" {
  description = "ARN of the customer-managed key encrypting topics, queues and logs."
  value       = aws_kms_key.messages.arn
}

output "kms_key_alias" {
  description = "Alias of the key."
  value       = aws_kms_alias.messages.name
}

output "publisher_policy_arn" {
  description = "IAM policy to attach to the order service's role: publish to the topic with its key."
  value       = aws_iam_policy.publisher.arn
}

output "dlq_tools_policy_arn" {
  description = "IAM policy to attach to operators' role or group: the fanout dlq tools (inspect, redrive, purge)."
  value       = aws_iam_policy.dlq_tools.arn
}

output "cluster_arn" {
  description = "ARN of the ECS cluster running the consumers and the monitor."
  value       = aws_ecs_cluster.fanout.arn
}

output "consumers" {
  description = "Per consumer: queue and DLQ names, URLs and ARNs, subscription ARN, alarm ARNs, ECS service and roles, scaling policy."
  value = {
    for name, consumer in module.consumer : name => {
      queue_name                   = consumer.queue_name
      queue_url                    = consumer.queue_url
      queue_arn                    = consumer.queue_arn
      dlq_name                     = consumer.dlq_name
      dlq_url                      = consumer.dlq_url
      dlq_arn                      = consumer.dlq_arn
      subscription_arn             = consumer.subscription_arn
      dlq_alarm_arn                = consumer.dlq_alarm_arn
      oldest_message_age_alarm_arn = consumer.oldest_message_age_alarm_arn
      autoscaling_policy_arn       = consumer.autoscaling_policy_arn
      service                      = consumer.service
    }
  }
}

output "monitor" {
  description = "The monitor's ECS service: name, ARNs of service, task definition and roles, log group."
  value = {
    name                = module.monitor.service_name
    arn                 = module.monitor.service_arn
    task_definition_arn = module.monitor.task_definition_arn
    task_role_arn       = module.monitor.task_role_arn
    execution_role_arn  = module.monitor.execution_role_arn
    log_group_name      = module.monitor.log_group_name
  }
}

output "outbox_relay" {
  description = "The outbox relay's ECS service (name, ARNs, roles, log group) and its oldest-pending-age alarm; null while outbox_relay.enabled is false."
  value = try({
    for name, relay in module.outbox_relay : name => {
      name                         = relay.service_name
      arn                          = relay.service_arn
      task_definition_arn          = relay.task_definition_arn
      task_role_arn                = relay.task_role_arn
      execution_role_arn           = relay.execution_role_arn
      log_group_name               = relay.log_group_name
      oldest_pending_age_alarm_arn = aws_cloudwatch_metric_alarm.outbox_oldest_pending_age[name].arn
    }
  }["outbox-relay"], null)
}
