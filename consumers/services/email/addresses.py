"""Order id → customer email, learned from order.placed (later events carry no address)."""

from datetime import UTC, datetime

from consumers.services.database import Database

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS email_order_addresses (
        order_id TEXT PRIMARY KEY,
        email TEXT NOT NULL,
        learned_at TEXT NOT NULL
    )""",
)


class AddressBook:
    """The customer address of every order the service has seen placed."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def remember(self, order_id: str, email: str) -> None:
        async with self._database.transaction() as tx:
            await tx.execute(
                "INSERT INTO email_order_addresses (order_id, email, learned_at) VALUES (?, ?, ?) "
                "ON CONFLICT (order_id) DO UPDATE SET email = excluded.email",
                (order_id, email, datetime.now(UTC).isoformat()),
            )

    async def lookup(self, order_id: str) -> str | None:
        async with self._database.transaction() as tx:
            rows = await tx.execute("SELECT email FROM email_order_addresses WHERE order_id = ?", (order_id,))
        return str(rows[0][0]) if rows else None
