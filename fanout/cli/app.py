"""The root `fanout` command: global options, sub-commands, and one-line errors."""

import os
import sys
from urllib.parse import urlsplit

import typer

from fanout.cli.lazy import MISSING_EXTRA_EXIT, LazyCommand, LazyGroup, MissingExtra, missing_extra
from fanout.errors import ConfigurationError, FanoutError
from fanout.redaction import log_safe

MAX_ERROR_TEXT = 600  # characters of the one error line (an endpoint's error page can be pages long)


class FanoutGroup(LazyGroup):
    """The sub-commands, imported when they run (`fanout --help` and `fanout status` stay light)."""

    lazy_commands = {  # noqa: RUF012
        "events": LazyCommand("fanout.cli.events", "app", "The event contract."),
        "topology": LazyCommand(
            "fanout.cli.topology", "app", "The SNS topic, consumer queues, DLQs and subscriptions."
        ),
        "dlq": LazyCommand(
            "fanout.cli.dlq", "app", "Inspect, redrive and purge the consumers' dead-letter queues."
        ),
        "monitor": LazyCommand(
            "fanout.cli.monitor",
            "monitor",
            "Poll every DLQ, alert once per crossing, re-notify while firing, resolve when it drains.",
            extra="monitor",
        ),
        "status": LazyCommand(
            "fanout.cli.status",
            "status",
            "Queue depth (visible, in flight, delayed) and DLQ depth per consumer.",
        ),
        "consume": LazyCommand(
            "fanout.cli.consume",
            "consume",
            "Consume NAME's queue: handlers run concurrently, failures retry with backoff or go to the DLQ.",
            extra="services",
        ),
        "publish": LazyCommand(
            "fanout.cli.publish",
            "publish",
            "Publish events to the orders topic and print their SNS message ids.",
        ),
        "bench": LazyCommand(
            "fanout.cli.bench",
            "bench",
            "Benchmark the consumer runtime and the publishers on one endpoint; "
            "targets are shown, not enforced.",
            extra="local",
        ),
        "outbox": LazyCommand(
            "fanout.cli.outbox",
            "app",
            "Transactional outbox: create it, relay it to SNS, report on it.",
            extra="outbox",
        ),
        "dashboard": LazyCommand(
            "fanout.cli.dashboard",
            "dashboard",
            "Serve the dashboard: overview, DLQ browser, redrive and purge "
            "(with FANOUT_DASHBOARD_TOKEN), trace.",
            extra="dashboard",
        ),
        "dev": LazyCommand(
            "fanout.cli.dev",
            "dev",
            "Run the whole system locally: endpoint, topology, the three consumers, "
            "the monitor, demo events.",
            extra="local",
        ),
    }


app = typer.Typer(
    name="fanout",
    cls=FanoutGroup,
    help="Typed domain events fanned out over SNS to per-consumer SQS queues.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


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
    if configured := os.environ.get("AWS_ENDPOINT_URL"):
        check_endpoint_url(configured)


def check_endpoint_url(url: str) -> None:
    """ConfigurationError unless `url` is an http(s)://host[:port] endpoint (botocore raises a traceback)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parses the port: ValueError when out of range or not a number
    except ValueError as error:
        raise ConfigurationError(
            f"invalid endpoint URL {url!r} (AWS_ENDPOINT_URL / --endpoint-url): {error}"
        ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"invalid endpoint URL {url!r} (AWS_ENDPOINT_URL / --endpoint-url): expected http(s)://host[:port]"
        )


def describe(error: BaseException) -> str:
    """One readable line for an error the user can act on."""
    from botocore.exceptions import ClientError, NoCredentialsError
    from botocore.parsers import ResponseParserError
    from pydantic import ValidationError

    if isinstance(error, NoCredentialsError):
        if os.environ.get("AWS_ENDPOINT_URL"):
            return (
                f"{error}: a local endpoint takes any, e.g. AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=x"
            )
        return (
            f"{error}: configure AWS credentials, or for a local endpoint set AWS_ENDPOINT_URL "
            "(with AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing)"
        )
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        message = first_line(str(details.get("Message", "")))  # an HTML error page spans many
        return f"{error.operation_name}: {details.get('Code', 'Error')}: {message}".strip()
    if isinstance(error, ResponseParserError):
        endpoint = os.environ.get("AWS_ENDPOINT_URL", "the AWS endpoint")
        return f"{endpoint} did not answer as AWS does: {first_line(str(error))}"
    if isinstance(error, ValidationError):
        from fanout.contract.registry import summarize_validation_error

        return f"invalid settings: {summarize_validation_error(error)}"
    return str(error) or type(error).__name__


def first_line(text: str) -> str:
    """The first non-blank line of `text` (empty when there is none)."""
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


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
    except MissingExtra as error:
        print(f"fanout: error: {error}", file=sys.stderr)
        sys.exit(MISSING_EXTRA_EXIT)
    except ModuleNotFoundError as error:  # a command importing an extra's module while it runs
        if (missing := missing_extra(error, command_name(argv or sys.argv[1:]))) is None:
            raise
        print(f"fanout: error: {missing}", file=sys.stderr)
        sys.exit(MISSING_EXTRA_EXIT)
    except Exception as error:
        if not is_user_error(error):
            raise
        print(f"fanout: error: {log_safe(describe(error), MAX_ERROR_TEXT)}", file=sys.stderr)
        sys.exit(1)
    if isinstance(result, int) and result:
        sys.exit(result)


GLOBAL_OPTIONS_WITH_VALUES = {"--endpoint-url", "--region", "--env"}


def command_name(argv: list[str]) -> str:
    """The sub-command in `argv`: the first word that is neither a global option nor its value."""
    words = iter(argv)
    for word in words:
        if word in GLOBAL_OPTIONS_WITH_VALUES:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return ""


def is_user_error(error: Exception) -> bool:
    """Errors reported in one line: ours, AWS's, invalid settings, files and connections."""
    if isinstance(error, FanoutError | OSError):
        return True
    from botocore.exceptions import BotoCoreError, ClientError  # loaded by then whenever AWS was called
    from botocore.parsers import ResponseParserError
    from pydantic import ValidationError

    return isinstance(error, ClientError | BotoCoreError | ResponseParserError | ValidationError)
