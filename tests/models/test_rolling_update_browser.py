"""The served rolling-update controller in the inspector: a deployment seen live in headless Chromium."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette", reason="pip install 'statecharts[serve]' for the serve tests")
httpx = pytest.importorskip("httpx", reason="pip install httpx for the serve tests")
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (never `playwright install`)")

from machines.rolling_controller import Controller, Knobs, create_controller_app  # noqa: E402
from statecharts.serve.server import running  # noqa: E402
from statecharts.store import SqliteStore  # noqa: E402
from tests.models.test_rolling_update_service import Agents  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DOCS = Path(__file__).resolve().parents[2] / "docs"

if not Path(CHROMIUM).exists() or shutil.which("dot") is None:
    pytest.skip(
        "the browser tests need Debian's chromium and Graphviz: sudo apt-get install chromium graphviz "
        "(or run .ci/install)",
        allow_module_level=True,
    )


def active(page: Any) -> list[str]:
    return str(page.get_attribute("#diagram", "data-active") or "").split()


def test_the_inspector_shows_a_deployment_live_from_placing_to_successful(tmp_path: Path) -> None:
    group = Agents(3, "--start-ms", "200")
    try:
        controller = Controller.open(
            group.addresses, SqliteStore(str(tmp_path / "served.db")), Knobs(min_healthy_time=300)
        )
        with running(create_controller_app(controller)) as url, sync_api.sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
            try:
                page = chromium.new_page(viewport={"width": 1400, "height": 900})
                page.goto(f"{url}/?actor=web-1")  # the inspector creates the deployment's actor (idle)
                page.wait_for_selector('#connection[data-live="yes"]')
                assert "deployment.idle" in active(page)
                assert httpx.post(f"{url}/actors/web-1/events", json={"type": "DEPLOY", "version": 1}).is_success
                page.wait_for_function("document.querySelector('#diagram').dataset.active.includes('a2.placed')")
                assert "deployment.running.progressing" in active(page)  # the controller's steps, live
                DOCS.mkdir(exist_ok=True)
                page.screenshot(path=str(DOCS / "inspector-rolling-update.png"))
                page.wait_for_function(
                    "document.querySelector('#diagram').dataset.active.includes('deployment.successful')",
                    timeout=20_000,
                )
                assert {"a1.healthy", "a2.healthy", "a3.healthy"} <= set(active(page))
                assert page.locator("#violations li.fails").count() == 0
                assert httpx.get(f"{url}/violations").json() == {"violations": []}
            finally:
                chromium.close()
    finally:
        group.stop()
