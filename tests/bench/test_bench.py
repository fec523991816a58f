"""`fanout bench` end to end with tiny sizes: every phase ran its rounds, counts add up, JSON is complete.

No timing thresholds: the figures depend on the machine. The CLI runs in a subprocess without
AWS_ENDPOINT_URL, so it starts (and stops) its own stub and moto processes, as a user's run would.
"""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from fanout.bench.run import DEFAULT_PHASES, Phase
from fanout.cli.app import main
from fanout.cli.bench import resolve_phases

CLI = [sys.executable, "-c", "import sys; from fanout.cli import main; main(sys.argv[1:])"]
ROUNDS = 2
STUB_MESSAGES = 100
TINY = [
    "bench",
    *("--messages", "30", "--depth", "20", "--stub-messages", str(STUB_MESSAGES)),
    *("--publish-events", "40", "--rounds", str(ROUNDS), "--seconds", "2", "--rate", "5"),
    *("--instruction-messages", "60"),
]
HAS_VALGRIND = shutil.which("valgrind") is not None  # .ci/run installs it
PHASES = {"cpu", "publish", "throughput", "memory", "latency"} | ({"instructions"} if HAS_VALGRIND else set())
OWN_KINDS = {"pipelined", "ceiling", "consumer"}


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    """One tiny run of every phase: the JSON document and the printed table."""
    return run_bench_cli(TINY, tmp_path_factory.mktemp("bench") / "run.json", timeout_s=600)


