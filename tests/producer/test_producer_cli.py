"""`fanout publish` end to end against the moto endpoint: output, arrival, and one-line errors."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Drain, FaultySns

from fanout.cli.app import main
from fanout.contract import ORDER_EVENTS
from fanout.topology import AppliedTopology
from producer.demo import demo_events

PLACED = {
    "order_id": "ord-cli-1",
    "customer_id": "cust-1",
    "customer_email": "ada@example.com",
    "items": [{"sku": "MUG", "quantity": 2, "unit_price": "9.99"}],
    "total": "19.98",
    "currency": "EUR",
    "placed_at": "2026-03-01T09:00:00Z",
}
SHIPPED = {
    "order_id": "ord-cli-1",
    "carrier": "DHL",
    "tracking_number": "T-1",
    "shipped_at": "2026-03-02T09:00:00Z",
}


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run `fanout ARGS` in-process through the console entry point: exit code, stdout, stderr."""
    try:
        main(args)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code: int, err: str, fragment: str) -> None:
    assert code != 0
    assert err.count("\n") == 1 and err.startswith("fanout: error: "), err
    assert fragment in err and "Traceback" not in err


def published_ids(topology: AppliedTopology, drain: Drain) -> list[str]:
    return sorted(json.loads(m["Body"])["id"] for m in drain(topology.queue_url("analytics")))


def ndjson(path: Path, *lines: object) -> str:
    path.write_text("\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n")
    return str(path)


@pytest.mark.conformance
def test_publish_type_and_data_prints_the_event_and_message_id(
    fanout_topology: AppliedTopology, drain: Drain, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(
        ["publish", "order.placed", "--data", json.dumps(PLACED), "--correlation-id", "corr-cli"], capsys
    )
    assert (code, err) == (0, "")
    [line] = out.splitlines()
    event_id, message_id = line.split("\t")  # the same shape as --file and --demo print
    assert len(message_id) == 36
    for name in ("email", "inventory", "analytics"):
        [message] = drain(fanout_topology.queue_url(name))
        event = ORDER_EVENTS.decode(message["Body"])
        assert event.id == event_id
        assert event.data == ORDER_EVENTS.parse_data("order.placed", PLACED)
        assert event.correlationid == "corr-cli"
        assert message["MessageAttributes"]["correlation_id"]["StringValue"] == "corr-cli"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["order.placed", "--data", "{not json"], "Invalid value for --data: not JSON"),
        (
            ["order.placed", "--data", json.dumps({"order_id": "o"})],
            "schema_violation: order.placed: customer_id",
        ),
        (["order.refunded", "--data", "{}"], "unknown_type: no model for event type 'order.refunded'"),
        (["order.placed"], "TYPE and --data go together"),
        ([], "give exactly one of"),
        (["--demo", "0"], "--demo"),
        (["--demo", "2", "order.placed", "--data", "{}"], "give exactly one of"),
        (["--file", "/nonexistent/events.ndjson"], "/nonexistent/events.ndjson"),
        (["--data", "{}"], "TYPE and --data go together"),
        (["--seed", "1", "order.placed", "--data", "{}"], "--seed only applies to --demo"),
    ],
)
def test_invalid_input_is_one_line_on_stderr_and_publishes_nothing(
    fanout_topology: AppliedTopology,
    drain: Drain,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    fragment: str,
) -> None:
    code, out, err = run_cli(["publish", *args], capsys)
    assert_one_line_error(code, err, fragment)
    assert out == ""
    assert published_ids(fanout_topology, drain) == []


@pytest.mark.conformance
def test_ndjson_file_accepts_envelopes_and_short_forms(
    fanout_topology: AppliedTopology, drain: Drain, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    envelope = demo_events(1, seed=4)[0]
    path = ndjson(
        tmp_path / "events.ndjson",
        envelope.model_dump_json(),
        "",
        {"type": "order.shipped", "data": SHIPPED, "correlationid": "corr-line"},
    )
    code, out, err = run_cli(["publish", "--file", path], capsys)
    assert (code, err) == (0, "")
    lines = [line.split("\t") for line in out.splitlines()]
    assert len(lines) == 2 and lines[0][0] == envelope.id  # a full envelope keeps its id
    messages = {json.loads(m["Body"])["id"]: m for m in drain(fanout_topology.queue_url("analytics"))}
    assert sorted(messages) == sorted(event_id for event_id, _ in lines)
    assert ORDER_EVENTS.decode(messages[envelope.id]["Body"]) == envelope
    assert ORDER_EVENTS.decode(messages[lines[1][0]]["Body"]).correlationid == "corr-line"


def test_invalid_lines_are_reported_by_number_and_block_publishing(
    fanout_topology: AppliedTopology, drain: Drain, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = ndjson(
        tmp_path / "events.ndjson",
        {"type": "order.placed", "data": PLACED},
        "{oops",
        {"type": "order.shipped", "data": SHIPPED},
        {"type": "order.shipped", "data": {**SHIPPED, "carrier": ""}},
        [1, 2],
    )
    code, _, err = run_cli(["publish", "--file", path], capsys)
    assert_one_line_error(code, err, "3 invalid line(s), nothing published: line 2: ")
    assert "line 4: schema_violation: order.shipped: carrier" in err and "line 5: " in err
    assert published_ids(fanout_topology, drain) == []

    code, out, err = run_cli(["publish", "--file", path, "--skip-invalid"], capsys)
    assert code == 0
    assert [line.split(":")[0] for line in err.splitlines()] == ["fanout"] * 3
    assert "skipped line 2" in err and "skipped line 4" in err and "skipped line 5" in err
    assert published_ids(fanout_topology, drain) == sorted(line.split("\t")[0] for line in out.splitlines())


@pytest.mark.conformance
def test_ndjson_from_stdin_with_json_output(fanout_topology: AppliedTopology, drain: Drain) -> None:
    stdin = "\n".join(
        json.dumps({"type": "order.placed", "data": {**PLACED, "order_id": f"o-{n}"}}) for n in range(3)
    )
    fanout = Path(sys.executable).parent / "fanout"
    completed = subprocess.run(
        [str(fanout), "publish", "--file", "-", "--json"],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    results = json.loads(completed.stdout)
    assert [(r["attempts"], r["error"]) for r in results] == [(1, None)] * 3
    assert published_ids(fanout_topology, drain) == sorted(r["event_id"] for r in results)


def test_demo_events_are_reproducible_by_seed(
    fanout_topology: AppliedTopology, drain: Drain, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(["publish", "--demo", "5", "--seed", "3", "--json"], capsys)
    assert code == 0
    ids = [result["event_id"] for result in json.loads(out)]
    assert ids == [event.id for event in demo_events(5, seed=3)]
    assert published_ids(fanout_topology, drain) == sorted(ids)


def test_events_that_fail_after_retries_exit_non_zero_naming_them(
    fanout_topology: AppliedTopology,
    faulty_sns: FaultySns,
    drain: Drain,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    good, bad = demo_events(2, seed=9)
    faulty_sns.plan.fail(bad.id, times=99)
    path = ndjson(tmp_path / "events.ndjson", good.model_dump_json(), bad.model_dump_json())
    code, out, err = run_cli(["publish", "--file", path], capsys)
    assert_one_line_error(code, err, f"1 of 2 event(s) not published: {bad.id}: InternalError: injected")
    assert out.split("\t")[0] == good.id
    assert len(faulty_sns.plan.requests) == 5  # the default retry policy's attempts
    assert published_ids(fanout_topology, drain) == [good.id]
