"""The dashboard's JSON API on a real endpoint: overview, DLQ browser, actions and their guards, trace."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dashboard_support import (
    TOKEN,
    put_dead_letter,
    put_event_dead_letter,
    record_handled,
    shipped,
    visible,
)
from openapi_spec_validator import validate
from pydantic import SecretStr
from structlog.testing import capture_logs

from fanout.aws import sync_client
from fanout.contract.deadletter import DeadLetterAttribute
from fanout.dashboard.openapi import openapi_document
from fanout.dashboard.settings import DashboardSettings
from fanout.topology import AppliedTopology
from monitor.lifecycle import QueueState
from monitor.state import AlertStore

pytestmark = pytest.mark.usefixtures("test_env")

ACTION_HEADERS = {"X-Fanout-Token": TOKEN, "Content-Type": "application/json"}


def with_token() -> DashboardSettings:
    return DashboardSettings(token=SecretStr(TOKEN))


def fill_dlq(topology: AppliedTopology, consumer: str, count: int) -> list[str]:
    return [
        put_event_dead_letter(
            topology.dlq_url(consumer), shipped(f"o-{consumer}-{index}"), "handler_failed", f"test-{consumer}"
        )
        for index in range(count)
    ]


async def test_overview_shows_every_consumers_queue_dlq_and_alert_with_read_times(
    open_client, fanout_topology: AppliedTopology, state_path: Path
) -> None:
    fill_dlq(fanout_topology, "email", 2)
    fill_dlq(fanout_topology, "analytics", 1)
    sync_client("sqs").send_message(QueueUrl=fanout_topology.queue_url("inventory"), MessageBody="{}")
    async with AlertStore(str(state_path)) as store:
        await store.save(QueueState("test-email-dlq", True, 2, datetime(2026, 1, 1, tzinfo=UTC)))
        await store.save(QueueState("test-analytics-dlq", False, 0, None))

    client = await open_client(DashboardSettings())
    response = await client.get("/api/overview")
    assert response.status == 200
    overview = await response.json()

    rows = {row["consumer"]: row for row in overview["consumers"]}
    assert list(rows) == ["email", "inventory", "analytics"]
    assert {name: row["dlq"]["depth"] for name, row in rows.items()} == {
        "email": 2,
        "inventory": 0,
        "analytics": 1,
    }
    assert rows["inventory"]["queue"]["visible"] == 1
    assert rows["email"]["dlq"]["oldest_age_s"] is not None and rows["email"]["dlq"]["oldest_age_exact"]
    assert rows["inventory"]["dlq"]["oldest_age_s"] is None
    assert rows["email"]["alert"]["state"] == "firing"
    assert rows["email"]["alert"]["since"] == "2026-01-01T00:00:00+00:00"
    assert rows["analytics"]["alert"]["state"] == "resolved"
    assert rows["inventory"]["alert"]["state"] == "unknown"
    for row in rows.values():
        for part in ("queue", "dlq", "alert"):
            datetime.fromisoformat(row[part]["read_at"])
        assert row["metrics"] is None  # no /metrics configured
    assert overview["errors"] == []


async def test_overview_reports_an_unreachable_metrics_url_without_failing(open_client) -> None:
    settings = DashboardSettings(consumer_metrics=["http://127.0.0.1:9/metrics?secret=s3cr3t"])
    client = await open_client(settings)
    overview = await (await client.get("/api/overview")).json()
    assert len(overview["consumers"]) == 3
    assert overview["errors"] == ["metrics 127.0.0.1:9/metrics: ClientConnectorError"]
    assert "s3cr3t" not in json.dumps(overview)


async def test_dlq_browser_shows_what_the_runtime_recorded(
    open_client, fanout_topology: AppliedTopology
) -> None:
    event = shipped("o-77")
    put_event_dead_letter(fanout_topology.dlq_url("email"), event, "handler_failed", "test-email")
    put_dead_letter(
        fanout_topology.dlq_url("email"),
        "{this is not json",
        {},
        reason="undecodable",
        detail="Expecting property name",
        source_queue="test-email",
    )

    client = await open_client(DashboardSettings())
    dlq = await (await client.get("/api/dlq/email")).json()

    assert (dlq["dlq"], dlq["source_queue"], dlq["depth"]) == ("test-email-dlq", "test-email", 2)
    by_reason = {message["reason"]: message for message in dlq["messages"]}
    handled = by_reason["handler_failed"]
    assert (handled["event_id"], handled["event_type"], handled["subject"]) == (
        event.id,
        "order.shipped",
        "o-77",
    )
    assert handled["source_queue"] == "test-email"
    assert handled["receive_count"] == 5
    assert handled["first_seen"] == "2026-01-01T00:00:00+00:00"
    assert handled["dead_lettered_at"] == "2026-01-01T00:05:00+00:00"
    assert json.loads(handled["body"])["id"] == event.id and handled["body"].startswith("{\n  ")
    poison = by_reason["undecodable"]
    assert (poison["event_id"], poison["detail"], poison["body"]) == (
        None,
        "Expecting property name",
        "{this is not json",
    )
    assert visible(fanout_topology.dlq_url("email")) == 2  # browsing consumed nothing


async def test_a_large_body_is_truncated_and_downloadable_whole(
    open_client, fanout_topology: AppliedTopology
) -> None:
    body = json.dumps({"blob": "x" * 5000, "tag": "<script>alert(1)</script>"})
    message_id = put_dead_letter(
        fanout_topology.dlq_url("analytics"),
        body,
        {},
        reason="undecodable",
        detail="d",
        source_queue="test-analytics",
    )
    client = await open_client(DashboardSettings(body_preview_chars=1024))

    [message] = (await (await client.get("/api/dlq/analytics")).json())["messages"]
    assert message["body_truncated"] and len(message["body"]) == 1024
    assert message["body_bytes"] == len(body)

    download = await client.get(f"/api/dlq/analytics/messages/{message_id}/body")
    assert download.status == 200
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.headers["Content-Type"] == "application/octet-stream"
    assert await download.text() == body
    assert (await client.get("/api/dlq/analytics/messages/nope/body")).status == 404


async def test_the_dlq_browser_takes_a_limit(open_client, fanout_topology: AppliedTopology) -> None:
    fill_dlq(fanout_topology, "email", 3)
    client = await open_client(DashboardSettings())
    dlq = await (await client.get("/api/dlq/email?limit=2")).json()
    assert (dlq["depth"], len(dlq["messages"])) == (3, 2)
    for bad in ("0", "1001", "x"):
        assert (await client.get(f"/api/dlq/email?limit={bad}")).status == 400


async def test_unknown_consumer_is_404(open_client) -> None:
    client = await open_client(DashboardSettings())
    response = await client.get("/api/dlq/nobody")
    assert response.status == 404
    assert await response.json() == {"error": "unknown consumer"}


async def test_a_read_only_dashboard_refuses_actions_and_changes_nothing(
    open_client, fanout_topology: AppliedTopology
) -> None:
    fill_dlq(fanout_topology, "email", 1)
    client = await open_client(DashboardSettings())
    assert (await (await client.get("/api/config")).json())["actions_enabled"] is False
    for action in ("redrive", "purge"):
        response = await client.post(
            f"/api/dlq/email/{action}", json={"confirm": "email"}, headers=ACTION_HEADERS
        )
        assert response.status == 403
        assert "read-only" in (await response.json())["error"]
    assert visible(fanout_topology.dlq_url("email")) == 1
    assert visible(fanout_topology.queue_url("email")) == 0


BOTH = ("redrive", "purge")


@pytest.mark.parametrize(
    ("headers", "body", "status", "actions"),
    [
        ({"Content-Type": "application/json"}, {"confirm": "email"}, 401, BOTH),  # no token
        (
            {"X-Fanout-Token": "wrong-token-123", "Content-Type": "application/json"},
            {"confirm": "email"},
            401,
            BOTH,
        ),
        ({"X-Fanout-Token": TOKEN, "Content-Type": "application/x-www-form-urlencoded"}, None, 415, BOTH),
        ({**ACTION_HEADERS, "Origin": "https://evil.example"}, {"confirm": "email"}, 403, BOTH),
        (ACTION_HEADERS, {}, 400, BOTH),  # not confirmed
        (ACTION_HEADERS, {"confirm": "inventory"}, 400, BOTH),  # confirmed for another consumer
        (ACTION_HEADERS, {"confirm": "email", "message_ids": "all"}, 400, ("redrive",)),
        (ACTION_HEADERS, {"confirm": "email", "message_ids": []}, 400, ("redrive",)),
    ],
)
async def test_an_action_without_token_confirmation_or_from_another_origin_is_refused(
    open_client,
    fanout_topology: AppliedTopology,
    headers: dict[str, str],
    body: object,
    status: int,
    actions: tuple[str, ...],
) -> None:
    fill_dlq(fanout_topology, "email", 1)
    client = await open_client(with_token())
    data = json.dumps(body) if body is not None else "confirm=email"
    with capture_logs() as logs:
        for action in actions:
            response = await client.post(f"/api/dlq/email/{action}", data=data, headers=headers)
            assert response.status == status
            assert TOKEN not in await response.text()
    assert logs == []
    assert visible(fanout_topology.dlq_url("email")) == 1
    assert visible(fanout_topology.queue_url("email")) == 0


async def test_actions_are_post_only(open_client) -> None:
    client = await open_client(with_token())
    for action in ("redrive", "purge"):
        assert (await client.get(f"/api/dlq/email/{action}")).status == 405


async def test_redrive_all_moves_the_messages_back_and_logs_who_and_how_many(
    open_client, fanout_topology: AppliedTopology
) -> None:
    fill_dlq(fanout_topology, "email", 2)
    client = await open_client(with_token())
    with capture_logs() as logs:
        response = await client.post(
            "/api/dlq/email/redrive", json={"confirm": "email", "by": "alice"}, headers=ACTION_HEADERS
        )
    assert response.status == 200
    assert await response.json() == {"consumer": "email", "requested": 2, "moved": 2, "move_task": None}
    assert visible(fanout_topology.dlq_url("email")) == 0
    moved = sync_client("sqs").receive_message(
        QueueUrl=fanout_topology.queue_url("email"), MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )["Messages"]
    assert len(moved) == 2
    assert all(DeadLetterAttribute.REASON.value not in message["MessageAttributes"] for message in moved)
    [entry] = [entry for entry in logs if entry["event"] == "dashboard_action"]
    assert (entry["action"], entry["scope"], entry["consumer"], entry["moved"]) == (
        "redrive",
        "all",
        "email",
        2,
    )
    assert entry["by"].startswith("alice from ")
    assert TOKEN not in repr(logs)


async def test_redrive_selected_moves_only_the_chosen_messages(
    open_client, fanout_topology: AppliedTopology
) -> None:
    ids = fill_dlq(fanout_topology, "inventory", 3)
    client = await open_client(with_token())
    response = await client.post(
        "/api/dlq/inventory/redrive",
        json={"confirm": "inventory", "message_ids": [ids[1]]},
        headers=ACTION_HEADERS,
    )
    assert await response.json() == {"consumer": "inventory", "requested": 1, "moved": 1, "move_task": None}
    [moved] = sync_client("sqs").receive_message(QueueUrl=fanout_topology.queue_url("inventory"))["Messages"]
    remaining = (await (await client.get("/api/dlq/inventory")).json())["messages"]
    assert sorted(message["message_id"] for message in remaining) == sorted([ids[0], ids[2]])
    assert visible(fanout_topology.dlq_url("inventory")) == 2  # the others were released at once
    assert json.loads(moved["Body"])["subject"] == "o-inventory-1"


async def test_purge_empties_the_dlq(open_client, fanout_topology: AppliedTopology) -> None:
    fill_dlq(fanout_topology, "analytics", 2)
    client = await open_client(with_token())
    with capture_logs() as logs:
        response = await client.post(
            "/api/dlq/analytics/purge",
            json={"confirm": "analytics", "by": "bob<script>"},
            headers=ACTION_HEADERS,
        )
    assert await response.json() == {"consumer": "analytics", "purged": 2}
    assert visible(fanout_topology.dlq_url("analytics")) == 0
    [entry] = logs
    assert (entry["action"], entry["purged"]) == ("purge", 2)
    assert entry["by"].startswith("bobscript from ")


async def test_trace_by_event_id_shows_routing_and_the_consumers_that_handled_it(
    open_client, tmp_path: Path
) -> None:
    event = shipped("o-900")  # order.shipped goes to email and analytics, not inventory
    stores = await record_handled(tmp_path, ["email", "analytics"], event)
    client = await open_client(DashboardSettings(processed_events=stores))

    trace = await (await client.get(f"/api/trace/{event.id}")).json()

    [found] = trace["events"]
    assert found["event_id"] == event.id
    handled = {row["consumer"]: row["handled_at"] is not None for row in found["consumers"]}
    assert handled == {"email": True, "inventory": False, "analytics": True}
    assert trace["errors"] == []


async def test_trace_by_order_id_finds_the_event_in_the_log_and_in_a_dlq(
    open_client, fanout_topology: AppliedTopology, tmp_path: Path
) -> None:
    from dashboard_support import log_events

    event = shipped("o-901")
    log = await log_events(f"sqlite:///{tmp_path / 'analytics.sqlite3'}", [event, shipped("o-other")])
    put_event_dead_letter(fanout_topology.dlq_url("email"), event, "permanent_failure", "test-email")
    stores = await record_handled(tmp_path, ["analytics"], event)
    client = await open_client(DashboardSettings(processed_events=stores, event_log=log))

    trace = await (await client.get("/api/trace/o-901")).json()

    [found] = trace["events"]
    assert (found["event_id"], found["event_type"], found["subject"]) == (event.id, "order.shipped", "o-901")
    rows = {row["consumer"]: row for row in found["consumers"]}
    assert {name: row["routed"] for name, row in rows.items()} == {
        "email": True,
        "inventory": False,
        "analytics": True,
    }
    assert [letter["reason"] for letter in rows["email"]["dead_letters"]] == ["permanent_failure"]
    assert rows["email"]["handled_at"] is None and rows["analytics"]["handled_at"] is not None


async def test_trace_of_something_unknown_finds_nothing(open_client, tmp_path: Path) -> None:
    stores = await record_handled(tmp_path, [], shipped("o-1"))
    client = await open_client(DashboardSettings(processed_events=stores))
    assert (await (await client.get("/api/trace/no-such-thing")).json())["events"] == []


async def test_the_openapi_description_is_valid_and_covers_every_api_route(open_client) -> None:
    client = await open_client(DashboardSettings())
    document = await (await client.get("/api/openapi.json")).json()
    assert document == json.loads(json.dumps(openapi_document()))
    validate(document)
    routes = {
        resource.canonical.replace("{consumer}", "{consumer}")
        for resource in client.app.router.resources()
        if resource.canonical.startswith("/api/")
    }
    assert routes == set(document["paths"])


async def test_pages_carry_a_content_security_policy(open_client) -> None:
    client = await open_client(DashboardSettings())
    page = await client.get("/")
    assert page.status == 200
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "<title>" in await page.text()
    assert (await client.get("/static/app.js")).status == 200


def test_processed_events_of_an_unknown_consumer_is_a_configuration_error(
    fanout_topology: AppliedTopology,
) -> None:
    from fanout.dashboard.app import dashboard_app
    from fanout.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="unknown consumer 'billing'"):
        dashboard_app(
            DashboardSettings(processed_events={"billing": "sqlite:///x.db"}), fanout_topology.declared
        )


async def test_redrive_selected_of_an_id_not_in_the_dlq_moves_nothing_and_releases_the_rest(
    open_client, fanout_topology: AppliedTopology
) -> None:
    fill_dlq(fanout_topology, "email", 12)  # more than one receive
    client = await open_client(with_token())
    response = await client.post(
        "/api/dlq/email/redrive",
        json={"confirm": "email", "message_ids": ["not-there"]},
        headers=ACTION_HEADERS,
    )
    assert await response.json() == {"consumer": "email", "requested": 1, "moved": 0, "move_task": None}
    assert visible(fanout_topology.dlq_url("email")) == 12
    assert visible(fanout_topology.queue_url("email")) == 0
