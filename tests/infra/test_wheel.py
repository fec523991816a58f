"""The built wheel, installed in a fresh virtualenv, runs `fanout consume email --check`.

This is what the image does (pip install of the project into a virtualenv), minus Docker, which
does not run here. The fresh virtualenv gets the wheel itself; its dependencies come from the
project's virtualenv through a .pth path entry (a plain path line: the editable install's own .pth
hooks there are not processed), so no registry download is needed and the source tree stays out.
"""

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest
from infra_files import ROOT

from fanout.testing.plugin import TEST_PREFIX, AppliedTopology

PACKAGES = ("fanout", "consumers", "producer", "monitor")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with only the fanout wheel installed in it."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"  # a clean copy, so no build/ or egg-info lands in the repository
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(work / "dist"), str(source)], check=True)
    (wheel,) = (work / "dist").glob("fanout-*.whl")
    environment = work / "venv"
    venv.create(environment, with_pip=False)
    site_packages = Path(sysconfig.get_path("purelib", vars={"base": str(environment)}))
    (site_packages / "project-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run(
        [
            *pip,
            "--python",
            str(environment / "bin" / "python"),
            "install",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
    )
    return environment


def run(installed: Path, *command: str, cwd: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    return subprocess.run(
        [str(installed / "bin" / command[0]), *command[1:]],
        cwd=cwd,
        env={**env, **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_code_comes_from_the_wheel_not_the_source_tree(installed: Path, tmp_path: Path) -> None:
    script = (
        "import "
        + ", ".join(PACKAGES)
        + "; print('\\n'.join(m.__file__ for m in ("
        + ", ".join(PACKAGES)
        + ")))"
    )
    result = run(installed, "python", "-c", script, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for location in result.stdout.split():
        assert Path(location).is_relative_to(installed), location
    fanout_script = installed / "bin" / "fanout"
    assert fanout_script.read_text().splitlines()[0] == f"#!{installed / 'bin' / 'python'}"


def test_installed_consumer_checks_the_deployed_topology(
    installed: Path, fanout_topology: AppliedTopology, fanout_endpoint: str, tmp_path: Path
) -> None:
    result = run(
        installed,
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


def test_installed_consumer_check_fails_without_the_topology(
    installed: Path, fanout_topology: AppliedTopology, fanout_endpoint: str, tmp_path: Path
) -> None:
    result = run(
        installed,
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


def test_the_wheel_ships_the_dashboards_page(installed: Path, tmp_path: Path) -> None:
    script = "from fanout.dashboard.app import STATIC_DIR as d; print(*sorted(p.name for p in d.iterdir()))"
    result = run(installed, "python", "-c", script, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["app.css", "app.js", "index.html"]
