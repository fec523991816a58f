# One module instance per consumer: queue, DLQ, subscription, alarms, ECS service, autoscaling.
module "consumer" {
  source   = "./modules/consumer"
  for_each = local.consumers

  name        = each.key
  environment = var.environment
  topic_arn   = aws_sns_topic.orders.arn
  kms_key_arn = aws_kms_key.messages.arn
  fifo        = var.fifo

  payload_bucket_arn = var.payload_bucket_arn

  filter_policy        = each.value.filter_policy
  max_receive_count    = each.value.max_receive_count
  visibility_timeout_s = each.value.visibility_timeout_s
  retention_s          = each.value.retention_s
  dlq_retention_s      = each.value.dlq_retention_s
  receive_wait_s       = each.value.receive_wait_s
  delay_s              = each.value.delay_s

  alarm_topic_arn            = aws_sns_topic.alarms.arn
  dlq_alarm_threshold        = var.dlq_alarm_threshold
  oldest_message_age_alarm_s = var.oldest_message_age_alarm_s

  deployment = local.deployment
  service    = var.consumer_services[each.key]
}
