provider "aws" {
  region = var.aws_region

  default_tags {
    tags = merge(var.tags, { Project = "fanout", Environment = var.environment })
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}
