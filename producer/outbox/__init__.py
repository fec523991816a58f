"""The transactional outbox: stage events in the order's own transaction, a relay publishes them.

    with psycopg.connect(url) as connection, connection.transaction():
        connection.execute("INSERT INTO orders ...")
        stage(connection, new_event(OrderPlaced(...)))   # published if and only if this commits

`fanout outbox init` creates the table, `fanout outbox relay` publishes, `fanout outbox status` reports.
"""

from producer.outbox.admin import create_outbox, outbox_status
from producer.outbox.schema import TABLE, ddl, ddl_script
from producer.outbox.staging import NoTransaction, stage, stage_async
from producer.outbox.store import OutboxStatus

__all__ = [
    "TABLE",
    "NoTransaction",
    "OutboxStatus",
    "create_outbox",
    "ddl",
    "ddl_script",
    "outbox_status",
    "stage",
    "stage_async",
]
