"""compose.yaml: valid Compose, every service with its command, all wired through AWS_ENDPOINT_URL."""

import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from compose_spec import PyCompose
from infra_files import compose

from consumers.runtime.settings import ConsumerSettings
from consumers.services.email.settings import EmailSettings
from fanout.aws import AwsSettings
from fanout.topology import declared_topology
from fanout.topology.declared import EnvironmentSettings
from producer.outbox.settings import OutboxSettings

MAILPIT_SMTP_PORT = 1025  # mailpit's default SMTP listener


def fanout_services() -> dict[str, dict[str, Any]]:
    """The services built from this repository's Dockerfile."""
    return {name: service for name, service in compose()["services"].items() if service.get("build") == "."}


def test_compose_file_is_valid_compose_spec() -> None:
    parsed = PyCompose.from_json(json.dumps(compose()))
    assert set(parsed.service_names()) == set(compose()["services"])


def test_the_validator_rejects_a_broken_service() -> None:
    broken = compose()
    broken["services"]["email"]["depends_on"]["topology"]["condition"] = "service_finished"
    with pytest.raises(ValueError, match="service_finished"):
        PyCompose.from_json(json.dumps(broken))


def test_every_service_runs_its_command() -> None:
    expected = {c.name: ["fanout", "consume", c.name] for c in declared_topology("local").consumers}
    expected |= {"monitor": ["fanout", "monitor"], "topology": ["fanout", "topology", "apply"]}
    expected |= {"outbox-init": ["fanout", "outbox", "init"], "outbox-relay": ["fanout", "outbox", "relay"]}
    assert {name: service["command"] for name, service in fanout_services().items()} == expected


def test_every_service_reaches_the_endpoint_through_aws_endpoint_url(monkeypatch: pytest.MonkeyPatch) -> None:
    services = compose()["services"]
    endpoint_ports = {int(mapping.rsplit(":", 1)[1]) for mapping in services["moto"]["ports"]}
    for name, service in fanout_services().items():
        environment = service["environment"]
        url = urlsplit(environment["AWS_ENDPOINT_URL"])
        assert url.hostname in services and url.port in endpoint_ports, name
        assert service["read_only"] is True, name
        for variable, value in environment.items():
            monkeypatch.setenv(variable, value)
        assert AwsSettings().endpoint_url == environment["AWS_ENDPOINT_URL"]
        assert EnvironmentSettings().env == "local"


def test_services_start_after_the_topology_and_the_topology_after_the_endpoint() -> None:
    services = fanout_services()
    topology = services.pop("topology")
    assert topology["depends_on"] == {"moto": {"condition": "service_healthy"}}
    assert topology["restart"] == "no"
    for name, service in services.items():
        assert service["depends_on"]["topology"] == {"condition": "service_completed_successfully"}, name


def test_email_sends_to_the_smtp_sink(monkeypatch: pytest.MonkeyPatch) -> None:
    services = compose()["services"]
    for variable, value in services["email"]["environment"].items():
        monkeypatch.setenv(variable, value)
    settings = EmailSettings()
    assert settings.smtp_host in services
    assert services[settings.smtp_host]["image"].startswith("axllent/mailpit:")
    assert settings.smtp_port == MAILPIT_SMTP_PORT
    assert settings.smtp_host in services["email"]["depends_on"]


def test_monitor_keeps_its_alert_state_on_a_volume() -> None:
    document = compose()
    monitor = document["services"]["monitor"]
    (volume,) = monitor["volumes"]
    name, path = volume.split(":")
    assert name in document["volumes"]
    assert path == "/var/lib/fanout"
    assert all(not mount.startswith(f"{path}:") for mount in monitor["tmpfs"])


def test_the_services_keep_their_state_and_idempotency_records_in_postgresql(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    document = compose()
    services = document["services"]
    (data,) = services["postgres"]["volumes"]
    assert data.split(":")[0] in document["volumes"]  # durable, not tmpfs
    expected = {
        "email": ["FANOUT_CONSUMER_IDEMPOTENCY_URL"],
        "inventory": ["FANOUT_INVENTORY_DATABASE_URL", "FANOUT_CONSUMER_IDEMPOTENCY_URL"],
        "analytics": ["FANOUT_ANALYTICS_DATABASE_URL"],
    }
    for name, variables in expected.items():
        service = services[name]
        assert service["depends_on"]["postgres"] == {"condition": "service_healthy"}, name
        for variable in variables:
            url = urlsplit(service["environment"][variable])
            assert (url.scheme, url.hostname) == ("postgresql", "postgres"), (name, variable)
    monkeypatch.setenv(
        "FANOUT_CONSUMER_IDEMPOTENCY_URL", services["email"]["environment"]["FANOUT_CONSUMER_IDEMPOTENCY_URL"]
    )
    assert ConsumerSettings().idempotency_url.startswith("postgresql://")


def test_the_grace_period_outlasts_the_drain() -> None:
    for name, service in fanout_services().items():
        grace_s = int(service["stop_grace_period"].removesuffix("s"))
        drain_s = float(
            service["environment"].get("FANOUT_CONSUMER_DRAIN_TIMEOUT_S", ConsumerSettings().drain_timeout_s)
        )
        assert drain_s + 5 < grace_s, name


def test_the_outbox_relay_starts_after_its_table_exists_in_the_order_database(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    services = compose()["services"]
    relay, init = services["outbox-relay"], services["outbox-init"]
    assert relay["depends_on"]["outbox-init"] == {"condition": "service_completed_successfully"}
    assert init["depends_on"]["postgres"] == {"condition": "service_healthy"}
    for variable, value in relay["environment"].items():
        monkeypatch.setenv(variable, value)
    url = urlsplit(OutboxSettings().database_url)
    assert url.hostname == "postgres" and url.path == f"/{services['postgres']['environment']['POSTGRES_DB']}"
    assert init["environment"] == relay["environment"]
