"""The relay's figures as CloudWatch metrics, for alarms (a dead relay sends none: alarm on missing data).

Namespace from FANOUT_OUTBOX_CLOUDWATCH_NAMESPACE (off when unset), one dimension: Environment.
"""

from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from fanout.aws import aws_settings
from producer.outbox.store import OutboxStatus

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_cloudwatch.literals import StandardUnitType
    from mypy_boto3_cloudwatch.type_defs import DimensionTypeDef

OLDEST_PENDING_AGE = "OldestPendingAge"
PENDING = "Pending"
FAILING = "Failing"
REPORT_ERRORS = (BotoCoreError, ClientError)


class CloudWatchReporter:
    """PutMetricData of the outbox status (the only call it makes)."""

    def __init__(self, namespace: str, environment: str) -> None:
        import boto3

        self._client: CloudWatchClient = boto3.session.Session().client(
            "cloudwatch", **aws_settings().client_kwargs()
        )
        self._namespace = namespace
        self._dimensions: list[DimensionTypeDef] = [{"Name": "Environment", "Value": environment}]

    def report(self, status: OutboxStatus) -> None:
        """Send the three figures in one call; errors propagate (REPORT_ERRORS) for the caller to log."""
        figures: tuple[tuple[str, float, StandardUnitType], ...] = (
            (OLDEST_PENDING_AGE, status.oldest_pending_age_s, "Seconds"),
            (PENDING, float(status.pending), "Count"),
            (FAILING, float(status.failing), "Count"),
        )
        self._client.put_metric_data(
            Namespace=self._namespace,
            MetricData=[
                {"MetricName": name, "Dimensions": self._dimensions, "Value": value, "Unit": unit}
                for name, value, unit in figures
            ],
        )
