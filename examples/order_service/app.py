"""The HTTP API: POST /orders writes the order and stages order.placed in one transaction,
answers 202 Accepted with a Location; GET /orders/{id} shows the order and whether its events
were published (by `fanout outbox relay`, running next to it)."""

from typing import Any

from aiohttp import web
from pydantic import ValidationError

from examples.order_service.database import OrderDatabase
from examples.order_service.orders import NewOrder, event_view
from fanout.contract.registry import summarize_validation_error
from producer.outbox import TABLE, stage_async

DATABASE = web.AppKey("database", OrderDatabase)


async def place_order(request: web.Request) -> web.Response:
    try:
        order = NewOrder.model_validate_json(await request.read())
        event = order.placed(correlation_id=request.headers.get("X-Correlation-Id"))
    except ValidationError as error:
        return web.json_response({"error": summarize_validation_error(error)}, status=400)
    data = event.data
    database = request.app[DATABASE]
    try:
        async with database.transaction() as connection:
            await database.execute(
                connection,
                "INSERT INTO orders (order_id, customer_id, total, currency, placed_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (data.order_id, data.customer_id, str(data.total), data.currency, data.placed_at.isoformat()),
            )
            await stage_async(connection, event)  # published if and only if this transaction commits
    except Exception as error:
        if database.is_duplicate(error):
            return web.json_response({"error": f"order {data.order_id} exists"}, status=409)
        raise
    location = f"/orders/{data.order_id}"
    return web.json_response(
        {"order_id": data.order_id, "event_id": event.id}, status=202, headers={"Location": location}
    )


async def show_order(request: web.Request) -> web.Response:
    order_id = request.match_info["order_id"]
    database = request.app[DATABASE]
    async with database.transaction() as connection:
        orders = await database.execute(
            connection,
            "SELECT order_id, customer_id, total, currency, placed_at FROM orders WHERE order_id = ?",
            (order_id,),
        )
        events = await database.execute(
            connection,
            f"SELECT event_id, event_type, published_at, message_id, attempts, last_error FROM {TABLE} "
            "WHERE subject = ? ORDER BY id",
            (order_id,),
        )
    if not orders:
        return web.json_response({"error": f"no order {order_id}"}, status=404)
    _, customer_id, total, currency, placed_at = orders[0]
    body: dict[str, Any] = {
        "order_id": order_id,
        "customer_id": customer_id,
        "total": total,
        "currency": currency,
        "placed_at": placed_at,
        "events": [event_view(row) for row in events],  # published rows go after the relay's retention
    }
    return web.json_response(body)


def create_app(database: OrderDatabase) -> web.Application:
    app = web.Application()
    app[DATABASE] = database
    app.router.add_post("/orders", place_order)
    app.router.add_get("/orders/{order_id}", show_order)
    return app
