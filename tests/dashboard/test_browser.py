"""The dashboard page in a real browser (Debian's chromium through Playwright) against a real endpoint."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from dashboard_support import (
    TOKEN,
    DashboardThread,
    depth,
    put_dead_letter,
    put_event_dead_letter,
    record_handled,
    run_sync,
    shipped,
)
from pydantic import SecretStr

from fanout.dashboard.settings import DashboardSettings
from fanout.testing.plugin import TEST_PREFIX
from fanout.topology import AppliedTopology, declared_topology

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="chromium is not installed (apt-get install chromium)"
    ),
]


@pytest.fixture(scope="module")
def browser() -> Iterator["playwright_api.Browser"]:
    """One chromium for the module."""
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def stores_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the consumers' processed-events stores of this module live."""
    directory = tmp_path_factory.mktemp("stores")
    run_sync(record_handled(directory, [], shipped("o-0")))  # create the three empty stores
    return directory


@pytest.fixture(scope="module")
def dashboard(fanout_endpoint: str, stores_dir: Path) -> Iterator[str]:
    """A dashboard with an action token and the processed-events stores; its URL."""
    stores = {
        name: f"sqlite:///{stores_dir / f'{name}-idempotency.sqlite3'}"
        for name in ("email", "inventory", "analytics")
    }
    settings = DashboardSettings(token=SecretStr(TOKEN), processed_events=stores, refresh_s=1)
    with DashboardThread(settings, declared_topology(TEST_PREFIX), stores_dir / "monitor.sqlite3") as server:
        yield server.url


@pytest.fixture(scope="module")
def read_only_dashboard(fanout_endpoint: str, stores_dir: Path) -> Iterator[str]:
    """A dashboard without a token."""
    with DashboardThread(
        DashboardSettings(), declared_topology(TEST_PREFIX), stores_dir / "monitor.sqlite3"
    ) as server:
        yield server.url


