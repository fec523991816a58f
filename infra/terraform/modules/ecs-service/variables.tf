variable "name" {
  description = "Service name (a consumer name, or monitor); also the container name."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.name))
    error_message = "name must be lowercase letters, digits and dashes, starting with a letter (at most 31 characters)."
  }
}

variable "environment" {
  description = "Environment prefix of every resource name (FANOUT_ENV inside the container)."
  type        = string
}

variable "deployment" {
  description = "Where the service runs: cluster, network, image, key and log settings shared by every service."
  type = object({
    cluster_arn        = string
    cluster_name       = string
    vpc_id             = string
    subnet_ids         = list(string)
    image              = string
    kms_key_arn        = string
    log_group_prefix   = string
    log_retention_days = number
  })
}

variable "command" {
  description = "Container command selecting the service, e.g. [\"fanout\", \"consume\", \"email\"]."
  type        = list(string)
  validation {
    condition     = length(var.command) >= 2 && var.command[0] == "fanout"
    error_message = "command must run the fanout CLI, e.g. [\"fanout\", \"monitor\"]."
  }
}

variable "task_policy_json" {
  description = "IAM policy document (JSON) of the task role: everything the service may call, nothing more."
  type        = string
}

variable "cpu" {
  description = "Fargate task CPU units."
  type        = number
  validation {
    condition     = contains([256, 512, 1024, 2048, 4096], var.cpu)
    error_message = "cpu must be one of 256, 512, 1024, 2048, 4096."
  }
}

variable "memory" {
  description = "Fargate task memory (MiB); must be a valid combination with cpu."
  type        = number
  validation {
    condition     = var.memory >= 512 && var.memory <= 30720
    error_message = "memory must be between 512 and 30720 MiB."
  }
}

variable "desired_count" {
  description = "Tasks to start with (autoscaling may change it afterwards)."
  type        = number
  validation {
    condition     = var.desired_count >= 0
    error_message = "desired_count must not be negative."
  }
}

variable "deployment_minimum_healthy_percent" {
  description = "Lower bound of running tasks during a deployment (0 lets a singleton stop before its replacement starts)."
  type        = number
  default     = 100
}

variable "deployment_maximum_percent" {
  description = "Upper bound of running tasks during a deployment (100 keeps a singleton single)."
  type        = number
  default     = 200
}

variable "stop_timeout_s" {
  description = "Seconds between SIGTERM and SIGKILL: the graceful drain window (Fargate allows at most 120)."
  type        = number
  default     = 60
  validation {
    condition     = var.stop_timeout_s >= 2 && var.stop_timeout_s <= 120
    error_message = "stop_timeout_s must be between 2 and 120 seconds."
  }
}

variable "environment_variables" {
  description = "Extra plain environment variables of the container."
  type        = map(string)
  default     = {}
}

variable "secrets" {
  description = "Environment variables read from Secrets Manager or SSM Parameter Store: name => secret or parameter ARN."
  type        = map(string)
  default     = {}
  validation {
    condition     = alltrue([for arn in values(var.secrets) : can(regex("^arn:[^:]+:(secretsmanager|ssm):", arn))])
    error_message = "every secret must be a Secrets Manager secret ARN or an SSM parameter ARN."
  }
}

variable "egress" {
  description = "Destinations besides AWS APIs on 443 (e.g. SMTP or PostgreSQL)."
  type = list(object({
    description = string
    port        = number
    cidr        = string
  }))
  default = []
}
