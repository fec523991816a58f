"""Publish alerts to an SNS alarm topic (the JSON alert as the message, ≤ 256 KiB)."""

from fanout.aws import async_client
from monitor.alerts import Alert
from monitor.sinks.limits import fit_alert

MAX_SUBJECT = 100
MAX_MESSAGE_BYTES = 256 * 1024


def sns_message(alert: Alert) -> str:
    """The alert as JSON, reasons shortened or dropped to fit SNS's message size."""
    fitted = fit_alert(alert, lambda candidate: len(candidate.model_dump_json().encode()), MAX_MESSAGE_BYTES)
    return fitted.model_dump_json()


class SnsSink:
    idempotent = False

    def __init__(self, topic_arn: str) -> None:
        self._topic_arn = topic_arn
        self.name = f"sns:{topic_arn.rsplit(':', 1)[-1]}"

    async def send(self, alert: Alert) -> None:
        async with async_client("sns") as sns:
            await sns.publish(
                TopicArn=self._topic_arn,
                Subject=f"fanout DLQ {alert.kind.value}: {alert.dlq}"[:MAX_SUBJECT],
                Message=sns_message(alert),
                MessageAttributes={"alert_kind": {"DataType": "String", "StringValue": alert.kind.value}},
            )
