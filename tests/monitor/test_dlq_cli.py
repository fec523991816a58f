"""`fanout dlq`: list, show (peek, nothing consumed), redrive (all, limit, dry run, interrupted), purge."""

import io
import json
import os
import subprocess
import sys

import pytest
from monitor_support import drain, put_dead_letters, shipped_body, visible

from fanout.aws import sync_client
from fanout.cli import main
from fanout.contract.deadletter import DeadLetterAttribute
from fanout.topology import AppliedTopology
from monitor.dlq.queues import dead_letter_queue
from monitor.dlq.redrive import StopReason, redrive


def run(argv: list[str]) -> int:
    """Run the CLI in-process and return its exit code."""
    try:
        main(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


@pytest.mark.conformance
def test_show_decodes_without_consuming(
    fanout_topology: AppliedTopology, test_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    dlq = fanout_topology.dlq_url("email")
    put_dead_letters(dlq, 3, reason="schema_violation")
    put_dead_letters(dlq, 1, reason=None, start=3)
    sync_client("sqs").send_message(QueueUrl=dlq, MessageBody="not json at all")

    assert run(["dlq", "show", "email", "--limit", "10", "--json"]) == 0

    shown = json.loads(capsys.readouterr().out)
    assert shown["depth"] == 5
    by_reason = sorted(message["reason"] for message in shown["messages"])
    assert by_reason.count("schema_violation") == 3
    assert by_reason.count("unknown (moved by redrive policy)") == 2
    runtime = [m for m in shown["messages"] if m["reason"] == "schema_violation"]
    assert {m["event_type"] for m in runtime} == {"order.shipped"}
    assert all(m["attempts"] == 5 and m["first_seen"].startswith("2026-01-01") for m in runtime)
    garbage = [m for m in shown["messages"] if m["event_type"] is None]
    assert len(garbage) == 1 and garbage[0]["detail"].startswith("malformed")
    assert visible(dlq) == 5  # visibility restored: nothing consumed


@pytest.mark.conformance
def test_show_on_a_narrow_terminal_points_to_json(fanout_topology: AppliedTopology, test_env: str) -> None:
    put_dead_letters(fanout_topology.dlq_url("email"), 2)
    shown = subprocess.run(
        [sys.executable, "-m", "fanout.cli", "dlq", "show", "email"],
        env={**os.environ, "COLUMNS": "80"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert all(len(line) <= 80 for line in shown.splitlines())
    assert "--json prints the full values" in shown and "…" not in shown  # folded, not cut


def test_show_limit_and_unknown_consumer(
    fanout_topology: AppliedTopology, test_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    put_dead_letters(fanout_topology.dlq_url("inventory"), 12)
    assert run(["dlq", "show", "inventory", "--limit", "11", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["messages"]) == 11

    assert run(["dlq", "show", "nobody"]) == 1
    error = capsys.readouterr().err.strip().splitlines()
    assert error == ["fanout: error: unknown consumer 'nobody' (known: email, inventory, analytics)"]


@pytest.mark.conformance
def test_list_reports_depth_and_oldest_age(
    fanout_topology: AppliedTopology, test_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    put_dead_letters(fanout_topology.dlq_url("analytics"), 2)
    assert run(["dlq", "list", "--json"]) == 0
    rows = {row["consumer"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["analytics"]["depth"] == 2 and rows["analytics"]["oldest_age_exact"] is True
    assert rows["analytics"]["oldest_age_s"] is not None
    assert rows["email"]["depth"] == 0 and rows["email"]["oldest_age_s"] is None


def test_redrive_moves_everything_back_without_dlq_attributes(
    fanout_topology: AppliedTopology, test_env: str
) -> None:
    dlq, source = fanout_topology.dlq_url("email"), fanout_topology.queue_url("email")
    bodies = put_dead_letters(dlq, 13)

    assert run(["dlq", "redrive", "email"]) == 0

    assert visible(dlq) == 0
    moved = drain(source)
    assert sorted(m["Body"] for m in moved) == sorted(bodies)
    for message in moved:
        names = set(message["MessageAttributes"])
        assert "event_type" in names and "correlation_id" in names
        assert not names & {attribute.value for attribute in DeadLetterAttribute}


@pytest.mark.conformance
def test_redrive_dry_run_moves_nothing_and_limit_and_rate_are_respected(
    fanout_topology: AppliedTopology, test_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    dlq, source = fanout_topology.dlq_url("inventory"), fanout_topology.queue_url("inventory")
    put_dead_letters(dlq, 7)

    assert run(["dlq", "redrive", "inventory", "--dry-run"]) == 0
    assert "would move 7 of 7" in capsys.readouterr().out
    assert (visible(dlq), visible(source)) == (7, 0)

    assert run(["dlq", "redrive", "inventory", "--limit", "3", "--rate", "50"]) == 0
    assert (visible(dlq), visible(source)) == (4, 3)


def test_one_event_dead_lettered_twice_is_two_messages_to_move_not_one_that_came_back(
    fanout_topology: AppliedTopology, test_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    dlq, source = fanout_topology.dlq_url("email"), fanout_topology.queue_url("email")
    body, attributes = shipped_body("o-1")
    for _ in range(2):  # the same event, the same body: it failed twice
        sync_client("sqs").send_message(QueueUrl=dlq, MessageBody=body, MessageAttributes=attributes)  # type: ignore[arg-type]

    first = redrive(dead_letter_queue("email"), limit=1)
    assert (first.moved, first.returned, first.stopped) == (1, 0, StopReason.LIMIT)
    assert run(["dlq", "redrive", "email"]) == 0
    assert "came back" not in capsys.readouterr().err
    assert visible(dlq) == 0
    assert [m["Body"] for m in drain(source)] == [body, body]


def test_interrupted_redrive_then_rerun_loses_nothing(
    fanout_topology: AppliedTopology, test_env: str
) -> None:
    dlq, source = fanout_topology.dlq_url("analytics"), fanout_topology.queue_url("analytics")
    bodies = put_dead_letters(dlq, 25)
    queue = dead_letter_queue("analytics")
    moved_so_far: list[int] = []

    first = redrive(queue, on_moved=moved_so_far.append, should_stop=lambda: sum(moved_so_far) >= 10)

    assert (first.method, first.moved, first.snapshot, first.stopped) == (
        "copy",
        10,
        25,
        StopReason.INTERRUPTED,
    )
    assert len(set(first.moved_ids)) == 10 and first.remaining == 15
    assert (visible(dlq), visible(source)) == (15, 10)
    assert run(["dlq", "redrive", "analytics"]) == 0
    assert visible(dlq) == 0
    assert sorted(m["Body"] for m in drain(source)) == sorted(bodies)


@pytest.mark.conformance
def test_purge_needs_confirmation(
    fanout_topology: AppliedTopology, test_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    dlq = fanout_topology.dlq_url("email")
    put_dead_letters(dlq, 2)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # no one to answer the prompt

    assert run(["dlq", "purge", "email"]) != 0
    assert visible(dlq) == 2

    assert run(["dlq", "purge", "email", "--yes"]) == 0
    assert visible(dlq) == 0
