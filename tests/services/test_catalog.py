"""The catalog: each service's subscription comes from its handlers, its queue settings from its class."""

from consumers.catalog import CONSUMERS, SERVICES
from fanout.topology import declared_topology


def test_catalog_lists_each_service_under_its_own_name() -> None:
    assert {name: cls.name for name, cls in SERVICES.items()} == {
        "email": "email",
        "inventory": "inventory",
        "analytics": "analytics",
    }
    assert [spec.name for spec in CONSUMERS] == ["email", "inventory", "analytics"]


def test_filter_policies_follow_the_handlers() -> None:
    topology = declared_topology("x")
    for name, service in SERVICES.items():
        assert topology.consumer(name).event_types == frozenset(service.handler_options())
    assert topology.consumer("inventory").filter_policy == {"event_type": ["order.cancelled", "order.placed"]}
    assert topology.consumer("email").filter_policy == {
        "event_type": ["order.cancelled", "order.placed", "order.shipped"]
    }


def test_queue_settings_kept_for_terraform_parity() -> None:
    queues = {spec.name: spec.queue for spec in CONSUMERS}
    assert (queues["email"].max_receive_count, queues["email"].visibility_timeout_s) == (5, 60)
    assert (queues["inventory"].max_receive_count, queues["inventory"].visibility_timeout_s) == (8, 30)
    assert (queues["analytics"].max_receive_count, queues["analytics"].visibility_timeout_s) == (3, 120)
    assert queues["analytics"].retention_s == 7 * 24 * 3600
