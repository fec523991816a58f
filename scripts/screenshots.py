#!/usr/bin/env python3
"""Screenshots of the dashboard for the README, taken from a real `fanout dev` run.

    .venv/bin/python scripts/screenshots.py [--out docs] [--chromium /usr/bin/chromium]

Starts `fanout dev` (embedded endpoint, three consumers, monitor, demo orders, poison messages),
waits until every consumer reports metrics and every DLQ holds its poison, then photographs the
overview, the DLQ browser and the overview on a phone with Playwright driving Debian's chromium.
"""

import argparse
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
URL = re.compile(r"dashboard: (http://127\.0\.0\.1:\d+/)")
POISON = 6  # two per consumer


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def wait_until_lively(url: str, timeout_s: float = 90) -> None:
    """Until every consumer has metrics with traffic, its poison in its DLQ and the monitor's verdict."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        rows = get_json(f"{url}api/overview")["consumers"]
        if all(
            row["metrics"]
            and row["metrics"]["handled_per_min"]
            and row["dlq"]["depth"] == POISON // 3
            and row["alert"]
            and row["alert"]["state"] == "firing"
            for row in rows
        ):
            return
        time.sleep(1)
    raise SystemExit("the dev run did not settle in time")


def take(url: str, out: Path, chromium: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        desktop = browser.new_context(viewport={"width": 1280, "height": 820}, device_scale_factor=1)
        page = desktop.new_page()
        page.goto(url)
        page.wait_for_selector(".card .figures")
        time.sleep(1.5)  # one refresh, so the ages read "just now"/"1s ago"
        page.screenshot(path=str(out / "dashboard-overview.png"))
        page.goto(f"{url}#dlq/email")
        page.wait_for_selector("#dlq-rows tr")
        page.locator("#dlq-rows details summary").first.click()
        page.screenshot(path=str(out / "dashboard-dlq.png"))
        phone = browser.new_context(
            viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
        )
        page = phone.new_page()
        page.goto(url)
        page.wait_for_selector(".card .figures")
        page.screenshot(path=str(out / "dashboard-phone.png"))
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "docs")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    arguments = parser.parse_args()
    arguments.out.mkdir(parents=True, exist_ok=True)
    env = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "FANOUT_"))}
    # A token (never shown) so the page shows the actions enabled.
    env |= {"PYTHONUNBUFFERED": "1", "FANOUT_DASHBOARD_TOKEN": secrets.token_urlsafe(16)}
    with tempfile.TemporaryDirectory() as state:
        command = [sys.executable, "-m", "fanout.cli", "dev", "--poison", str(POISON), "--state-dir", state]
        dev = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
        try:
            assert dev.stdout is not None
            url = next((match.group(1) for line in dev.stdout if (match := URL.search(line))), None)
            if url is None:
                raise SystemExit("fanout dev printed no dashboard URL")
            wait_until_lively(url)
            take(url, arguments.out, arguments.chromium)
        finally:
            dev.send_signal(signal.SIGINT)
            try:
                dev.wait(30)
            except subprocess.TimeoutExpired:  # an endless dev run does not always drain in time
                dev.kill()
                dev.wait()
    print(f"screenshots in {arguments.out}")


if __name__ == "__main__":
    main()
