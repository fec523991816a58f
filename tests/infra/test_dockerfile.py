"""The image: hadolint-clean, multi-stage, non-root, a working HEALTHCHECK, a minimal build context."""

import http.server
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from infra_files import ROOT, dockerfile, exec_form

from fanout.testing.plugin import TEST_PREFIX, AppliedTopology


def hadolint(
    project_bin: Path, *arguments: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(project_bin / "hadolint"), "--no-color", *arguments],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_hadolint_reports_nothing(project_bin: Path) -> None:
    result = hadolint(project_bin, "Dockerfile")
    assert (result.returncode, result.stdout) == (0, "")


def test_hadolint_does_report_a_bad_dockerfile(project_bin: Path) -> None:
    """The linter runs for real: the same call finds the faults of a careless Dockerfile."""
    result = hadolint(
        project_bin, "-", stdin="FROM python:latest\nRUN pip install requests\nCMD python app.py\n"
    )
    assert result.returncode != 0
    assert "DL3007" in result.stdout  # :latest
    assert "DL3013" in result.stdout  # unpinned pip install


def instructions(stage: int) -> list[tuple[str, str]]:
    """(instruction, value) of one build stage (0 = first FROM)."""
    stages: list[list[tuple[str, str]]] = []
    for item in dockerfile().structure:
        if item["instruction"] == "FROM":
            stages.append([])
        if stages and item["instruction"] != "COMMENT":
            stages[-1].append((item["instruction"], item["value"]))
    return stages[stage]


def test_multi_stage_slim_and_non_root() -> None:
    parser = dockerfile()
    assert len(parser.parent_images) == 2
    assert all("-slim" in image for image in parser.parent_images)
    final = instructions(-1)
    users = [value for instruction, value in final if instruction == "USER"]
    assert users and users[-1].split(":")[0] not in {"0", "root"}
    copies = [value for instruction, value in final if instruction == "COPY"]
    assert copies == ["--from=build /opt/fanout /opt/fanout"]  # only the built virtualenv, no sources
    runs = " ".join(value for instruction, value in final if instruction == "RUN")
    for build_tool in ("apt-get", "gcc", "build-essential", "pip "):
        assert build_tool not in runs


def test_the_build_context_is_exactly_what_the_build_copies() -> None:
    sources = set()
    for instruction, value in instructions(0):
        if instruction == "COPY":
            sources.update(value.split()[:-1])
    included = {
        line[1:].rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    assert (ROOT / ".dockerignore").read_text().splitlines()[1] == "*"
    assert sources == included


class HealthHandler(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[http.server.HTTPServer]:
    server = http.server.HTTPServer(("127.0.0.1", 0), type("Handler", (HealthHandler,), {}))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def run_healthcheck(environment: dict[str, str]) -> int:
    """The Dockerfile's HEALTHCHECK command, run with this interpreter (the image's `python`)."""
    (healthcheck,) = [
        item["value"] for item in dockerfile().structure if item["instruction"] == "HEALTHCHECK"
    ]
    command = exec_form(healthcheck)
    assert command[0] == "python"
    ours = ("FANOUT_CONSUMER_", "FANOUT_MONITOR_", "FANOUT_OUTBOX_")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    return subprocess.run([sys.executable, *command[1:]], env={**clean, **environment}, timeout=30).returncode


@pytest.mark.parametrize(
    "variable", ["FANOUT_CONSUMER_HEALTH_PORT", "FANOUT_MONITOR_METRICS_PORT", "FANOUT_OUTBOX_METRICS_PORT"]
)
def test_healthcheck_follows_the_service_health_port(
    health_server: http.server.HTTPServer, variable: str
) -> None:
    port = str(health_server.server_address[1])
    other = (
        "FANOUT_MONITOR_METRICS_PORT"
        if variable == "FANOUT_CONSUMER_HEALTH_PORT"
        else "FANOUT_CONSUMER_HEALTH_PORT"
    )
    assert run_healthcheck({variable: port, other: "0"}) == 0
    health_server.RequestHandlerClass.status = 503  # type: ignore[attr-defined]
    assert run_healthcheck({variable: port, other: "0"}) == 1


def test_healthcheck_fails_when_nothing_listens(health_server: http.server.HTTPServer) -> None:
    port = str(health_server.server_address[1])
    health_server.shutdown()
    health_server.server_close()
    assert run_healthcheck({"FANOUT_CONSUMER_HEALTH_PORT": port, "FANOUT_MONITOR_METRICS_PORT": "0"}) == 1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_healthcheck_passes_on_the_running_monitor_and_fails_once_it_stops(
    fanout_topology: AppliedTopology, fanout_endpoint: str, tmp_path: Path
) -> None:
    environment = {
        "AWS_ENDPOINT_URL": fanout_endpoint,
        "FANOUT_ENV": TEST_PREFIX,
        "FANOUT_MONITOR_METRICS_PORT": str(free_port()),
        "FANOUT_MONITOR_STATE_PATH": str(tmp_path / "monitor.sqlite3"),
        "FANOUT_MONITOR_INTERVAL_S": "1",
        "FANOUT_CONSUMER_HEALTH_PORT": "0",
    }
    monitor = subprocess.Popen(
        [str(Path(sys.executable).parent / "fanout"), "monitor"],
        env={**os.environ, **environment},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while run_healthcheck(environment) != 0:
            assert monitor.poll() is None, "the monitor exited"
            assert time.monotonic() < deadline, "the monitor never became healthy"
            time.sleep(0.3)
    finally:
        monitor.terminate()
        monitor.wait(timeout=30)
    assert run_healthcheck(environment) == 1


def test_the_image_logs_json_lines_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    from consumers.runtime.settings import ConsumerSettings
    from monitor.settings import MonitorSettings

    for variable, value in dockerfile().envs.items():
        if variable.startswith("FANOUT_"):
            monkeypatch.setenv(variable, value)
    assert ConsumerSettings().log_json is True
    assert MonitorSettings().log_json is True
