"""The consumer services this system runs; each one's event types (filter policy) come from its handlers.

Queue settings live on the service classes (Terraform parity tests check the same values).
"""

from consumers.runtime.service import Service
from consumers.services.analytics.service import AnalyticsService
from consumers.services.email.service import EmailService
from consumers.services.inventory.service import InventoryService
from fanout.topology.model import ConsumerSpec

SERVICES: dict[str, type[Service]] = {
    "email": EmailService,
    "inventory": InventoryService,
    "analytics": AnalyticsService,
}

CONSUMERS: tuple[ConsumerSpec, ...] = tuple(service.consumer_spec() for service in SERVICES.values())
