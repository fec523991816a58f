"""scripts/localstack.py: exact pins, and one clear line when no Python 3.13 exists."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "localstack.py"
REQUIREMENTS = ROOT / "scripts" / "localstack-requirements.txt"


def test_every_requirement_is_pinned_exactly() -> None:
    lines = [line for line in REQUIREMENTS.read_text().splitlines() if line and not line.startswith("#")]
    assert any(line.startswith("localstack-core[base-runtime]==2026.3.0") for line in lines)
    unpinned = [line for line in lines if not re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[A-Za-z0-9_.+\-]+", line)]
    assert unpinned == []
    names = {re.split(r"[\[=]", line)[0].lower().replace("_", "-") for line in lines}
    assert {
        "cbor2",
        "pyopenssl",
        "cryptography",
        "service-identity",
        "joserfc",
    } <= names  # the held-back ones


def test_without_python_3_13_start_fails_with_one_line(tmp_path: Path) -> None:
    if shutil.which("python3.13", path="/usr/bin:/bin"):
        pytest.skip("this machine has a system Python 3.13")
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "start"], env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 3
    assert result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("localstack: no Python 3.13 found")


def test_status_and_stop_without_a_server(tmp_path: Path) -> None:
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    status = subprocess.run(
        [sys.executable, str(SCRIPT), "status"], env=environment, capture_output=True, text=True
    )
    assert (status.returncode, status.stderr.strip()) == (1, "localstack: not running")
    stop = subprocess.run(
        [sys.executable, str(SCRIPT), "stop"], env=environment, capture_output=True, text=True
    )
    assert (stop.returncode, stop.stdout.strip()) == (0, "not running")
