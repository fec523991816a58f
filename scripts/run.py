#!/usr/bin/env python3
"""One-command set-up: `python3 scripts/run.py dev` runs the whole system locally,
`python3 scripts/run.py test` runs the checks and the test suite.

Needs only Python 3.11+: it creates `.venv`, installs the project with its `dev` extra
(again whenever pyproject.toml changes), then runs the command inside that environment.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".fanout-installed"

COMMANDS: dict[str, list[list[str]]] = {
    "dev": [["fanout", "dev"]],
    "test": [
        ["ruff", "check", "."],
        ["mypy"],
        ["fanout", "events", "check", "--against", "contract/registry.lock.json"],
        ["pytest"],
    ],
}


def ensure_environment() -> None:
    """Create the virtualenv and (re)install the project when pyproject.toml changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this script runs before the venv exists
        sys.exit("fanout needs Python 3.11 or newer")
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        return
    if not BIN.exists():
        venv.create(VENV, with_pip=True)
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "install", "-e", f"{ROOT}[dev]"], check=True, cwd=ROOT)
    STAMP.write_text(digest)


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(f"usage: python3 scripts/run.py {{{'|'.join(COMMANDS)}}} [args...]", file=sys.stderr)
        return 2
    name, extra = sys.argv[1], sys.argv[2:]
    ensure_environment()
    steps = COMMANDS[name]
    for index, step in enumerate(steps):
        command = [str(BIN / step[0]), *step[1:], *(extra if index == len(steps) - 1 else [])]
        result = subprocess.run(command, cwd=ROOT)
        if result.returncode:
            return result.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
