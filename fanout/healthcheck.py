"""Container health probe: `python -m fanout.healthcheck` exits 0 when the service answers /healthz.

The Dockerfile's HEALTHCHECK and the ECS task definitions (infra/terraform) both run it. One image
runs a consumer (/healthz on FANOUT_CONSUMER_HEALTH_PORT), the monitor (/healthz on
FANOUT_MONITOR_METRICS_PORT) or the outbox relay (/healthz on FANOUT_OUTBOX_METRICS_PORT), so the
probe asks each port and passes when one answers 200.
"""

import sys
import urllib.error
import urllib.request

from pydantic_settings import BaseSettings, SettingsConfigDict

from consumers.runtime.settings import ConsumerSettings
from monitor.settings import MonitorSettings

TIMEOUT_S = 3.0


class RelayPort(BaseSettings):
    """The outbox relay's /healthz port (producer.outbox.settings.OutboxSettings.metrics_port), read
    without importing the producer, which would add most of a second to every probe."""

    model_config = SettingsConfigDict(env_prefix="FANOUT_OUTBOX_", extra="ignore")

    metrics_port: int = 9103


def health_ports() -> list[int]:
    """The consumer's, the monitor's and the relay's /healthz ports as configured here (0 = off, skipped)."""
    ports = (ConsumerSettings().health_port, MonitorSettings().metrics_port, RelayPort().metrics_port)
    return [port for port in dict.fromkeys(ports) if port]


def answers_healthy(port: int) -> bool:
    """True when http://127.0.0.1:PORT/healthz answers 200 within the timeout."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=TIMEOUT_S) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def main() -> int:
    return 0 if any(answers_healthy(port) for port in health_ports()) else 1


if __name__ == "__main__":
    sys.exit(main())
