"""The built wheel, installed per install profile into truly isolated virtualenvs, runs its commands.

The wheel is built once per session. Each profile gets its own virtualenv without pip, without
system site-packages and without any path file: its dependencies come from the package index (pip's
cache is warm), exactly as a user's `pip install` gets them. Profiles:

- `core` — `pip install fanout`, what an order service installs: publishing and the ops commands work,
  the commands of a missing extra say which extra to install (exit 2, one line).
- `monitor` — `pip install 'fanout[monitor]'`: the monitor runs; `consume` names its extra.
- `local` — `pip install 'fanout[local]'`: `fanout dev` runs the whole system and exits 0.
- `image` — the Dockerfile's own `pip install` line (read from the Dockerfile, so the two cannot
  drift): the container's `fanout consume email --check` and `fanout monitor --once` run.

Commands run from a temporary directory with PYTHONPATH unset, so the source tree is not importable.
"""

import os
import shlex
import shutil
import subprocess
import sys
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest
from infra_files import ROOT, dockerfile

from fanout.testing.plugin import TEST_PREFIX, AppliedTopology

pytestmark = pytest.mark.timeout(900)  # the first test waits for the installs (minutes under load)

PACKAGES = ("fanout", "consumers", "producer", "monitor")
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
INSTALL_TIMEOUT_S = 840


def image_pip_command() -> list[str]:
    """The arguments after `pip` in the Dockerfile's RUN line that installs the project."""
    for instruction in dockerfile().structure:
        if instruction["instruction"] != "RUN":
            continue
        for command in instruction["value"].split("&&"):
            words = shlex.split(command)
            if words[:1] == ["pip"] and "install" in words:
                return words[1:]
    raise AssertionError("the Dockerfile has no `pip ... install` line")


def image_pip_arguments(wheel: Path, python: Path) -> list[str]:
    """The image's pip arguments, the wheel in place of the source tree (`.`) and our venv's python.

    `--no-cache-dir` is dropped: the test reuses pip's warm cache instead of downloading again.
    """
    arguments, given = [], iter(image_pip_command())
    for word in given:
        if word == "--no-cache-dir":
            continue
        if word == "--python":
            next(given)
            arguments += ["--python", str(python)]
        elif word == "." or word.startswith(".["):
            arguments.append(f"{wheel}{word[1:]}")
        else:
            arguments.append(word)
    assert str(python) in arguments and any(a.startswith(str(wheel)) for a in arguments), arguments
    return arguments


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built from a clean copy (no build/ or egg-info lands in the repository)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([*PIP, "wheel", "--no-deps", "-w", str(work / "dist"), str(source)], check=True)
    (built,) = (work / "dist").glob("fanout-*.whl")
    return built


