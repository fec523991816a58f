"""Publish alerts to an SNS alarm topic (the JSON alert as the message)."""

from fanout.aws import async_client
from monitor.alerts import Alert

MAX_SUBJECT = 100


class SnsSink:
    name = "sns"

    def __init__(self, topic_arn: str) -> None:
        self._topic_arn = topic_arn

    async def send(self, alert: Alert) -> None:
        async with async_client("sns") as sns:
            await sns.publish(
                TopicArn=self._topic_arn,
                Subject=f"fanout DLQ {alert.kind.value}: {alert.dlq}"[:MAX_SUBJECT],
                Message=alert.model_dump_json(),
                MessageAttributes={"alert_kind": {"DataType": "String", "StringValue": alert.kind.value}},
            )
