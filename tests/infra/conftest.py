"""Fixtures of the deployment tests: checkov in its own virtualenv."""

import fcntl
import subprocess
import sys
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest
from infra_files import ROOT, TERRAFORM

TOOLS_VENV = ROOT / ".venv-tools"
CHECKOV_REQUIREMENTS = TERRAFORM / "requirements-checkov.txt"


@pytest.fixture(scope="session")
def checkov() -> Iterator[Path]:
    """The checkov executable, installed on first use into .venv-tools.

    checkov pins boto3/botocore versions that conflict with aiobotocore's, so it cannot live in the
    project's virtualenv. The install is redone when requirements-checkov.txt changes; a file lock
    keeps concurrent sessions from installing at once.
    """
    TOOLS_VENV.mkdir(exist_ok=True)
    stamp = TOOLS_VENV / ".installed-requirements"
    wanted = CHECKOV_REQUIREMENTS.read_text()
    with (TOOLS_VENV / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not stamp.exists() or stamp.read_text() != wanted:
            python = TOOLS_VENV / "bin" / "python"
            if not python.exists():
                venv.create(TOOLS_VENV, with_pip=True)
            pip = [str(python), "-m", "pip", "--disable-pip-version-check", "-q"]
            subprocess.run([*pip, "install", "-r", str(CHECKOV_REQUIREMENTS)], check=True)
            stamp.write_text(wanted)
    yield TOOLS_VENV / "bin" / "checkov"


@pytest.fixture(scope="session")
def project_bin() -> Path:
    """The bin directory of the project's virtualenv (hadolint is installed there by the dev extra)."""
    return Path(sys.executable).parent
