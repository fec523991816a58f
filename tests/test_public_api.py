"""The public API: one import line for service authors, and the producer path stays light."""

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

import consumers

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", consumers.__all__)
def test_every_exported_name_is_the_runtimes_own(name: str) -> None:
    exported = getattr(consumers, name)
    module = importlib.import_module(exported.__module__)
    assert getattr(module, exported.__name__) is exported


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        consumers.Nope  # noqa: B018


def loaded_after(statement: str) -> set[str]:
    script = f"import sys\n{statement}\nprint('\\n'.join(sys.modules))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


def test_the_order_services_imports_load_nothing_of_the_consumers() -> None:
    loaded = loaded_after("from producer import Publisher, AsyncPublisher, PublishOptions")
    assert {"producer.publisher", "producer.async_publisher"} <= loaded
    assert not {name for name in loaded if name == "consumers" or name.startswith("consumers.")}


def test_one_runtime_module_does_not_load_the_public_api() -> None:
    loaded = loaded_after("import consumers.runtime.backoff")
    assert "consumers.runtime.service" not in loaded
    assert "consumers.runtime.consumer" not in loaded


def test_the_readme_example_runs_with_the_public_api() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### Writing a consumer service") :]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert code is not None
    assert "from consumers import" in code.group(1)
    assert "consumers.runtime" not in code.group(1)
    namespace: dict[str, object] = {}
    exec(compile(code.group(1), "README.md", "exec"), namespace)
    service = namespace["LoyaltyService"]
    assert isinstance(service, type) and issubclass(service, consumers.Service)
    assert set(service.consumer_spec().event_types) == {"order.placed"}
