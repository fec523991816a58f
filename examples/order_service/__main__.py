"""python -m examples.order_service --database-url URL [--port 8000]

Creates the orders table and the outbox if missing, then serves the API. Run the relay next to it:
fanout outbox relay --database-url URL
"""

import argparse
import asyncio
import contextlib
import os

from aiohttp import web

from examples.order_service.app import create_app
from examples.order_service.database import OrderDatabase
from producer.outbox import create_outbox


async def serve(database_url: str, port: int) -> None:
    await asyncio.to_thread(create_outbox, database_url)
    database = await OrderDatabase.open(database_url)
    runner = web.AppRunner(create_app(database))
    await runner.setup()
    await web.TCPSite(runner, "0.0.0.0", port).start()
    print(f"order service on http://127.0.0.1:{port}/orders")
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
        await database.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m examples.order_service")
    parser.add_argument(
        "--database-url", default=os.environ.get("FANOUT_OUTBOX_DATABASE_URL", "sqlite:///orders.sqlite3")
    )
    parser.add_argument("--port", type=int, default=8000)
    arguments = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(arguments.database_url, arguments.port))


if __name__ == "__main__":
    main()
