#!/usr/bin/env python3
"""One-command set-up: `python3 scripts/run.py dev` runs the whole system locally,
`python3 scripts/run.py test` runs the checks and the test suite.

Needs only Python 3.11+: it creates `.venv`, installs the project with its `dev` extra
(again whenever pyproject.toml changes), then runs the command inside that environment.
Ctrl-C and SIGTERM are passed on to the running command, which drains and stops; this script
then exits with the command's exit code.
"""

import hashlib
import os
import signal
import subprocess
import sys
import venv
from pathlib import Path
from types import FrameType

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


FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def run_forwarding_signals(command: list[str], cwd: Path) -> int:
    """Run `command`, pass SIGINT/SIGTERM on to it, wait for it; its exit code (128+N if killed by N).

    The command runs in its own process group, so a terminal's Ctrl-C reaches it once, through us,
    and never as a KeyboardInterrupt in this script.
    """
    child: subprocess.Popen[bytes] | None = None
    pending: list[int] = []

    def forward(number: int, frame: FrameType | None) -> None:
        if child is None:
            pending.append(number)  # arrived while starting: delivered once it runs
        elif child.poll() is None:
            child.send_signal(number)

    previous = {number: signal.signal(number, forward) for number in FORWARDED_SIGNALS}
    try:
        child = subprocess.Popen(command, cwd=cwd, process_group=0)
        for number in pending:
            child.send_signal(number)
        code = child.wait()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    return 128 - code if code < 0 else code


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(f"usage: python3 scripts/run.py {{{'|'.join(COMMANDS)}}} [args...]", file=sys.stderr)
        return 2
    name, extra = sys.argv[1], sys.argv[2:]
    try:
        ensure_environment()
    except KeyboardInterrupt:
        print("interrupted while installing; run the same command again", file=sys.stderr)
        return 130
    steps = COMMANDS[name]
    for index, step in enumerate(steps):
        command = [str(BIN / step[0]), *step[1:], *(extra if index == len(steps) - 1 else [])]
        code = run_forwarding_signals(command, ROOT)
        if code:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
