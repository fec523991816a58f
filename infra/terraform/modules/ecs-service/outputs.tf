output "service_name" {
  description = "ECS service name."
  value       = aws_ecs_service.service.name
}

output "service_arn" {
  description = "ECS service ARN."
  value       = aws_ecs_service.service.id
}

output "task_definition_arn" {
  description = "Task definition ARN (with revision)."
  value       = aws_ecs_task_definition.service.arn
}

output "task_role_arn" {
  description = "Task role ARN: the service's own AWS permissions."
  value       = aws_iam_role.task.arn
}

output "execution_role_arn" {
  description = "Execution role ARN: image pull, logs, secrets."
  value       = aws_iam_role.execution.arn
}

output "log_group_name" {
  description = "CloudWatch log group of the service."
  value       = aws_cloudwatch_log_group.service.name
}

output "security_group_id" {
  description = "Security group of the service's tasks."
  value       = aws_security_group.service.id
}
