variable "aws_region" {
  description = "AWS region of every resource."
  type        = string
  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.aws_region))
    error_message = "aws_region must look like eu-west-1."
  }
}

variable "environment" {
  description = "Environment prefix of every resource name: the code's FANOUT_ENV (topic {environment}-orders, queues {environment}-{consumer})."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.environment))
    error_message = "environment must be lowercase letters, digits and dashes, starting with a letter (at most 31 characters)."
  }
}

variable "fifo" {
  description = "FIFO topic, queues and DLQs (names end in .fifo; per-order ordering, deduplication by event id, 300 publishes/s per topic): the code's FANOUT_TOPOLOGY_FIFO. Changing it replaces every topic and queue."
  type        = bool
  default     = false
}

variable "vpc_id" {
  description = "VPC the services run in."
  type        = string
  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be a VPC id (vpc-...)."
  }
}

variable "private_subnet_ids" {
  description = "Private subnets of the services' tasks (no public IP: reach AWS APIs through NAT or VPC endpoints)."
  type        = list(string)
  validation {
    condition     = length(var.private_subnet_ids) >= 1 && alltrue([for id in var.private_subnet_ids : can(regex("^subnet-[0-9a-f]+$", id))])
    error_message = "private_subnet_ids needs at least one subnet id (subnet-...)."
  }
}

variable "image" {
  description = "Container image of every service, pinned by tag or digest (the Dockerfile at the repository root)."
  type        = string
  validation {
    condition     = can(regex("^[^:@\\s]+(:[A-Za-z0-9_.-]+)?(@sha256:[0-9a-f]{64})?$", var.image)) && (strcontains(var.image, "@sha256:") || !endswith(var.image, ":latest"))
    error_message = "image must be a repository reference with a tag or digest, not :latest."
  }
}

variable "consumer_services" {
  description = "Size and scaling of each consumer service, one entry per consumer: backlog_per_task is the autoscaling target (visible messages per running task); environment and secrets (name => Secrets Manager/SSM ARN) reach the container; egress opens destinations besides AWS APIs (SMTP, PostgreSQL)."
  type = map(object({
    cpu              = optional(number, 256)
    memory           = optional(number, 512)
    min_tasks        = optional(number, 1)
    max_tasks        = optional(number, 4)
    backlog_per_task = optional(number, 100)
    environment      = optional(map(string), {})
    secrets          = optional(map(string), {})
    egress = optional(list(object({
      description = string
      port        = number
      cidr        = string
    })), [])
  }))
  default = { email = {}, inventory = {}, analytics = {} }
  validation {
    condition     = length(setsubtract(keys(var.consumer_services), keys(local.consumers))) == 0 && length(setsubtract(keys(local.consumers), keys(var.consumer_services))) == 0
    error_message = "consumer_services needs exactly one entry per consumer: email, inventory, analytics."
  }
  validation {
    condition     = alltrue([for service in values(var.consumer_services) : service.min_tasks >= 1 && service.min_tasks <= service.max_tasks])
    error_message = "Each consumer service needs 1 <= min_tasks <= max_tasks."
  }
}

variable "monitor_service" {
  description = "Size, environment and secrets of the monitor service (one task: it keeps alert state)."
  type = object({
    cpu         = optional(number, 256)
    memory      = optional(number, 512)
    environment = optional(map(string), {})
    secrets     = optional(map(string), {})
    egress = optional(list(object({
      description = string
      port        = number
      cidr        = string
    })), [])
  })
  default = {}
}

variable "dlq_alarm_threshold" {
  description = "Every DLQ alarm fires when ApproximateNumberOfMessagesVisible reaches this."
  type        = number
  default     = 1
  validation {
    condition     = var.dlq_alarm_threshold >= 1
    error_message = "dlq_alarm_threshold must be at least 1."
  }
}

variable "oldest_message_age_alarm_s" {
  description = "Every queue alarm fires when ApproximateAgeOfOldestMessage reaches this many seconds."
  type        = number
  default     = 900
  validation {
    condition     = var.oldest_message_age_alarm_s >= 60
    error_message = "oldest_message_age_alarm_s must be at least 60."
  }
}

variable "alarm_subscriptions" {
  description = "Who on-call hears from the alarm topic, e.g. { protocol = \"email\", endpoint = \"oncall@example.com\" } or an https PagerDuty/Opsgenie endpoint."
  type = list(object({
    protocol = string
    endpoint = string
  }))
  default = []
  validation {
    condition     = alltrue([for subscription in var.alarm_subscriptions : contains(["email", "email-json", "https", "sms", "lambda", "sqs"], subscription.protocol)])
    error_message = "alarm_subscriptions protocols must be one of email, email-json, https, sms, lambda, sqs."
  }
}

variable "log_retention_days" {
  description = "Retention of the services' CloudWatch log groups, in days."
  type        = number
  default     = 365
  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, ... 3653)."
  }
}

variable "tags" {
  description = "Tags added to every resource (besides Project and Environment)."
  type        = map(string)
  default     = {}
}

variable "payload_bucket_arn" {
  description = "S3 bucket (ARN) holding event bodies too large for SNS (claim check, keys under fanout/); null turns it off. The producer's FANOUT_PAYLOAD_BUCKET names the same bucket."
  type        = string
  default     = null
  validation {
    condition     = var.payload_bucket_arn == null || can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.payload_bucket_arn))
    error_message = "payload_bucket_arn must be an S3 bucket ARN, e.g. arn:aws:s3:::acme-prod-fanout-payloads."
  }
}

variable "outbox_relay" {
  description = "The transactional outbox relay (fanout outbox relay): enabled, database_url_secret_arn (a Secrets Manager secret or SSM parameter holding the order service's postgresql:// URL, FANOUT_OUTBOX_DATABASE_URL), size, tasks (several relays never publish a row twice), the oldest-pending-age alarm threshold, extra environment and secrets, egress to the database."
  type = object({
    enabled                    = optional(bool, false)
    database_url_secret_arn    = optional(string)
    cpu                        = optional(number, 256)
    memory                     = optional(number, 512)
    desired_count              = optional(number, 1)
    oldest_pending_age_alarm_s = optional(number, 300)
    environment                = optional(map(string), {})
    secrets                    = optional(map(string), {})
    egress = optional(list(object({
      description = string
      port        = number
      cidr        = string
    })), [])
  })
  default = {}
  validation {
    condition     = !var.outbox_relay.enabled || can(regex("^arn:[^:]+:(secretsmanager|ssm):", var.outbox_relay.database_url_secret_arn))
    error_message = "outbox_relay.enabled needs database_url_secret_arn: the ARN of a Secrets Manager secret or SSM parameter holding the postgresql:// URL."
  }
  validation {
    condition     = var.outbox_relay.desired_count >= 1 && var.outbox_relay.oldest_pending_age_alarm_s >= 60
    error_message = "outbox_relay needs desired_count >= 1 and oldest_pending_age_alarm_s >= 60."
  }
}
