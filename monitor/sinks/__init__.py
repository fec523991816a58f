"""Where alerts go: log, generic webhook, Slack, PagerDuty, SNS. Several at once, each retried alone."""

import aiohttp

from monitor.settings import MonitorSettings
from monitor.sinks.base import Sink
from monitor.sinks.log import LogSink
from monitor.sinks.pagerduty import PagerDutySink
from monitor.sinks.slack import SlackSink
from monitor.sinks.sns import SnsSink
from monitor.sinks.webhook import WebhookSink


def configured_sinks(settings: MonitorSettings, session: aiohttp.ClientSession) -> list[Sink]:
    """Every sink the settings turn on."""
    sinks: list[Sink] = [LogSink()] if settings.log_alerts else []
    sinks += [WebhookSink(session, str(url)) for url in settings.webhook_urls]
    if settings.slack_webhook_url:
        sinks.append(SlackSink(session, str(settings.slack_webhook_url)))
    if settings.pagerduty_routing_key:
        sinks.append(
            PagerDutySink(
                session, str(settings.pagerduty_url), settings.pagerduty_routing_key.get_secret_value()
            )
        )
    if settings.alarm_topic_arn:
        sinks.append(SnsSink(settings.alarm_topic_arn))
    return sinks


__all__ = ["Sink", "configured_sinks"]
