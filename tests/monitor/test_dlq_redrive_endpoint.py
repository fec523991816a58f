"""`fanout dlq redrive` through the endpoint: StartMessageMoveTask and `--status` where the endpoint has
them (AWS, LocalStack), and the copy's `--rate` measured."""

import time

import pytest
from endpoint_support import move_tasks_supported, receive_at_least
from monitor_support import put_dead_letters, visible

from fanout.cli import main
from fanout.contract.deadletter import DeadLetterAttribute
from fanout.topology import AppliedTopology


def run(argv: list[str]) -> int:
    try:
        main(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


@pytest.mark.conformance
def test_redrive_runs_a_message_move_task(
    fanout_topology: AppliedTopology, test_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    dlq_arn = fanout_topology.deployed.consumers["email"].dlq.arn
    if not move_tasks_supported(dlq_arn):
        pytest.skip("the endpoint lacks StartMessageMoveTask (moto): the copy path is tested in test_dlq_cli")
    dlq, source = fanout_topology.dlq_url("email"), fanout_topology.queue_url("email")
    bodies = put_dead_letters(dlq, 12)

    assert run(["dlq", "redrive", "email"]) == 0
    output = capsys.readouterr().out
    assert "move task" in output and "12" in output

    moved = receive_at_least(source, 12, MessageAttributeNames=["All"])
    assert sorted(message["Body"] for message in moved) == sorted(bodies)
    assert visible(dlq) == 0
    # A move task moves messages as they are: the old record travels along (the runtime replaces it).
    assert all(DeadLetterAttribute.REASON.value in message["MessageAttributes"] for message in moved)


@pytest.mark.conformance
def test_redrive_status_reports_the_last_move_task(
    fanout_topology: AppliedTopology, test_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if not move_tasks_supported(fanout_topology.deployed.consumers["inventory"].dlq.arn):
        pytest.skip("the endpoint lacks ListMessageMoveTasks (moto)")
    run(["dlq", "redrive", "--help"])
    if "--status" not in capsys.readouterr().out:
        pytest.skip("`fanout dlq redrive --status` is not on this branch yet (issue 9 adds it)")
    put_dead_letters(fanout_topology.dlq_url("inventory"), 7)
    assert run(["dlq", "redrive", "inventory"]) == 0
    capsys.readouterr()

    assert run(["dlq", "redrive", "inventory", "--status"]) == 0
    status = capsys.readouterr().out.lower()
    assert "completed" in status and "7" in status


@pytest.mark.conformance
def test_redrive_rate_limits_the_copy(
    fanout_topology: AppliedTopology, test_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    dlq, source = fanout_topology.dlq_url("analytics"), fanout_topology.queue_url("analytics")
    put_dead_letters(dlq, 12)

    started = time.monotonic()
    assert run(["dlq", "redrive", "analytics", "--limit", "10", "--rate", "5"]) == 0
    elapsed = time.monotonic() - started

    assert (visible(dlq), visible(source)) == (2, 10)
    assert elapsed >= 1.5, f"10 messages at 5/s moved in {elapsed:.2f} s"  # >= 2 s less one batch's slack
    assert "moved 10" in capsys.readouterr().out
