resource "aws_ecs_cluster" "fanout" {
  name = "${var.environment}-fanout"

  # Container Insights provides RunningTaskCount, the divisor of the backlog-per-task scaling metric.
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

locals {
  # Where and how every service runs; shared by the consumers and the monitor.
  deployment = {
    cluster_arn        = aws_ecs_cluster.fanout.arn
    cluster_name       = aws_ecs_cluster.fanout.name
    vpc_id             = var.vpc_id
    subnet_ids         = var.private_subnet_ids
    image              = var.image
    kms_key_arn        = aws_kms_key.messages.arn
    log_group_prefix   = local.log_prefix
    log_retention_days = var.log_retention_days
  }
}
