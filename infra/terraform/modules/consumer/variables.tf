variable "name" {
  description = "Consumer name (email, inventory, analytics): the queue is {environment}-{name}, the DLQ {environment}-{name}-dlq."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.name))
    error_message = "name must be lowercase letters, digits and dashes, starting with a letter (at most 31 characters)."
  }
}

variable "environment" {
  description = "Environment prefix of every resource name (FANOUT_ENV of the code)."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.environment))
    error_message = "environment must be lowercase letters, digits and dashes, starting with a letter (at most 31 characters)."
  }
}

variable "fifo" {
  description = "FIFO queue and DLQ (names end in .fifo), subscribed to a FIFO topic."
  type        = bool
  default     = false
}

variable "topic_arn" {
  description = "ARN of the orders topic the queue subscribes to."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key encrypting the queue and the DLQ."
  type        = string
}

variable "payload_bucket_arn" {
  description = "S3 bucket (ARN) of offloaded event bodies the consumer may read (keys under fanout/); null: none."
  type        = string
  default     = null
}

variable "filter_policy" {
  description = "Subscription filter policy (MessageAttributes scope), e.g. { event_type = [\"order.placed\"] }."
  type        = map(list(string))
  validation {
    condition     = length(var.filter_policy) >= 1 && length(var.filter_policy) <= 5
    error_message = "A filter policy has 1 to 5 keys."
  }
  validation {
    condition     = alltrue([for values in values(var.filter_policy) : length(values) >= 1 && length(values) <= 150])
    error_message = "Each filter policy key needs 1 to 150 values."
  }
}

variable "max_receive_count" {
  description = "Receives before SQS moves a message to the DLQ (redrive policy maxReceiveCount)."
  type        = number
  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000 && floor(var.max_receive_count) == var.max_receive_count
    error_message = "max_receive_count must be a whole number from 1 to 1000."
  }
}

variable "visibility_timeout_s" {
  description = "Visibility timeout of the queue, in seconds."
  type        = number
  validation {
    condition     = var.visibility_timeout_s >= 0 && var.visibility_timeout_s <= 43200
    error_message = "visibility_timeout_s must be between 0 and 43200 (12 hours)."
  }
}

variable "retention_s" {
  description = "Message retention of the queue, in seconds."
  type        = number
  validation {
    condition     = var.retention_s >= 60 && var.retention_s <= 1209600
    error_message = "retention_s must be between 60 and 1209600 (14 days)."
  }
}

variable "dlq_retention_s" {
  description = "Message retention of the DLQ, in seconds; longer than the queue's, since a DLQ keeps the original enqueue time."
  type        = number
  validation {
    condition     = var.dlq_retention_s >= 60 && var.dlq_retention_s <= 1209600
    error_message = "dlq_retention_s must be between 60 and 1209600 (14 days)."
  }
  validation {
    condition     = var.dlq_retention_s > var.retention_s
    error_message = "dlq_retention_s must exceed retention_s, or dead letters expire early."
  }
}

variable "receive_wait_s" {
  description = "Long-poll wait of the queue (ReceiveMessageWaitTimeSeconds)."
  type        = number
  validation {
    condition     = var.receive_wait_s >= 0 && var.receive_wait_s <= 20
    error_message = "receive_wait_s must be between 0 and 20."
  }
}

variable "delay_s" {
  description = "Queue-level delay (DelaySeconds): every message stays invisible this long after it arrives."
  type        = number
  default     = 0
  validation {
    condition     = var.delay_s >= 0 && var.delay_s <= 900 && floor(var.delay_s) == var.delay_s
    error_message = "delay_s must be a whole number from 0 to 900."
  }
}

variable "alarm_topic_arn" {
  description = "SNS topic receiving alarm and OK notifications."
  type        = string
}

variable "dlq_alarm_threshold" {
  description = "DLQ alarm fires when ApproximateNumberOfMessagesVisible reaches this."
  type        = number
  validation {
    condition     = var.dlq_alarm_threshold >= 1
    error_message = "dlq_alarm_threshold must be at least 1."
  }
}

variable "oldest_message_age_alarm_s" {
  description = "Queue alarm fires when ApproximateAgeOfOldestMessage reaches this many seconds."
  type        = number
  validation {
    condition     = var.oldest_message_age_alarm_s >= 60
    error_message = "oldest_message_age_alarm_s must be at least 60."
  }
}

variable "deployment" {
  description = "Where the consumer service runs (see the ecs-service module)."
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

variable "service" {
  description = "Size and scaling of the consumer service; backlog_per_task is the autoscaling target (visible messages per running task)."
  type = object({
    cpu              = number
    memory           = number
    min_tasks        = number
    max_tasks        = number
    backlog_per_task = number
    environment      = map(string)
    secrets          = map(string)
    egress = list(object({
      description = string
      port        = number
      cidr        = string
    }))
  })
  validation {
    condition     = var.service.min_tasks >= 1 && var.service.min_tasks <= var.service.max_tasks
    error_message = "service needs 1 <= min_tasks <= max_tasks."
  }
  validation {
    condition     = var.service.backlog_per_task > 0
    error_message = "service.backlog_per_task must be positive."
  }
}
