# One customer-managed key encrypts the topics, the queues and the log groups.
locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  log_prefix = "/fanout/${var.environment}"
}

resource "aws_kms_key" "messages" {
  description             = "fanout ${var.environment}: SNS topics, SQS queues and service logs"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.key.json
}

resource "aws_kms_alias" "messages" {
  name          = "alias/fanout-${var.environment}"
  target_key_id = aws_kms_key.messages.key_id
}

data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_109:A key policy's resource is always "*" (this key); the account statement delegates to IAM.
  #checkov:skip=CKV_AWS_111:A key policy's resource is always "*" (this key); the account statement delegates to IAM.
  #checkov:skip=CKV_AWS_356:A key policy's resource is always "*" (this key); every statement is scoped by principal.
  statement {
    sid       = "AccountDelegatesToIam"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  # SNS encrypts messages on the encrypted topics and delivers them to the encrypted queues.
  statement {
    sid       = "SnsUsesKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  # CloudWatch alarms publish to the encrypted alarm topic.
  statement {
    sid       = "CloudWatchAlarmsUseKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  # CloudWatch Logs encrypts this environment's service log groups.
  statement {
    sid       = "CloudWatchLogsUseKey"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${var.aws_region}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${var.aws_region}:${local.account_id}:log-group:${local.log_prefix}/*"]
    }
  }
}
