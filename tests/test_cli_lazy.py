"""The CLI imports a command's modules only when it runs; a missing extra is one line, exit 2."""

import inspect
import os
import subprocess
import sys

import pytest
import typer

from fanout.cli.app import FanoutGroup
from fanout.cli.lazy import LazyCommand

HEAVY = ("moto", "flask", "werkzeug", "fanout.bench", "fanout.dev", "fanout.local", "aiosmtpd")


def imported_modules(*arguments: str) -> set[str]:
    """Every module `fanout ARGUMENTS` imports, from `python -X importtime` (names, not times)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "fanout.cli", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stderr.splitlines()
    return {line.rpartition("|")[2].strip() for line in lines if line.startswith("import time:")}


@pytest.mark.parametrize("arguments", [["--help"], ["status", "--help"]])
def test_help_imports_no_local_endpoint_web_framework_or_benchmark(arguments: list[str]) -> None:
    modules = imported_modules(*arguments)
    assert "typer" in modules  # the measurement saw the imports
    heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY or m.startswith(HEAVY))
    assert heavy == []


def test_root_help_imports_no_command_module() -> None:
    modules = imported_modules("--help")
    commands = {spec.module for spec in FanoutGroup.lazy_commands.values()}
    assert modules & commands == set()


@pytest.mark.parametrize(("name", "spec"), FanoutGroup.lazy_commands.items())
def test_the_declared_help_is_the_commands_own(name: str, spec: LazyCommand) -> None:
    """`fanout --help` shows the declared line; it must be the command's docstring (or group help)."""
    target = getattr(__import__(spec.module, fromlist=[spec.attribute]), spec.attribute)
    own = target.info.help if isinstance(target, typer.Typer) else inspect.getdoc(target).splitlines()[0]
    assert spec.help == own


@pytest.mark.parametrize(
    ("argv", "command", "blocked", "extra"),
    [
        (["dev"], "dev", "moto", "local"),
        (["bench"], "bench", "moto", "local"),
        (["--env", "prod", "consume", "email"], "consume", "aiosmtplib", "services"),  # found while it runs
    ],
)
def test_a_command_without_its_extra_names_it_in_one_line(
    argv: list[str], command: str, blocked: str, extra: str
) -> None:
    script = (
        f"import sys; sys.modules[{blocked!r}] = None\n"  # as if the extra were not installed
        "from fanout.cli import main\n"
        f"main({argv!r})\n"
    )
    # no endpoint configured: `fanout bench` would run its endpoint phases on it instead of moto
    env = {name: value for name, value in os.environ.items() if name != "AWS_ENDPOINT_URL"}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert f"pip install 'fanout[{extra}]'" in line
    assert f"`fanout {command}`" in line


def test_a_mistyped_command_is_one_line_with_a_suggestion() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "fanout.cli", "stauts"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "fanout: error: No such command 'stauts'. Did you mean 'status'?"
