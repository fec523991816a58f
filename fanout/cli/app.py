"""The root `fanout` command: global options, sub-commands, and one-line errors."""

import os
import sys

import typer
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from fanout.cli import bench as bench_command
from fanout.cli import consume, dashboard, dev, events, publish, status, topology
from fanout.cli import dlq as dlq_commands
from fanout.cli import monitor as monitor_command
from fanout.contract.registry import summarize_validation_error
from fanout.errors import FanoutError

app = typer.Typer(
    name="fanout",
    help="Typed domain events fanned out over SNS to per-consumer SQS queues.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(events.app, name="events")
app.add_typer(topology.app, name="topology")
app.add_typer(dlq_commands.app, name="dlq")
app.command("monitor")(monitor_command.monitor)
app.command("status")(status.status)
app.command("consume")(consume.consume)
app.command("publish")(publish.publish)
app.command("bench")(bench_command.bench)
app.command("dev")(dev.dev)
app.command("dashboard")(dashboard.dashboard)


@app.callback()
def root(
    endpoint_url: str | None = typer.Option(
        None, "--endpoint-url", help="SNS/SQS endpoint (sets AWS_ENDPOINT_URL); default: real AWS."
    ),
    region: str | None = typer.Option(None, "--region", help="AWS region (sets AWS_REGION)."),
    env: str | None = typer.Option(
        None, "--env", help="Environment prefix for resource names (sets FANOUT_ENV; default local)."
    ),
) -> None:
    """Every option here is also read from its environment variable."""
    for variable, value in (("AWS_ENDPOINT_URL", endpoint_url), ("AWS_REGION", region), ("FANOUT_ENV", env)):
        if value is not None:
            os.environ[variable] = value


def describe(error: BaseException) -> str:
    """One readable line for an error the user can act on."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return f"{error.operation_name}: {details.get('Code', 'Error')}: {details.get('Message', '')}".strip()
    if isinstance(error, ValidationError):
        return f"invalid settings: {summarize_validation_error(error)}"
    return str(error) or type(error).__name__


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `fanout` console script."""
    try:
        result = app(args=argv, prog_name="fanout", standalone_mode=False)
    except typer.Abort:
        print("fanout: aborted", file=sys.stderr)
        sys.exit(130)
    except typer.TyperException as error:
        if message := error.format_message():  # empty when the help was shown instead
            print(f"fanout: error: {message}", file=sys.stderr)
        sys.exit(error.exit_code)
    except (FanoutError, ClientError, BotoCoreError, ValidationError, OSError) as error:
        print(f"fanout: error: {describe(error)}", file=sys.stderr)
        sys.exit(1)
    if isinstance(result, int) and result:
        sys.exit(result)
