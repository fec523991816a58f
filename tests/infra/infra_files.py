"""Readers for the deployment files: Terraform (python-hcl2), the Dockerfile, compose.yaml."""

import json
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
import yaml
from dockerfile_parse import DockerfileParser
from hcl2 import SerializationOptions

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = ROOT / "infra" / "terraform"
CONSUMER_MODULE = TERRAFORM / "modules" / "consumer"
SERVICE_MODULE = TERRAFORM / "modules" / "ecs-service"
MODULES = (TERRAFORM, CONSUMER_MODULE, SERVICE_MODULE)
HCL_OPTIONS = SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=False)

Block = dict[str, Any]


@cache
def terraform_module(directory: Path) -> dict[str, list[Block]]:
    """Every top-level block of a module's .tf files, grouped by block type."""
    blocks: dict[str, list[Block]] = {}
    for path in sorted(directory.glob("*.tf")):
        with path.open() as source:
            for kind, entries in hcl2.load(source, serialization_options=HCL_OPTIONS).items():
                blocks.setdefault(kind, []).extend(entries)
    return blocks


def labelled(directory: Path, kind: str) -> dict[str, Block]:
    """Blocks with one label (variable, output, module, locals merged): label → body."""
    merged: dict[str, Block] = {}
    for entry in terraform_module(directory).get(kind, []):
        merged.update(entry)
    return merged


def resource(directory: Path, kind: str, name: str, family: str = "resource") -> Block:
    """The body of `resource "kind" "name"` (or of a data source with family="data")."""
    for entry in terraform_module(directory).get(family, []):
        if name in entry.get(kind, {}):
            body: Block = entry[kind][name]
            return body
    raise KeyError(f"{family} {kind}.{name} not found in {directory}")


def statements(directory: Path, document: str) -> dict[str, Block]:
    """The statements of a `data "aws_iam_policy_document"`, by sid (dynamic ones: their content)."""
    body = resource(directory, "aws_iam_policy_document", document, family="data")
    dynamic = [
        {**content, "for_each": block["statement"]["for_each"]}
        for block in body.get("dynamic", [])
        for content in block["statement"]["content"]
    ]
    return {statement["sid"]: statement for statement in [*body["statement"], *dynamic]}


def dockerfile() -> DockerfileParser:
    return DockerfileParser(str(ROOT / "Dockerfile"))


def exec_form(instruction_value: str) -> list[str]:
    """The JSON array of an exec-form CMD or HEALTHCHECK ... CMD."""
    array: list[str] = json.loads(instruction_value[instruction_value.index("[") :])
    return array


def compose() -> dict[str, Any]:
    """compose.yaml with its anchors and merge keys resolved."""
    document: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return document
