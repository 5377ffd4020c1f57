"""In the browser: runs (messages and steps in the detail view) and a stateless mock (no records)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import pytest

from mockserver import MockServer

from .support import AGENT_A, AGENT_B

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.slow


def expect(target: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def test_a_run_moves_along_and_shows_its_messages_and_steps(
    page: Page, ui_server: MockServer, mock: httpx.Client
) -> None:
    run = mock.post("/_mock/runs", json={"agent_id": AGENT_A}).json()
    mock.post("/_mock/runs", json={"agent_id": AGENT_B})
    page.goto(f"{ui_server.url}/_mock/ui")
    page.get_by_role("button", name="Runs").click()
    rows = page.locator("#records tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#records-stored")).to_have_text("2 runs stored")
    page.locator("#filter-agent").fill(AGENT_A)
    expect(rows).to_have_count(1)
    row = page.locator(f'#records tbody tr[data-id="{run["id"]}"]')
    expect(row.locator("td").nth(1).locator(".badge")).to_have_text("created")
    row.get_by_role("button", name=run["id"]).click()
    detail = page.locator("#detail")
    expect(detail).to_contain_text("Messages (0)")
    page.get_by_role("button", name="+10 s").click()
    expect(row.locator("td").nth(1).locator(".badge")).to_have_text("completed")
    messages = mock.get(f"/v1/runs/{run['id']}/messages", params={"order": "asc"}).json()
    steps = mock.get(f"/v1/runs/{run['id']}/steps", params={"order": "asc"}).json()
    expect(detail).to_contain_text(f"Messages ({len(messages)})")
    expect(detail).to_contain_text(f"Steps ({len(steps)})")
    expect(detail.locator('[data-section="messages"] .messages > li')).to_have_count(len(messages))
    expect(detail.locator('[data-section="steps"] .messages > li')).to_have_count(len(steps))
    expect(detail.locator(".timeline li").last).to_contain_text("completed")
    page.locator("#detail-close").click()
    expect(detail).to_be_hidden()


def test_a_stateless_mock_shows_its_journal_and_says_it_stores_nothing(
    page: Page, stateless_server: MockServer
) -> None:
    with httpx.Client(base_url=stateless_server.url, timeout=10) as http:
        http.post("/_mock/reset")
        assert http.get("/v1/runs/", params={"limit": 1}).status_code == 200
    page.goto(f"{stateless_server.url}/_mock/ui")
    expect(page.locator("#clock-kind")).to_have_text("none (stateless)")
    expect(page.locator("#clock-controls")).to_be_hidden()
    expect(page.locator("#records-error")).to_contain_text("--mode stateful")
    page.get_by_role("button", name="Requests").click()
    expect(page.locator("#requests tbody tr").first).to_contain_text("list_runs")
