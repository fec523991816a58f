# One Fargate service running the fanout image with a service-specific command.
data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

locals {
  family = "${var.environment}-${var.name}"
  # Writable paths on a read-only root filesystem: scratch space and the service's SQLite files.
  writable_paths = { scratch = "/tmp", data = "/var/lib/fanout" }

  container = {
    name                   = var.name
    image                  = var.deployment.image
    essential              = true
    command                = var.command
    readonlyRootFilesystem = true
    stopTimeout            = var.stop_timeout_s
    linuxParameters        = { initProcessEnabled = true } # forwards SIGTERM for the graceful drain
    environment = [
      for key, value in merge(var.environment_variables, {
        FANOUT_ENV = var.environment
        AWS_REGION = data.aws_region.current.name
      }) : { name = key, value = value }
    ]
    secrets     = [for key, arn in var.secrets : { name = key, valueFrom = arn }]
    mountPoints = [for volume, path in local.writable_paths : { sourceVolume = volume, containerPath = path, readOnly = false }]
    healthCheck = {
      command     = ["CMD", "python", "-m", "fanout.healthcheck"] # the image's HEALTHCHECK, which ECS ignores
      interval    = 30
      timeout     = 5
      retries     = 3
      startPeriod = 30
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.service.name
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = var.name
      }
    }
  }
}

resource "aws_cloudwatch_log_group" "service" {
  name              = "${var.deployment.log_group_prefix}/${var.name}"
  retention_in_days = var.deployment.log_retention_days
  kms_key_id        = var.deployment.kms_key_arn
}

resource "aws_ecs_task_definition" "service" {
  family                   = local.family
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  container_definitions    = jsonencode([local.container])

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  dynamic "volume" {
    for_each = local.writable_paths
    content {
      name = volume.key
    }
  }
}

resource "aws_ecs_service" "service" {
  name                               = local.family
  cluster                            = var.deployment.cluster_arn
  task_definition                    = aws_ecs_task_definition.service.arn
  desired_count                      = var.desired_count
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  propagate_tags                     = "SERVICE"
  enable_ecs_managed_tags            = true
  deployment_minimum_healthy_percent = var.deployment_minimum_healthy_percent
  deployment_maximum_percent         = var.deployment_maximum_percent

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.deployment.subnet_ids
    security_groups  = [aws_security_group.service.id]
    assign_public_ip = false
  }

  lifecycle {
    ignore_changes = [desired_count] # owned by autoscaling once running
  }
}

resource "aws_security_group" "service" {
  name        = "${local.family}-service"
  description = "fanout ${var.name}: no inbound; outbound to AWS APIs over TLS and the listed destinations"
  vpc_id      = var.deployment.vpc_id
}

resource "aws_vpc_security_group_egress_rule" "aws_apis" {
  security_group_id = aws_security_group.service.id
  description       = "AWS APIs (SQS, SNS, KMS, CloudWatch, ECR) over TLS"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "extra" {
  for_each = { for rule in var.egress : "${rule.cidr}:${rule.port}" => rule }

  security_group_id = aws_security_group.service.id
  description       = each.value.description
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  cidr_ipv4         = each.value.cidr
}
