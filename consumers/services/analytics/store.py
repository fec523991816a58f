"""Raw order events keyed by event id, and the aggregates computed over them.

Each event is stored once (INSERT ... ON CONFLICT (event_id) DO NOTHING), so a duplicate delivery
changes nothing; counts and revenue are queries over the stored events, so they are right under
duplicates and in any arrival order. Revenue is kept per currency from order.placed totals, as
exact integers of 1/10,000 (the contract allows at most 4 decimal places). A cancelled order's
total stays in `gross` and is also counted in `cancelled`; `net` is the difference.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from consumers.services.database import Database
from fanout.contract import CloudEvent, OrderCancelled, OrderPlaced

UNIT_EXPONENT = 4  # total_units = total * 10**4

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS analytics_events (
        event_id TEXT PRIMARY KEY,
        event_type TEXT NOT NULL,
        order_id TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        currency TEXT,
        total_units BIGINT,
        body TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS analytics_events_by_order ON analytics_events (order_id, event_type)",
)

INSERT = (
    "INSERT INTO analytics_events "
    "(event_id, event_type, order_id, occurred_at, currency, total_units, body) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING"
)

REVENUE = f"""
    SELECT placed.currency,
           SUM(placed.total_units),
           SUM(CASE WHEN EXISTS (
                   SELECT 1 FROM analytics_events cancel
                   WHERE cancel.order_id = placed.order_id
                     AND cancel.event_type = '{OrderCancelled.event_type}'
               ) THEN placed.total_units ELSE 0 END)
    FROM analytics_events placed
    WHERE placed.event_type = '{OrderPlaced.event_type}'
    GROUP BY placed.currency
"""


@dataclass(frozen=True)
class Revenue:
    """One currency's order totals."""

    gross: Decimal
    cancelled: Decimal

    @property
    def net(self) -> Decimal:
        return self.gross - self.cancelled


@dataclass(frozen=True)
class Summary:
    """Events per type and revenue per currency."""

    counts: dict[str, int]
    revenue: dict[str, Revenue]


def _row(event: CloudEvent[Any]) -> tuple[Any, ...]:
    data = event.data
    currency, units = None, None
    if isinstance(data, OrderPlaced):
        currency, units = str(data.currency), int(data.total.scaleb(UNIT_EXPONENT))
    return (
        event.id,
        event.type,
        event.subject,
        event.time.isoformat(),
        currency,
        units,
        event.model_dump_json(),
    )


def _amount(units: Any) -> Decimal:
    return Decimal(int(units)).scaleb(-UNIT_EXPONENT)


class EventStore:
    """The analytics tables in one database."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def migrate(self) -> None:
        await self._database.migrate(SCHEMA)

    async def record(self, events: Sequence[CloudEvent[Any]]) -> None:
        """Store a batch in one transaction; events already stored are skipped."""
        async with self._database.transaction() as tx:
            for event in events:
                await tx.execute(INSERT, _row(event))

    async def summary(self) -> Summary:
        async with self._database.transaction() as tx:
            counts = await tx.execute("SELECT event_type, COUNT(*) FROM analytics_events GROUP BY event_type")
            revenue = await tx.execute(REVENUE)
        return Summary(
            counts={str(event_type): int(count) for event_type, count in counts},
            revenue={str(c): Revenue(_amount(gross), _amount(cancelled)) for c, gross, cancelled in revenue},
        )

    async def event_ids(self) -> set[str]:
        """Every stored event id."""
        async with self._database.transaction() as tx:
            rows = await tx.execute("SELECT event_id FROM analytics_events")
        return {str(event_id) for (event_id,) in rows}
