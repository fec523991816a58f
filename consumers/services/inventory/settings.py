"""Inventory service settings, from FANOUT_INVENTORY_* environment variables (and DATABASE_URL)."""

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from consumers.services.database import DatabaseUrl
from fanout.state import sqlite_url


class InventorySettings(BaseSettings):
    """Where stock levels live and what a SKU's level is the first time the service sees it."""

    model_config = SettingsConfigDict(env_prefix="FANOUT_INVENTORY_", extra="ignore", populate_by_name=True)

    database_url: DatabaseUrl = Field(
        default_factory=lambda: sqlite_url("inventory.sqlite3"),
        validation_alias=AliasChoices("FANOUT_INVENTORY_DATABASE_URL", "DATABASE_URL"),
    )
    default_stock: int = Field(default=100, ge=0)
    """The level of a SKU first seen in an order, unless `initial_stock` names it."""
    initial_stock: dict[str, int] = Field(default_factory=dict)
    """Per-SKU starting levels, e.g. FANOUT_INVENTORY_INITIAL_STOCK='{"SKU-1": 5}'."""
    pool_size: int = Field(default=10, ge=1, le=100)
    """PostgreSQL connections; at least the runtime's concurrency for no handler to wait on one."""

    def starting_level(self, sku: str) -> int:
        return self.initial_stock.get(sku, self.default_stock)
