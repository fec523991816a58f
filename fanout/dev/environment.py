"""The ground a dev run stands on: an endpoint, an SMTP sink, a state directory and the applied topology.

Everything is configured the way production is: through environment variables. The dev run only
fills in the ones the user did not set, so `FANOUT_EMAIL_SMTP_HOST=... fanout dev` uses a real
SMTP server, `AWS_ENDPOINT_URL=... fanout dev` an endpoint that is already running.
"""

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from fanout.aws import aws_settings, sync_client
from fanout.local.endpoint import LocalEndpoint
from fanout.local.smtp import ReceivedMail, SmtpSink
from fanout.locks import FileLock
from fanout.topology import AppliedTopology, TopologyClient, declared_topology

MONITOR_INTERVAL_S = 2.0


@dataclass(frozen=True)
class DevEnvironment:
    """Where the dev run's services connect and keep their state."""

    endpoint_url: str
    embedded: bool  # the endpoint was started by this run (and dies with it)
    state_dir: Path
    topology: AppliedTopology
    smtp: SmtpSink | None

    def mails(self) -> list[ReceivedMail]:
        """Mail the local SMTP sink accepted (empty when a real SMTP server is configured)."""
        return self.smtp.messages if self.smtp is not None else []

    def idempotency_url(self, consumer: str) -> str:
        return os.environ.get("FANOUT_CONSUMER_IDEMPOTENCY_URL") or _sqlite(
            self.state_dir / f"{consumer}-idempotency.sqlite3"
        )


def _sqlite(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"


def _service_defaults(state_dir: Path) -> dict[str, str]:
    """Settings for running every service side by side in one process, state kept in `state_dir`."""
    return {
        "FANOUT_CONSUMER_HEALTH_PORT": "0",  # three consumers cannot share one port
        "FANOUT_EMAIL_DATABASE_URL": _sqlite(state_dir / "email.sqlite3"),
        "FANOUT_EMAIL_ADDRESS_WAIT_S": "2",
        "FANOUT_INVENTORY_DATABASE_URL": _sqlite(state_dir / "inventory.sqlite3"),
        "FANOUT_ANALYTICS_DATABASE_URL": _sqlite(state_dir / "analytics.sqlite3"),
        "FANOUT_MONITOR_STATE_PATH": str(state_dir / "monitor.sqlite3"),
        "FANOUT_MONITOR_INTERVAL_S": str(MONITOR_INTERVAL_S),
        "FANOUT_MONITOR_METRICS_PORT": "0",
    }


@contextmanager
def dev_environment(state_dir: Path) -> Iterator[DevEnvironment]:
    """Start what is not configured, apply the topology; stop what was started on exit."""
    with ExitStack() as stack:
        state_dir.mkdir(parents=True, exist_ok=True)
        busy = f"{state_dir} is in use by another fanout dev: stop it, or pass --state-dir for a second run"
        stack.enter_context(FileLock(state_dir / "dev.lock", busy))  # before any file in it is touched
        endpoint_url = aws_settings().endpoint_url
        embedded = endpoint_url is None
        if endpoint_url is None:
            endpoint_url = stack.enter_context(LocalEndpoint()).url
            os.environ["AWS_ENDPOINT_URL"] = endpoint_url
            for old in state_dir.glob("*.sqlite3"):  # state of an endpoint that no longer exists
                old.unlink()
        smtp = None
        if "FANOUT_EMAIL_SMTP_HOST" not in os.environ:
            smtp = stack.enter_context(SmtpSink())
            os.environ.update(smtp.settings_env())
        for name, value in _service_defaults(state_dir).items():
            os.environ.setdefault(name, value)
        declared = declared_topology()
        deployed = TopologyClient(sync_client("sns"), sync_client("sqs")).apply(declared)
        yield DevEnvironment(endpoint_url, embedded, state_dir, AppliedTopology(declared, deployed), smtp)
