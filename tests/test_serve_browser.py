"""The inspector in a real headless Chromium (Debian's package) driven by Playwright for Python."""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette", reason="pip install 'statecharts[serve]' for the serve tests")
httpx = pytest.importorskip("httpx", reason="pip install httpx for the serve tests")
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (never `playwright install`)")

from statecharts.cli.serve import add_parser, build  # noqa: E402
from statecharts.serve.server import running  # noqa: E402

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
DOCS = Path(__file__).resolve().parent.parent / "docs"

if not Path(CHROMIUM).exists() or shutil.which("dot") is None:
    pytest.skip(
        "the browser tests need Debian's chromium and Graphviz: sudo apt-get install chromium graphviz "
        "(or run .ci/install)",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory: Any) -> Iterator[str]:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    db = tmp_path_factory.mktemp("serve") / "serve.db"
    args = parser.parse_args(["serve", "machines.counter", "-p", "limit=3", "--store", str(db)])
    with running(build(args)) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


def active(page: Any) -> list[str]:
    return str(page.get_attribute("#diagram", "data-active") or "").split()


def opened(browser: Any, url: str, actor: str) -> Any:
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    page.goto(f"{url}/?actor={actor}")
    page.wait_for_selector('#connection[data-live="yes"]')
    return page


def test_a_click_moves_the_highlight_and_a_second_clients_events_arrive_with_violations(
    browser: Any, served: str
) -> None:
    page = opened(browser, served, "b1")
    assert "counter.idle" in active(page)
    assert page.locator("g.node.active title").all_text_contents() == ["counter.idle"]
    page.click('button[data-event="START"]')
    page.wait_for_function("document.querySelector('#diagram').dataset.active.includes('counter.counting')")
    assert page.locator("g.node.active title").all_text_contents() == ["counter.counting"]
    httpx.post(f"{served}/actors/b1/events", json={"type": "ADD", "by": 2})  # another client
    page.wait_for_function("document.querySelector('#context').textContent.includes('\"n\": 2')")
    assert page.locator("#history li").count() == 3
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / "inspector.png"))
    httpx.post(f"{served}/actors/b1/events", json={"type": "ADD", "by": 2})  # n = 4 > limit 3
    page.wait_for_selector("#violations li.fails")
    assert "below limit broken at step 3" in page.text_content("#violations")
    page.close()


def test_selecting_a_past_step_shows_its_snapshot_and_live_returns(browser: Any, served: str) -> None:
    page = opened(browser, served, "b2")
    page.click('button[data-event="START"]')
    page.wait_for_selector("#history li:nth-child(2)")
    page.fill('form[data-event="ADD"] input[name="by"]', "2")
    page.click('button[data-event="ADD"]')
    page.wait_for_selector("#history li:nth-child(3)")
    page.click("#history li:nth-child(1)")
    assert "viewing step 0" in page.text_content("#viewing")
    assert "counter.idle" in active(page) and '"n": 0' in page.text_content("#context")
    page.click("#live")
    assert "counter.counting" in active(page) and '"n": 2' in page.text_content("#context")
    page.close()


def test_a_check_shows_a_counterexample_stepped_through_on_the_diagram(browser: Any, served: str) -> None:
    page = opened(browser, served, "b3")
    page.click("#tab-check")
    page.fill("#check-bound", "500")
    page.click("#check-run")
    page.wait_for_selector('li[data-result="below limit"].fails')
    page.click('li[data-result="below limit"]')
    steps = page.locator("#trace-steps li")
    assert steps.count() >= 3
    assert "counter.idle" in active(page)
    page.click("#trace-next")
    assert "counter.counting" in active(page)
    page.click(f"#trace-steps li:nth-child({steps.count()})")
    assert int(page.text_content("#context").split('"n":')[1].split()[0].strip("}")) > 3
    page.screenshot(path=str(DOCS / "inspector-check.png"))
    page.close()


def test_the_inspector_works_behind_a_token_given_in_its_address(browser: Any, tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    args = parser.parse_args(["serve", "machines.counter", "--token", "s3cret", "--store", str(tmp_path / "t.db")])
    with running(build(args)) as url:
        page = browser.new_page()
        assert page.goto(f"{url}/").status == 401
        page.goto(f"{url}/?token=s3cret&actor=t1")
        page.wait_for_selector('#connection[data-live="yes"]')
        page.click('button[data-event="START"]')
        page.wait_for_function("document.querySelector('#diagram').dataset.active.includes('counter.counting')")
        page.close()


def test_a_violation_and_the_halt_are_shown_after_the_server_restarts(browser: Any, tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    args = parser.parse_args(
        ["serve", "machines.counter", "-p", "limit=3", "--halt-on-violation", "--store", str(tmp_path / "h.db")]
    )
    with running(build(args)) as url:
        httpx.post(f"{url}/actors", json={"id": "h1"})
        for body in ({"type": "START"}, {"type": "ADD", "by": 2}, {"type": "ADD", "by": 2}):
            httpx.post(f"{url}/actors/h1/events", json=body)
    with running(build(args)) as url:  # a new server on the same file
        page = opened(browser, url, "h1")
        page.wait_for_selector("#violations li.fails")
        assert "below limit broken at step 3 (actor halted)" in page.text_content("#violations")
        assert "(halted)" in page.text_content("#connection")
        page.close()
