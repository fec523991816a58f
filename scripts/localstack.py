#!/usr/bin/env python3
"""LocalStack, the second emulator, on this machine without Docker: `start`, `stop`, `status`.

    python3 scripts/localstack.py start    # prints the endpoint, e.g. http://127.0.0.1:45123
    FANOUT_TEST_ENDPOINT=$(python3 scripts/localstack.py status) pytest -m conformance
    python3 scripts/localstack.py stop

`localstack-core` needs Python 3.13 (found in $FANOUT_PYTHON313, on PATH as python3.13, or under
`pyenv root`). It gets its own virtualenv outside the repository, in
~/.cache/fanout/localstack-<hash of the pins> ($XDG_CACHE_HOME is honoured), installed from
scripts/localstack-requirements.txt: exact pins of LocalStack and of everything its start needs,
so a release of any of them cannot break it. It runs in host mode on a free loopback port with
every outbound call off (no analytics events, no DNS server, no certificate download, no
telemetry) and only the services fanout uses. A state file next to the virtualenvs lets `stop` and
`status` find it. Needs only the standard library, so it runs with any Python 3.11+.
"""

import contextlib
import glob
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "scripts" / "localstack-requirements.txt"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fanout"
STATE = CACHE / "localstack-state.json"
SERVICES = ("sqs", "sns", "s3", "cloudwatch")
READY_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 20.0
NO_PYTHON = 3  # exit code when no Python 3.13 exists: CI skips the conformance run on it


class Failure(Exception):
    """Reported as one line on stderr with exit code `code`."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def log(message: str) -> None:
    print(f"localstack: {message}", file=sys.stderr, flush=True)


# -- Python 3.13 and the virtualenv ------------------------------------------------------------


def python_313() -> str:
    """Path of a Python 3.13 interpreter, or Failure naming where it was looked for."""
    candidates: list[str] = []
    if explicit := os.environ.get("FANOUT_PYTHON313"):
        candidates.append(explicit)
    if on_path := shutil.which("python3.13"):
        candidates.append(on_path)
    roots = [os.environ.get("PYENV_ROOT", ""), str(Path.home() / ".pyenv")]
    if pyenv := shutil.which("pyenv"):
        result = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False)
        roots.insert(0, result.stdout.strip())
    for root in filter(None, roots):
        candidates += sorted(glob.glob(f"{root}/versions/3.13.*/bin/python3.13"), reverse=True)
    for candidate in candidates:
        probe = [candidate, "-c", "import sys; print(sys.version_info[:2] == (3, 13))"]
        result = subprocess.run(probe, capture_output=True, text=True, check=False)
        if result.stdout.strip() == "True":
            return candidate
    raise Failure(
        "no Python 3.13 found (set FANOUT_PYTHON313, put python3.13 on PATH or install it with pyenv): "
        "LocalStack cannot run",
        NO_PYTHON,
    )


def environment_dir() -> Path:
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:12]
    return CACHE / f"localstack-{digest}"


def ensure_environment() -> Path:
    """The virtualenv's python, created and installed from the pinned requirements when missing."""
    home = environment_dir()
    python = home / "bin" / "python"
    stamp = home / ".installed"
    if stamp.exists():
        return python
    interpreter = python_313()
    log(f"installing LocalStack into {home} (first time only, takes a few minutes)")
    shutil.rmtree(home, ignore_errors=True)
    started = time.monotonic()
    subprocess.run([interpreter, "-m", "venv", str(home)], check=True)
    pip = [str(python), "-m", "pip", "-q", "--disable-pip-version-check"]
    result = subprocess.run(
        [*pip, "install", "--no-deps", "-r", str(REQUIREMENTS)], capture_output=True, text=True, check=False
    )
    if result.returncode:
        shutil.rmtree(home, ignore_errors=True)
        print("\n".join((result.stdout + result.stderr).strip().splitlines()[-15:]), file=sys.stderr)
        raise Failure(f"pip could not install {REQUIREMENTS.name} (exit {result.returncode}, output above)")
    stamp.write_text(f"installed in {time.monotonic() - started:.0f} s\n")
    log(f"installed in {time.monotonic() - started:.0f} s")
    return python


