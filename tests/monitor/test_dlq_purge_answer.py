"""`fanout dlq purge` answered `n`: a normal outcome (exit 0, "nothing purged"), not an abort."""

import io

import pytest
from monitor_support import put_dead_letters, visible

from fanout.cli import main
from fanout.topology import AppliedTopology


@pytest.fixture
def dlq(fanout_topology: AppliedTopology, test_env: str) -> str:
    """The email consumer's DLQ, holding two dead letters."""
    url = fanout_topology.dlq_url("email")
    put_dead_letters(url, 2)
    return url


def test_answering_no_purges_nothing_and_exits_0(
    dlq: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))

    main(["dlq", "purge", "email"])  # returns: exit 0

    assert "nothing purged" in capsys.readouterr().out
    assert visible(dlq) == 2


def test_no_answer_on_stdin_is_a_one_line_error_not_an_interruption(
    dlq: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # a script's closed stdin: nobody answers

    with pytest.raises(SystemExit) as exit_:
        main(["dlq", "purge", "email"])

    assert exit_.value.code == 1  # not 130: nothing was interrupted
    captured = capsys.readouterr()
    assert captured.out.endswith("[y/N]: \n")  # the prompt's line ended before the error
    err = captured.err.split("[y/N]: ")[-1]  # after the prompt itself
    assert err.count("\n") == 1 and err.startswith("fanout: error: nothing purged") and "--yes" in err
    assert visible(dlq) == 2