def run_bench_cli(args: list[str], output: Path, timeout_s: float) -> tuple[dict[str, Any], str]:
    """`fanout bench ARGS` in a subprocess without AWS_ENDPOINT_URL: its JSON document and table."""
    environment = {key: value for key, value in os.environ.items() if key != "AWS_ENDPOINT_URL"}
    completed = subprocess.run(
        [*CLI, *args, "--output", str(output)],
        env={**environment, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return json.loads(output.read_text()), completed.stdout


def test_every_phase_is_reported_with_its_rounds(bench_run: tuple[dict[str, Any], str]) -> None:
    document, table = bench_run
    assert set(document["phases"]) == PHASES
    assert document["endpoint"]["kind"] == "moto-process"
    assert document["config"]["rounds"] == ROUNDS
    assert {"cpus", "python", "versions"} <= set(document["host"])
    assert "fanout consumer as shipped" in table and "pipelined" in table


def test_client_cpu_keeps_every_sample_and_the_consumer_handled_what_was_deleted(
    bench_run: tuple[dict[str, Any], str],
) -> None:
    cpu = bench_run[0]["phases"]["cpu"]
    assert set(cpu["kinds"]) >= OWN_KINDS and cpu["reference"] == "pipelined"
    for kind, figures in cpu["kinds"].items():
        runs = figures["runs"]
        assert len(runs) == ROUNDS, kind
        assert sorted(run["round"] for run in runs) == list(range(ROUNDS))
        assert len(figures["cpu_ratio_to_raw"]["samples"]) == ROUNDS
        for run in runs:
            assert run["messages"] >= STUB_MESSAGES and run["cpu_s_per_1000"] > 0
            assert run["stub"]["deleted"] >= run["warmup"] + run["messages"]
    for run in cpu["kinds"]["consumer"]["runs"]:
        # the shipped consumer handled the whole window and its deletes reached the endpoint
        # (counted by the stub; a delete call cancelled by shutdown may be sent twice)
        assert run["handled_total"] >= run["warmup"] + run["messages"]
        assert run["stub"]["received"] >= run["handled_total"]
        assert run["settings"]["log_level"] == "INFO"  # measured as shipped
        assert run["messages_per_receive"] == 10.0  # full receive batches


def test_rounds_alternate_their_order(bench_run: tuple[dict[str, Any], str]) -> None:
    runs = bench_run[0]["phases"]["throughput"]
    assert set(runs) == OWN_KINDS
    assert all(len(runs[kind]["runs"]) == ROUNDS for kind in OWN_KINDS)
    assert len(runs["consumer"]["ratio_to_pipelined"]["samples"]) == ROUNDS
    for kind in OWN_KINDS:
        for run in runs[kind]["runs"]:
            assert run["messages"] >= 30 and run["depth"]["target"] == 20


def test_publish_methods_all_published(bench_run: tuple[dict[str, Any], str]) -> None:
    publish = bench_run[0]["phases"]["publish"]
    assert publish["latency_ms"] == 20.0 and publish["events"] == 40 and publish["unbatched_events"] == 4
    for method in ("unbatched", "batched_sync", "batched_async", "batched_async_concurrent"):
        assert len(publish["methods"][method]["events_per_s"]["samples"]) == ROUNDS
        assert publish["methods"][method]["events_per_s"]["median"] > 0


def test_latency_and_memory_are_judged(bench_run: tuple[dict[str, Any], str]) -> None:
    document = bench_run[0]
    latency, memory = document["phases"]["latency"], document["phases"]["memory"]
    assert 0 < latency["p50_ms"] <= latency["p95_ms"] <= latency["p99_ms"] <= latency["max_ms"]
    assert memory["rss_start_mib"] > 1 and memory["checkpoints"]
    judged = {row["figure"] for row in document["figures"] if row["target"]}
    assert any("p50" in figure for figure in judged) and any("p99" in figure for figure in judged)
    assert all(isinstance(row["met"], bool) for row in document["figures"] if row["target"])
    assert len(judged) == (9 if HAS_VALGRIND else 8)  # instructions judged like CPU time


def test_stub_phases_never_start_or_import_moto(tmp_path: Path) -> None:
    """The benchmark's own modules load moto only for an endpoint phase (the CLI's command modules
    are fanout.cli.app's business)."""
    environment = {key: value for key, value in os.environ.items() if key != "AWS_ENDPOINT_URL"}
    probe = (
        "import sys\n"
        "from pathlib import Path\n"
        "from fanout.bench.report import write_document\n"
        "from fanout.bench.run import BenchConfig, Phase, run_bench\n"
        "config = BenchConfig(publish_events=20, rounds=1, phases=frozenset({Phase.PUBLISH}))\n"
        "write_document(run_bench(config, print), Path(sys.argv[1]))\n"
        "assert 'moto' not in sys.modules, 'moto imported'\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path / "run.json")],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    document = json.loads((tmp_path / "run.json").read_text())
    assert document["endpoint"] is None and set(document["phases"]) == {"publish"}


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["bench", "--depth", "5"], "--depth"),
        (["bench", "--only", "nothing"], "--only"),
        (["bench", "--rate", "0"], "--rate"),
        (["bench", "--rounds", "0"], "--rounds"),
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
    assert "--soak" in completed.stdout and "--peers" in completed.stdout


def test_the_stub_ends_with_a_benchmark_that_was_killed() -> None:
    """SIGKILL gives the benchmark no chance to stop its helper: the helper notices and exits."""
    script = (
        "import time\n"
        "from fanout.bench.stub import stub_process\n"
        "with stub_process() as stub:\n"
        "    print(stub.pid, flush=True)\n"
        "    time.sleep(120)\n"
    )
    benchmark = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert benchmark.stdout is not None
    stub_pid = int(benchmark.stdout.readline())
    benchmark.kill()
    benchmark.wait()
    deadline = time.monotonic() + 10
    while not gone(stub_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert gone(stub_pid)


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE  # exited, not reaped yet
    except psutil.NoSuchProcess:
        return True


@pytest.mark.skipif(not HAS_VALGRIND, reason="no valgrind (.ci/run installs it)")
def test_instructions_are_counted_under_callgrind_by_default(bench_run: tuple[dict[str, Any], str]) -> None:
    """Each kind's two runs (a third of the messages, then all) differ by a positive count per message."""
    document, table = bench_run
    counted = document["phases"]["instructions"]
    assert counted["messages"] == [20, 60] and counted["reference"] == "pipelined"
    assert set(counted["kinds"]) == {"pipelined", "consumer"}
    for figures in counted["kinds"].values():
        at_small, at_large = figures["totals"]
        assert at_large > at_small > 0 and figures["per_message"] == round((at_large - at_small) / 40)
    assert counted["kinds"]["pipelined"]["ratio_to_raw"] == 1.0
    assert "stub instructions: fanout consumer as shipped" in table


def test_without_valgrind_a_default_run_skips_instructions_and_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no valgrind there
    assert resolve_phases(DEFAULT_PHASES, None, explicit=False) == DEFAULT_PHASES - {Phase.INSTRUCTIONS}
    note = capsys.readouterr().err
    assert "instructions: skipped, valgrind is not installed" in note
    assert note.count("\n") == 1  # one line even when piped (not wrapped at 80 columns)
    assert resolve_phases(DEFAULT_PHASES, False, explicit=False) == DEFAULT_PHASES - {Phase.INSTRUCTIONS}


def test_instructions_without_valgrind_fail_in_one_line(tmp_path: Path) -> None:
    environment = {**os.environ, "PATH": str(tmp_path)}  # no valgrind there (the CLI runs by path)
    completed = subprocess.run(
        [*CLI, "bench", "--instructions", "--only", "cpu"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 1  # a configuration error, like --peers without the libraries
    assert completed.stderr.startswith("fanout: error: ") and completed.stderr.count("\n") == 1
    assert "valgrind" in completed.stderr


def test_instructions_and_no_instructions_together_fail_in_one_line() -> None:
    completed = subprocess.run(
        [*CLI, "bench", "--instructions", "--no-instructions"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 1 and completed.stderr.count("\n") == 1
    assert "contradict" in completed.stderr