# -- the running server ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def health(endpoint: str) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(f"{endpoint}/_localstack/health", timeout=2) as response:
            return dict(json.load(response))
    except (OSError, ValueError):
        return None


def ready(endpoint: str) -> bool:
    services = (health(endpoint) or {}).get("services", {})
    return all(services.get(name) in {"available", "running"} for name in SERVICES)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_state() -> dict[str, Any] | None:
    try:
        state = dict(json.loads(STATE.read_text()))
    except (OSError, ValueError):
        return None
    return state if alive(int(state["pid"])) else None


def server_environment(port: int, volume: str) -> dict[str, str]:
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "LOCALSTACK_"))
    }
    environment.update(
        GATEWAY_LISTEN=f"127.0.0.1:{port}",
        SERVICES=",".join(SERVICES),
        LOCALSTACK_VOLUME_DIR=volume,
        DISABLE_EVENTS="1",  # no analytics calls
        DNS_ADDRESS="0",  # no DNS server
        SKIP_SSL_CERT_DOWNLOAD="1",
        LOCALSTACK_TELEMETRY="0",
        SKIP_INFRA_DOWNLOADS="1",
        PERSISTENCE="0",
    )
    return environment


def start() -> str:
    """Start LocalStack (or find the running one); its endpoint URL."""
    if state := read_state():
        log(f"already running (pid {state['pid']})")
        return str(state["endpoint"])
    python = ensure_environment()
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    volume = tempfile.mkdtemp(prefix="fanout-localstack-")
    log_path = Path(volume) / "localstack.log"
    with log_path.open("wb") as output:
        process = subprocess.Popen(
            [str(python), "-m", "localstack.runtime.main"],
            env=server_environment(port, volume),
            cwd=volume,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    CACHE.mkdir(parents=True, exist_ok=True)
    STATE.write_text(
        json.dumps({"pid": process.pid, "endpoint": endpoint, "volume": volume, "log": str(log_path)})
    )
    started = time.monotonic()
    while not ready(endpoint):
        if process.poll() is not None or time.monotonic() - started > READY_TIMEOUT_S:
            tail = log_path.read_text(errors="replace").strip().splitlines()[-15:]
            stop()
            print("\n".join(tail), file=sys.stderr)
            raise Failure(f"LocalStack did not become ready at {endpoint} (log above)")
        time.sleep(0.5)
    log(f"ready at {endpoint} in {time.monotonic() - started:.1f} s (pid {process.pid}, log {log_path})")
    return endpoint


def stop() -> str:
    """Stop the running LocalStack and remove its temporary volume."""
    try:
        state = dict(json.loads(STATE.read_text()))
    except (OSError, ValueError):
        return "not running"
    pid = int(state["pid"])
    if alive(pid):
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
            with contextlib.suppress(ChildProcessError):  # reap it when it is our child
                os.waitpid(pid, os.WNOHANG)
        if alive(pid):
            os.killpg(pid, signal.SIGKILL)
    shutil.rmtree(state["volume"], ignore_errors=True)
    STATE.unlink(missing_ok=True)
    return f"stopped (pid {pid})"


def status() -> str:
    """The endpoint of the running, healthy LocalStack, or Failure."""
    state = read_state()
    if state is None:
        raise Failure("not running")
    if not ready(str(state["endpoint"])):
        raise Failure(f"pid {state['pid']} is running but {state['endpoint']} is not healthy")
    return str(state["endpoint"])


COMMANDS = {"start": start, "stop": stop, "status": status}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in COMMANDS:
        print(f"usage: python3 scripts/localstack.py {{{'|'.join(COMMANDS)}}}", file=sys.stderr)
        return 2
    try:
        print(COMMANDS[argv[0]]())
    except Failure as failure:
        log(str(failure))
        return failure.code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