@pytest.fixture(scope="module")
def profiles(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """One isolated virtualenv per profile, installed in parallel."""
    root = tmp_path_factory.mktemp("profiles")
    environments = {name: root / name for name in ("core", "monitor", "local", "image")}
    for environment in environments.values():
        venv.create(environment, with_pip=False, system_site_packages=False)
    commands = {
        "core": [*PIP, "--python", str(environments["core"] / "bin" / "python"), "install", str(wheel)],
        "monitor": [
            *PIP,
            "--python",
            str(environments["monitor"] / "bin" / "python"),
            "install",
            f"{wheel}[monitor]",
        ],
        "local": [
            *PIP,
            "--python",
            str(environments["local"] / "bin" / "python"),
            "install",
            f"{wheel}[local]",
        ],
        "image": [*PIP, *image_pip_arguments(wheel, environments["image"] / "bin" / "python")],
    }
    running = {
        name: subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for name, command in commands.items()
    }
    for name, process in running.items():
        output, _ = process.communicate(timeout=INSTALL_TIMEOUT_S)
        assert process.returncode == 0, f"{name}: {output}"
    yield environments


def run(environment: Path, *command: str, cwd: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    return subprocess.run(
        [str(environment / "bin" / command[0]), *command[1:]],
        cwd=cwd,
        env={**env, **variables},
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("profile", ["core", "monitor", "image"])  # local has moto by design
def test_the_code_and_its_dependencies_come_from_the_profile_alone(
    profiles: dict[str, Path], profile: str, tmp_path: Path
) -> None:
    environment = profiles[profile]
    script = (
        "import sys, importlib.util, " + ", ".join(PACKAGES) + "\n"
        "print(*(m.__file__ for m in (" + ", ".join(PACKAGES) + ")), sep='\\n')\n"
        "print('moto', importlib.util.find_spec('moto') is not None)\n"
        "print('path', *(p for p in sys.path if p and not p.startswith(sys.base_prefix)))\n"
    )
    result = run(environment, "python", "-c", script, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    *locations, moto_line, path_line = result.stdout.splitlines()
    for location in locations:
        assert Path(location).is_relative_to(environment), location
    assert moto_line == "moto False"  # the `local` extra is not there, nor anything of the dev venv
    for entry in path_line.split()[1:]:  # beyond the standard library: this environment only
        assert Path(entry).is_relative_to(environment), entry
    shebang = (environment / "bin" / "fanout").read_text().splitlines()[0]
    assert shebang == f"#!{environment / 'bin' / 'python'}"


def test_core_help_and_publish_help(profiles: dict[str, Path], tmp_path: Path) -> None:
    for command in (["fanout", "--help"], ["fanout", "publish", "--help"], ["fanout", "status", "--help"]):
        result = run(profiles["core"], *command, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "Usage" in result.stdout


@pytest.mark.parametrize(
    ("command", "extra"),
    [
        (["dev", "--events", "1"], "local"),
        (["bench"], "local"),
        (["consume", "email"], "services"),
        (["monitor", "--once"], "monitor"),
    ],
)
def test_core_names_the_extra_a_command_needs(
    profiles: dict[str, Path], tmp_path: Path, command: list[str], extra: str
) -> None:
    result = run(profiles["core"], "fanout", *command, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    line = one_line_error(result)
    assert f"fanout[{extra}]" in line, line


def test_core_publishes_and_reads_the_topology(
    profiles: dict[str, Path], fanout_topology: AppliedTopology, fanout_endpoint: str, tmp_path: Path
) -> None:
    variables = {"AWS_ENDPOINT_URL": fanout_endpoint, "FANOUT_ENV": TEST_PREFIX}
    demo = ("--demo", "3", "--seed", "1")
    published = run(profiles["core"], "fanout", "publish", *demo, cwd=tmp_path, **variables)
    assert published.returncode == 0, published.stderr
    assert len(published.stdout.splitlines()) == 3
    for command in (["status", "--json"], ["topology", "verify"], ["events", "list"], ["dlq", "list"]):
        result = run(profiles["core"], "fanout", *command, cwd=tmp_path, **variables)
        assert result.returncode == 0, f"{command}: {result.stderr}"


def test_the_dockerfile_installs_every_service_it_runs() -> None:
    (target,) = [word for word in image_pip_command() if word.startswith(".")]
    assert target == ".[services,monitor,outbox,dashboard]"


def test_image_consumer_checks_the_deployed_topology(
    profiles: dict[str, Path], fanout_topology: AppliedTopology, fanout_endpoint: str, tmp_path: Path
) -> None:
    result = run(
        profiles["image"],
        "fanout",
        "consume",
        "email",
        "--check",
        cwd=tmp_path,
        AWS_ENDPOINT_URL=fanout_endpoint,
        FANOUT_ENV=TEST_PREFIX,
    )
    assert result.returncode == 0, result.stderr
    assert "email" in result.stdout


def test_image_consumer_check_fails_without_the_topology(
    profiles: dict[str, Path], fanout_topology: AppliedTopology, fanout_endpoint: str, tmp_path: Path
) -> None:
    result = run(
        profiles["image"],
        "fanout",
        "consume",
        "email",
        "--check",
        cwd=tmp_path,
        AWS_ENDPOINT_URL=fanout_endpoint,
        FANOUT_ENV="elsewhere",
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "elsewhere-orders" in result.stderr


def test_image_monitor_checks_once_and_dev_names_its_extra(
    profiles: dict[str, Path], fanout_topology: AppliedTopology, fanout_endpoint: str, tmp_path: Path
) -> None:
    variables = {"AWS_ENDPOINT_URL": fanout_endpoint, "FANOUT_ENV": TEST_PREFIX}
    state = str(tmp_path / "monitor.sqlite3")
    checked = run(
        profiles["image"], "fanout", "monitor", "--once", "--state", state, cwd=tmp_path, **variables
    )
    assert checked.returncode == 0, checked.stderr
    dev = run(profiles["image"], "fanout", "dev", "--events", "1", cwd=tmp_path)
    assert dev.returncode == 2
    assert "fanout[local]" in one_line_error(dev)


def test_the_monitor_profile_runs_the_monitor_and_names_the_services_extra(
    profiles: dict[str, Path], fanout_topology: AppliedTopology, fanout_endpoint: str, tmp_path: Path
) -> None:
    variables = {"AWS_ENDPOINT_URL": fanout_endpoint, "FANOUT_ENV": TEST_PREFIX}
    state = str(tmp_path / "monitor.sqlite3")
    checked = run(
        profiles["monitor"], "fanout", "monitor", "--once", "--state", state, cwd=tmp_path, **variables
    )
    assert checked.returncode == 0, checked.stderr
    consume = run(profiles["monitor"], "fanout", "consume", "email", cwd=tmp_path, **variables)
    assert consume.returncode == 2
    assert "fanout[services]" in one_line_error(consume)


def test_the_local_profile_runs_the_whole_system(profiles: dict[str, Path], tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FANOUT_"))}
    result = subprocess.run(
        [str(profiles["local"] / "bin" / "fanout"), "dev", "--events", "6", "--rate", "20"],
        cwd=tmp_path,
        env={key: value for key, value in environment.items() if key not in {"PYTHONPATH", "VIRTUAL_ENV"}},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "ok: every consumer handled every event routed to it" in result.stdout


def test_the_image_serves_the_dashboards_page_from_the_wheel(
    profiles: dict[str, Path], tmp_path: Path
) -> None:
    script = "from fanout.dashboard.app import STATIC_DIR as d; print(*sorted(p.name for p in d.iterdir()))"
    result = run(profiles["image"], "python", "-c", script, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["app.css", "app.js", "index.html"]
