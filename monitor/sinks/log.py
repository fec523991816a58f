"""Alerts as structured log lines."""

import structlog

from monitor.alerts import Alert, AlertKind

log = structlog.get_logger("fanout.monitor")


class LogSink:
    name = "log"
    idempotent = False

    async def send(self, alert: Alert) -> None:
        fields = alert.model_dump(mode="json", exclude={"recent_reasons", "kind"})
        reasons = sorted({sample.reason for sample in alert.recent_reasons})
        if alert.kind is AlertKind.RESOLVED:
            log.info("dlq_alert", kind=alert.kind.value, **fields)
        else:
            log.warning("dlq_alert", kind=alert.kind.value, reasons=reasons, **fields)
