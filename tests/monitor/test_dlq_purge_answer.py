"""`fanout dlq purge` answered `n`: a normal outcome (exit 0, "nothing purged"), not an abort."""

import io

import pytest
from monitor_support import put_dead_letters, visible

from fanout.cli import main
from fanout.topology import AppliedTopology


def test_answering_no_purges_nothing_and_exits_0(
    fanout_topology: AppliedTopology,
    test_env: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dlq = fanout_topology.dlq_url("email")
    put_dead_letters(dlq, 2)
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))

    main(["dlq", "purge", "email"])  # returns: exit 0

    assert "nothing purged" in capsys.readouterr().out
    assert visible(dlq) == 2
