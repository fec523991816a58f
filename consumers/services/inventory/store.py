"""Stock levels, reservations and backorders, changed exactly once per event.

Each change runs in one transaction that also records the event id in `processed_events`; a
duplicate delivery finds the id recorded and changes nothing. Two copies in flight at once
serialise on that row (PostgreSQL) or on the write lock (SQLite, BEGIN IMMEDIATE), so the second
sees the first's record. SKUs are locked in sorted order so concurrent orders cannot deadlock.

Every order gets one row in `inventory_orders`: `reserved` once placed, `cancelled` once
cancelled. A cancellation that arrives before its order.placed (SNS/SQS do not order messages)
leaves a `cancelled` tombstone, so the late order.placed reserves nothing.

Reserving more than is available reserves what there is and records the rest as backordered;
released stock does not fill backorders (restocking is outside this service).
"""

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from consumers.services.database import Database, Transaction

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS inventory_stock (
        sku TEXT PRIMARY KEY,
        available INTEGER NOT NULL CHECK (available >= 0)
    )""",
    """CREATE TABLE IF NOT EXISTS inventory_orders (
        order_id TEXT PRIMARY KEY,
        status TEXT NOT NULL CHECK (status IN ('reserved', 'cancelled'))
    )""",
    """CREATE TABLE IF NOT EXISTS inventory_reservations (
        order_id TEXT NOT NULL,
        sku TEXT NOT NULL,
        reserved INTEGER NOT NULL CHECK (reserved >= 0),
        backordered INTEGER NOT NULL CHECK (backordered >= 0),
        PRIMARY KEY (order_id, sku)
    )""",
)

StartingLevel = Callable[[str], int]


class Outcome(StrEnum):
    """What an event did to the stock."""

    RESERVED = "reserved"
    RELEASED = "released"
    DUPLICATE = "duplicate"  # this event id was already applied
    ALREADY_RESERVED = "already_reserved"  # another order.placed for the same order
    ALREADY_CANCELLED = "already_cancelled"  # placed after its cancellation, or cancelled twice
    TOMBSTONED = "tombstoned"  # cancelled before it was seen placed


@dataclass(frozen=True)
class Line:
    """One SKU of an order's reservation."""

    sku: str
    reserved: int
    backordered: int


class StockStore:
    """Stock operations for the consumer `consumer` (the name its processed events are kept under)."""

    def __init__(self, database: Database, consumer: str, starting_level: StartingLevel) -> None:
        self._database = database
        self._consumer = consumer
        self._starting_level = starting_level

    async def migrate(self) -> None:
        await self._database.create_processed_events()
        await self._database.migrate(SCHEMA)

    async def reserve(self, event_id: str, order_id: str, items: Iterable[tuple[str, int]]) -> Outcome:
        """Reserve each (sku, quantity) for the order; what is not in stock is backordered."""
        wanted = Counter[str]()
        for sku, quantity in items:
            wanted[sku] += quantity
        async with self._database.transaction() as tx:
            if not await tx.record_processed(self._consumer, event_id):
                return Outcome.DUPLICATE
            if not await self._open_order(tx, order_id, "reserved"):
                status = await self._status(tx, order_id)
                return Outcome.ALREADY_CANCELLED if status == "cancelled" else Outcome.ALREADY_RESERVED
            for sku in sorted(wanted):
                available = await self._locked_level(tx, sku)
                reserved = min(available, wanted[sku])
                await tx.execute(
                    "UPDATE inventory_stock SET available = available - ? WHERE sku = ?", (reserved, sku)
                )
                await tx.execute(
                    "INSERT INTO inventory_reservations (order_id, sku, reserved, backordered) "
                    "VALUES (?, ?, ?, ?)",
                    (order_id, sku, reserved, wanted[sku] - reserved),
                )
            return Outcome.RESERVED

    async def release(self, event_id: str, order_id: str) -> Outcome:
        """Give back what the order reserved and drop its backorders (or leave a tombstone)."""
        async with self._database.transaction() as tx:
            if not await tx.record_processed(self._consumer, event_id):
                return Outcome.DUPLICATE
            if await self._open_order(tx, order_id, "cancelled"):
                return Outcome.TOMBSTONED
            if await self._status(tx, order_id, lock=True) == "cancelled":
                return Outcome.ALREADY_CANCELLED
            for line in await _lines(tx, order_id):
                await tx.execute(
                    "UPDATE inventory_stock SET available = available + ? WHERE sku = ?",
                    (line.reserved, line.sku),
                )
            await tx.execute("DELETE FROM inventory_reservations WHERE order_id = ?", (order_id,))
            await tx.execute(
                "UPDATE inventory_orders SET status = 'cancelled' WHERE order_id = ?", (order_id,)
            )
            return Outcome.RELEASED

    async def available(self, sku: str) -> int | None:
        """Units of `sku` not reserved; None for a SKU no order has named yet."""
        async with self._database.transaction() as tx:
            rows = await tx.execute("SELECT available FROM inventory_stock WHERE sku = ?", (sku,))
        return int(rows[0][0]) if rows else None

    async def backordered(self, sku: str) -> int:
        """Units of `sku` ordered but not in stock, over all open orders."""
        async with self._database.transaction() as tx:
            rows = await tx.execute(
                "SELECT COALESCE(SUM(backordered), 0) FROM inventory_reservations WHERE sku = ?", (sku,)
            )
        return int(rows[0][0])

    async def reservation(self, order_id: str) -> list[Line]:
        """The order's reserved and backordered units per SKU."""
        async with self._database.transaction() as tx:
            return await _lines(tx, order_id)

    async def _open_order(self, tx: Transaction, order_id: str, status: str) -> bool:
        """Create the order's row with `status`; False when it already exists."""
        created = await tx.execute(
            "INSERT INTO inventory_orders (order_id, status) VALUES (?, ?) "
            "ON CONFLICT (order_id) DO NOTHING RETURNING order_id",
            (order_id, status),
        )
        return bool(created)

    async def _status(self, tx: Transaction, order_id: str, *, lock: bool = False) -> str:
        suffix = self._database.lock_suffix if lock else ""
        [(status,)] = await tx.execute(
            f"SELECT status FROM inventory_orders WHERE order_id = ?{suffix}", (order_id,)
        )
        return str(status)

    async def _locked_level(self, tx: Transaction, sku: str) -> int:
        """The SKU's available units, creating it at its starting level, locked until commit."""
        await tx.execute(
            "INSERT INTO inventory_stock (sku, available) VALUES (?, ?) ON CONFLICT (sku) DO NOTHING",
            (sku, self._starting_level(sku)),
        )
        [(available,)] = await tx.execute(
            f"SELECT available FROM inventory_stock WHERE sku = ?{self._database.lock_suffix}", (sku,)
        )
        return int(available)


async def _lines(tx: Transaction, order_id: str) -> list[Line]:
    rows = await tx.execute(
        "SELECT sku, reserved, backordered FROM inventory_reservations WHERE order_id = ? ORDER BY sku",
        (order_id,),
    )
    return [Line(str(sku), int(reserved), int(backordered)) for sku, reserved, backordered in rows]
