"""An invalid database URL is reported in one line with its password masked."""

import pytest

from fanout.cli import main
from fanout.redaction import log_safe, mask_url_password

PASSWORD = "hunter2-s3cret"


@pytest.mark.parametrize("variable", ["FANOUT_INVENTORY_DATABASE_URL", "DATABASE_URL"])
def test_consume_with_a_bad_database_url_masks_its_password(
    variable: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(variable, f"postgresq://fanout:{PASSWORD}@db:5432/inventory")  # scheme typo

    with pytest.raises(SystemExit) as exit_:
        main(["consume", "inventory"])

    assert exit_.value.code == 1
    err = capsys.readouterr().err
    (line,) = err.strip().splitlines()
    assert PASSWORD not in err
    assert "postgresq://fanout:***@db:5432/inventory" in line


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql://fanout:pw@db:5432/x", "postgresql://fanout:***@db:5432/x"),
        ("postgresql://fanout@db/x", "postgresql://fanout@db/x"),
        ("sqlite:///var/a.db", "sqlite:///var/a.db"),
        ("postgresql://:pw@db/x", "postgresql://:***@db/x"),
        (
            "postgresql://db/x?sslmode=require&password=pw&a=1",
            "postgresql://db/x?sslmode=require&password=***&a=1",
        ),
        ("host=db port=5432 user=u password=pw dbname=x", "host=db port=5432 user=u password=*** dbname=x"),
        ("host=db password='p w' dbname=x", "host=db password=*** dbname=x"),
    ],
)
def test_mask_url_password(url: str, masked: str) -> None:
    assert mask_url_password(url) == masked


def test_log_safe_bounds_and_cleans_free_text() -> None:
    quoted = "[input_value='a body', input_type=str]"
    text = f"connect to postgresql://u:{PASSWORD}@h/d failed {quoted}\n" + "x" * 500
    safe = log_safe(text, limit=120)
    assert len(safe) == 120 and "\n" not in safe
    assert PASSWORD not in safe and "a body" not in safe


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://127.0.0.1:1/x?password={PASSWORD}",
        f"host=127.0.0.1 port=1 user=u password={PASSWORD} dbname=x",
    ],
)
def test_outbox_status_never_prints_a_password_given_as_a_parameter(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["outbox", "status", "--database-url", url])
    assert exit_.value.code != 0
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert PASSWORD not in err
