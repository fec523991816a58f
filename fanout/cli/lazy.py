"""Sub-commands imported only when they run: `fanout --help` loads none of them.

Each command is declared by where it lives, its one-line help (shown by `fanout --help`) and the
extra that installs its dependencies. Running a command whose extra is missing ends with one line
naming the extra (exit 2) instead of an import traceback.
"""

import importlib
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any

import typer
from typer import _click as click  # typer vendors click (>= 0.29): its classes are these
from typer.core import TyperCommand, TyperGroup

from fanout.errors import FanoutError

MISSING_EXTRA_EXIT = 2

# Third-party modules that only an extra installs, and that extra.
EXTRA_OF_MODULE = {
    "moto": "local",
    "aiosmtpd": "local",
    "flask": "local",
    "werkzeug": "local",
    "aiosmtplib": "services",
    "aiohttp": "consumers",
    "prometheus_client": "consumers",
    "aiosqlite": "consumers",
    "psycopg": "consumers",
    "psycopg_pool": "consumers",
}


class MissingExtra(FanoutError):
    """A command needs dependencies from an extra that is not installed."""

    def __init__(self, command: str, extra: str, module: str) -> None:
        super().__init__(
            f"`fanout {command}` needs the '{extra}' extra (no module {module!r}): "
            f"pip install 'fanout[{extra}]'"
        )
        self.extra = extra


def missing_extra(error: ModuleNotFoundError, command: str, extra: str | None = None) -> MissingExtra | None:
    """The MissingExtra behind an import error, or None when the missing module is not a dependency."""
    module = (error.name or "").partition(".")[0]
    if not module or module in {"fanout", "consumers", "producer", "monitor"}:
        return None
    named = extra or EXTRA_OF_MODULE.get(module)
    return MissingExtra(command, named, module) if named else None


@dataclass(frozen=True)
class LazyCommand:
    """A sub-command by location: `module:attribute` is a command function or a `typer.Typer` group."""

    module: str
    attribute: str
    help: str
    extra: str | None = None  # the extra its imports need; None: the core install has them


class LazyGroup(TyperGroup):
    """A Typer group whose `lazy_commands` are imported on first use (subclass and fill it in)."""

    lazy_commands: dict[str, LazyCommand] = {}  # noqa: RUF012 - a per-subclass declaration

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *self.lazy_commands]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """For listings (the help): a stand-in carrying the declared help; nothing is imported."""
        spec = self.lazy_commands.get(cmd_name)
        if spec is None:
            return super().get_command(ctx, cmd_name)
        return TyperCommand(cmd_name, help=spec.help, short_help=spec.help)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] in self.lazy_commands:
            return args[0], self.load(args[0]), args[1:]
        try:
            return super().resolve_command(ctx, args)
        except click.exceptions.UsageError as error:
            matches = get_close_matches(args[0], list(self.lazy_commands)) if args else []
            if matches and "Did you mean" not in error.message:
                error.message = f"{error.message.rstrip('.')}. Did you mean {', '.join(map(repr, matches))}?"
            raise

    def load(self, name: str) -> click.Command:
        """Import the command `name` and build its click command."""
        spec = self.lazy_commands[name]
        try:
            target: Any = getattr(importlib.import_module(spec.module), spec.attribute)
        except ModuleNotFoundError as error:
            if (missing := missing_extra(error, name, spec.extra)) is not None:
                raise missing from None
            raise
        if isinstance(target, typer.Typer):
            group = typer.main.get_group(target)
            group.name = name
            return group
        holder = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
        holder.command(name)(target)
        return typer.main.get_command(holder)
