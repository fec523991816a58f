"""Where alerts go: log, generic webhook, Slack, PagerDuty, SNS. Several at once, each tracked alone."""

from collections import Counter

import aiohttp

from monitor.settings import MonitorSettings
from monitor.sinks.base import Sink, host_of
from monitor.sinks.log import LogSink
from monitor.sinks.pagerduty import PagerDutySink
from monitor.sinks.slack import SlackSink
from monitor.sinks.sns import SnsSink
from monitor.sinks.webhook import WebhookSink


def configured_sinks(settings: MonitorSettings, session: aiohttp.ClientSession) -> list[Sink]:
    """Every sink the settings turn on, each with a unique, stable, secret-free name."""
    sinks: list[Sink] = [LogSink()] if settings.log_alerts else []
    seen: Counter[str] = Counter()
    for url in settings.webhook_urls:
        name = f"webhook:{host_of(url)}"
        seen[name] += 1
        sinks.append(WebhookSink(session, url, name if seen[name] == 1 else f"{name}#{seen[name]}"))
    if settings.slack_webhook_url:
        sinks.append(SlackSink(session, settings.slack_webhook_url))
    if settings.pagerduty_routing_key:
        sinks.append(PagerDutySink(session, str(settings.pagerduty_url), settings.pagerduty_routing_key))
    if settings.alarm_topic_arn:
        sinks.append(SnsSink(settings.alarm_topic_arn))
    return sinks


__all__ = ["Sink", "configured_sinks"]