@pytest.fixture
def page(browser: "playwright_api.Browser") -> Iterator["playwright_api.Page"]:
    """A fresh page; the test fails if its script throws or the Content-Security-Policy blocks anything."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda message: problems.append(message.text) if "Content Security Policy" in message.text else None,
    )
    yield page
    context.close()
    assert problems == []


def expect(locator: "playwright_api.Locator") -> "playwright_api.LocatorAssertions":
    return playwright_api.expect(locator)


def test_overview_shows_the_three_consumers_with_their_dlq_depths(
    page: "playwright_api.Page", dashboard: str, fanout_topology: AppliedTopology
) -> None:
    for index in range(2):
        put_event_dead_letter(
            fanout_topology.dlq_url("email"), shipped(f"o-{index}"), "handler_failed", "test-email"
        )
    put_event_dead_letter(
        fanout_topology.dlq_url("analytics"), shipped("o-9"), "handler_failed", "test-analytics"
    )

    page.goto(dashboard)

    cards = page.locator(".card[data-consumer]")
    expect(cards).to_have_count(3)
    assert cards.evaluate_all("cards => cards.map(card => card.dataset.consumer)") == [
        "email",
        "inventory",
        "analytics",
    ]
    for consumer, shown in (("email", "2"), ("inventory", "0"), ("analytics", "1")):
        expect(page.locator(f'.card[data-consumer="{consumer}"] .dlq-depth')).to_have_text(shown)
    expect(page.locator('.card[data-consumer="email"] .age').first).to_contain_text("read ")


def test_dlq_browser_shows_a_poison_messages_reason(
    page: "playwright_api.Page", dashboard: str, fanout_topology: AppliedTopology
) -> None:
    put_dead_letter(
        fanout_topology.dlq_url("inventory"),
        "{this is not json",
        {},
        reason="undecodable",
        detail="Expecting property name enclosed in double quotes",
        source_queue="test-inventory",
    )

    page.goto(f"{dashboard}#dlq/inventory")

    row = page.locator("#dlq-rows tr")
    expect(row).to_have_count(1)
    expect(row.locator(".reason")).to_have_text("undecodable")
    expect(row).to_contain_text("Expecting property name")
    expect(row).to_contain_text("from test-inventory")
    expect(page.locator("#dlq-summary")).to_contain_text("test-inventory-dlq: 1 message(s)")


def test_redrive_without_the_token_is_refused_and_changes_nothing(
    page: "playwright_api.Page", dashboard: str, fanout_topology: AppliedTopology
) -> None:
    put_event_dead_letter(fanout_topology.dlq_url("email"), shipped("o-1"), "handler_failed", "test-email")
    page.goto(f"{dashboard}#dlq/email")
    expect(page.locator("#dlq-rows tr")).to_have_count(1)

    page.click("#redrive-all")
    expect(page.locator("#confirm")).to_be_visible()
    page.fill("#confirm-token", "")
    page.click("#confirm-ok")

    expect(page.locator("#banner")).to_contain_text("Redrive refused")
    expect(page.locator("#dlq-rows tr")).to_have_count(1)
    assert depth(fanout_topology.dlq_url("email")) == 1
    assert depth(fanout_topology.queue_url("email")) == 0


def test_redrive_with_the_token_moves_the_message(
    page: "playwright_api.Page", dashboard: str, fanout_topology: AppliedTopology
) -> None:
    put_event_dead_letter(fanout_topology.dlq_url("email"), shipped("o-2"), "handler_failed", "test-email")
    page.goto(f"{dashboard}#dlq/email")
    expect(page.locator("#dlq-rows tr")).to_have_count(1)

    page.locator("#dlq-rows input.select").check()
    page.click("#redrive-selected")
    page.fill("#confirm-token", TOKEN)
    page.fill("#confirm-by", "on-call")
    page.click("#confirm-ok")

    expect(page.locator("#banner")).to_contain_text("Moved 1 of 1 message(s) back to email")
    expect(page.locator("#dlq-empty")).to_be_visible()
    assert depth(fanout_topology.dlq_url("email")) == 0
    assert depth(fanout_topology.queue_url("email")) == 1


def test_purge_asks_for_the_consumers_name(
    page: "playwright_api.Page", dashboard: str, fanout_topology: AppliedTopology
) -> None:
    put_event_dead_letter(
        fanout_topology.dlq_url("analytics"), shipped("o-3"), "handler_failed", "test-analytics"
    )
    page.goto(f"{dashboard}#dlq/analytics")
    expect(page.locator("#dlq-rows tr")).to_have_count(1)

    page.click("#purge")
    page.fill("#confirm-token", TOKEN)
    page.fill("#confirm-name", "email")
    page.click("#confirm-ok")
    expect(page.locator("#confirm-error")).to_contain_text("Type analytics exactly")
    assert depth(fanout_topology.dlq_url("analytics")) == 1

    page.fill("#confirm-name", "analytics")
    page.click("#confirm-ok")
    expect(page.locator("#banner")).to_contain_text("Purged 1 message(s)")
    assert depth(fanout_topology.dlq_url("analytics")) == 0


def test_trace_finds_an_event_handled_by_two_consumers(
    page: "playwright_api.Page", dashboard: str, stores_dir: Path, fanout_topology: AppliedTopology
) -> None:
    event = shipped("o-4")
    run_sync(record_handled(stores_dir, ["email", "analytics"], event))

    page.goto(f"{dashboard}#trace")
    page.fill("#trace-key", event.id)
    page.click("#trace-form button[type=submit]")

    result = page.locator(f'.card.trace[data-event-id="{event.id}"]')
    expect(result).to_contain_text("Handled by 2 consumer(s)")
    handled = result.locator('.trace-row[data-handled="yes"]')
    expect(handled).to_have_count(2)
    assert handled.evaluate_all("rows => rows.map(row => row.dataset.consumer)") == ["email", "analytics"]


def test_a_body_with_markup_is_shown_as_text(
    page: "playwright_api.Page", dashboard: str, fanout_topology: AppliedTopology
) -> None:
    markup = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
    put_dead_letter(
        fanout_topology.dlq_url("email"),
        markup,
        {},
        reason="<b>undecodable</b>",
        detail="<script>window.__pwned = 3</script>",
        source_queue="test-email",
    )
    page.goto(f"{dashboard}#dlq/email")
    row = page.locator("#dlq-rows tr")
    expect(row).to_have_count(1)

    row.locator("details summary").click()

    expect(row.locator("pre.body")).to_have_text(markup)
    expect(row.locator(".reason")).to_have_text("<b>undecodable</b>")
    expect(row.locator(".detail")).to_have_text("<script>window.__pwned = 3</script>")
    assert row.locator("script, img, b").count() == 0
    assert page.evaluate("window.__pwned") is None


def test_a_dashboard_without_a_token_says_it_is_read_only(
    page: "playwright_api.Page", read_only_dashboard: str, fanout_topology: AppliedTopology
) -> None:
    page.goto(f"{read_only_dashboard}#dlq/email")
    expect(page.locator("#banner")).to_contain_text("Read-only")
    expect(page.locator("#redrive-all")).to_be_disabled()
    expect(page.locator("#purge")).to_be_disabled()


def test_the_overview_fits_a_phone(
    browser: "playwright_api.Browser", dashboard: str, fanout_topology: AppliedTopology
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(dashboard)
    expect(page.locator(".card[data-consumer]")).to_have_count(3)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    boxes = [card.bounding_box() for card in page.locator(".card[data-consumer]").all()]
    assert len({round(box["x"]) for box in boxes if box}) == 1  # one column
    context.close()


def test_an_overview_refresh_keeps_the_keyboard_focus(
    page: "playwright_api.Page", dashboard: str, fanout_topology: AppliedTopology
) -> None:
    page.goto(dashboard)
    link = page.locator('.card[data-consumer="inventory"] a.link')
    link.focus()
    before = page.locator("#freshness .age").get_attribute("data-read-at")
    expect(page.locator("#freshness .age")).not_to_have_attribute("data-read-at", before or "")  # refreshed
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#dlq/inventory"
