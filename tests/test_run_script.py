"""`scripts/run.py` passes Ctrl-C/SIGTERM to the command it runs, waits for it, exits with its code."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# A command that drains on SIGINT/SIGTERM: it reports the signal, takes a moment, exits with 7.
CHILD = """
import signal, sys, time
def drain(number, frame):
    print(f"child draining after {signal.Signals(number).name}", flush=True)
    time.sleep(0.5)
    print("child drained", flush=True)
    sys.exit(7)
signal.signal(signal.SIGINT, drain)
signal.signal(signal.SIGTERM, drain)
print("child ready", flush=True)
time.sleep(60)
sys.exit(1)
"""

# The wrapper as `python3 scripts/run.py` runs a step, without installing anything.
WRAPPER = f"""
import importlib.util, sys
spec = importlib.util.spec_from_file_location("run_script", {str(ROOT / "scripts" / "run.py")!r})
run_script = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_script)
sys.exit(run_script.run_forwarding_signals([sys.executable, "-c", {CHILD!r}], run_script.ROOT))
"""


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_reaches_the_command_which_drains_and_its_exit_code_is_kept(number: signal.Signals) -> None:
    wrapper = subprocess.Popen(
        [sys.executable, "-c", WRAPPER], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert wrapper.stdout is not None
    assert wrapper.stdout.readline().strip() == "child ready"
    started = time.monotonic()
    wrapper.send_signal(number)
    out, err = wrapper.communicate(timeout=30)
    assert wrapper.returncode == 7, err
    assert out.splitlines() == [f"child draining after {number.name}", "child drained"]
    assert time.monotonic() - started >= 0.5  # the wrapper waited for the drain
    assert "Traceback" not in err and "KeyboardInterrupt" not in err


def test_a_command_killed_by_a_signal_gives_128_plus_its_number(tmp_path: Path) -> None:
    script = (
        "import importlib.util, sys, signal\n"
        f"spec = importlib.util.spec_from_file_location('run_script', {str(ROOT / 'scripts' / 'run.py')!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "sys.exit(m.run_forwarding_signals([sys.executable, '-c', "
        "'import os, signal; os.kill(os.getpid(), signal.SIGKILL)'], m.ROOT))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert result.returncode == 128 + signal.SIGKILL
