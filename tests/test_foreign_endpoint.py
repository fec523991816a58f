"""An endpoint that answers, but not as AWS does (a wrong port, a proxy's HTML error page).

The CLI reports it in one line, the publishers as failed results; never a traceback or the page.
"""

import threading
from collections.abc import Iterator
from http.server import HTTPServer, SimpleHTTPRequestHandler
from pathlib import Path

import pytest

from fanout.aws import sync_client
from fanout.cli import main
from producer.demo import demo_events
from producer.publisher import Publisher
from producer.results import PublishFailed

PAGE_MARK = "DOCTYPE"  # the start of the HTML error page http.server sends


@pytest.fixture
def html_endpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A plain HTTP file server (HTML error pages for every AWS call) as AWS_ENDPOINT_URL."""

    class Quiet(SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(tmp_path), **kwargs)  # type: ignore[arg-type]

        def log_message(self, format: str, *args: object) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    yield url
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("argv", [["status"], ["dlq", "list"], ["publish", "--demo", "1"]])
def test_the_cli_reports_a_non_aws_answer_in_one_line(
    html_endpoint: str, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("fanout: error: ") and "Traceback" not in line
    assert len(line) < 400


def test_a_publish_to_a_non_aws_answer_fails_its_events_in_one_line(html_endpoint: str) -> None:
    publisher = Publisher(topic_arn="arn:aws:sns:us-east-1:000000000000:orders", sns=sync_client("sns"))
    result = publisher.publish_many(demo_events(3, seed=1))
    assert not result.succeeded and len(result.failed) == 3
    for failed in result.failed:
        assert failed.error is not None and "\n" not in failed.error and "Unable to parse" in failed.error
    with pytest.raises(PublishFailed):
        result.raise_for_failures()
