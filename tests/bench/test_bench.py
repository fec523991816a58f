"""`fanout bench` end to end with tiny sizes against its own moto process: every phase, sane figures.

No timing thresholds: the figures depend on the machine. The CLI runs in a subprocess without
AWS_ENDPOINT_URL, so it starts (and stops) its own endpoint, as a user's run would.
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fanout.cli.app import main

CLI = [sys.executable, "-c", "import sys; from fanout.cli import main; main(sys.argv[1:])"]
TINY = ["bench", "--messages", "50", "--depth", "20", "--seconds", "2", "--rate", "5"]
PHASES = {"ceiling", "consumer", "memory", "publish", "latency"}


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    """One tiny run of every phase: the JSON document and the printed table."""
    output = tmp_path_factory.mktemp("bench") / "run.json"
    environment = {key: value for key, value in os.environ.items() if key != "AWS_ENDPOINT_URL"}
    completed = subprocess.run(
        [*CLI, *TINY, "--output", str(output)],
        env={**environment, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(output.read_text()), completed.stdout


def test_every_phase_is_reported(bench_run: tuple[dict[str, Any], str]) -> None:
    document, table = bench_run
    assert set(document["phases"]) == PHASES
    assert document["endpoint"]["kind"] == "moto-process"
    assert document["config"]["messages"] == 50
    for figure in ("ceiling", "consumer", "publish", "latency", "memory"):
        assert figure in table


@pytest.mark.parametrize("phase", ["ceiling", "consumer"])
def test_throughput_figures_are_positive_at_the_stated_depth(
    bench_run: tuple[dict[str, Any], str], phase: str
) -> None:
    figures = bench_run[0]["phases"][phase]
    assert figures["messages"] >= 50
    assert figures["messages_per_s"] > 0 and figures["seconds"] > 0
    assert figures["cpu_s_per_1000"] > 0
    assert figures["depth"]["target"] == 20
    assert 0 < figures["depth"]["mean"] <= figures["depth"]["max"]


def test_consumer_is_compared_with_the_ceiling(bench_run: tuple[dict[str, Any], str]) -> None:
    consumer = bench_run[0]["phases"]["consumer"]
    assert consumer["ratio_to_ceiling"]["throughput"] > 0
    assert consumer["ratio_to_ceiling"]["cpu_per_message"] > 0
    assert consumer["settings"]["wait_time_s"] == 1


def test_publish_methods_all_published(bench_run: tuple[dict[str, Any], str]) -> None:
    publish = bench_run[0]["phases"]["publish"]
    assert publish["events"] == 50
    for method in ("unbatched", "batched_sync", "batched_async"):
        assert publish[method]["events_per_s"] > 0
    assert publish["ratio_sync"] > 0 and publish["ratio_async"] > 0
    bare = publish["no_subscriptions"]
    assert bare["unbatched_events_per_s"] > 0 and bare["batched_sync_events_per_s"] > 0


def test_latency_percentiles_are_ordered(bench_run: tuple[dict[str, Any], str]) -> None:
    latency = bench_run[0]["phases"]["latency"]
    assert latency["events"] == 10
    assert 0 < latency["deliveries_received"] <= latency["deliveries_expected"]
    assert 0 < latency["p50_ms"] <= latency["p95_ms"] <= latency["p99_ms"] <= latency["max_ms"]
    assert set(latency["per_consumer"]) <= {"email", "inventory", "analytics"}


def test_memory_reports_rss_checkpoints(bench_run: tuple[dict[str, Any], str]) -> None:
    memory = bench_run[0]["phases"]["memory"]
    assert memory["rss_start_mib"] > 1
    assert memory["checkpoints"] and all(point["rss_mib"] > 1 for point in memory["checkpoints"])


def test_targets_carry_a_verdict(bench_run: tuple[dict[str, Any], str]) -> None:
    verdicts = [row for row in bench_run[0]["figures"] if row["target"]]
    assert len(verdicts) == 6
    assert all(isinstance(row["met"], bool) for row in verdicts)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["bench", "--depth", "5"], "--depth"),
        (["bench", "--only", "nothing"], "--only"),
        (["bench", "--rate", "0"], "--rate"),
    ],
)
def test_invalid_flags_fail_in_one_line(
    args: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(args)
    err = capsys.readouterr().err
    assert exit_.value.code != 0
    assert err.count("\n") == 1 and err.startswith("fanout: error: "), err
    assert fragment in err


def test_script_shows_the_bench_help() -> None:
    script = Path(__file__).parents[2] / "benchmarks" / "bench.py"
    completed = subprocess.run(
        [sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=60, check=True
    )
    assert "--soak" in completed.stdout and "--only" in completed.stdout
