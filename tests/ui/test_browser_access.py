"""In the browser: the ``?token=`` link's cookie, a store of 10,000 batches, and what a missing
browser does to these tests (a skip on a developer's machine, a failure under CI)."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from mockserver import MockServer
from mockserver._simulation.records import stamp

from .support import AGENT_A, missing_browser, require_browser

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

ServerFactory = Callable[..., MockServer]
TOKEN = "browser-token-8c2f"


def expect(target: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


@pytest.mark.slow
def test_the_token_link_sets_an_http_only_cookie_and_leaves_the_address(
    server_factory: ServerFactory, context: BrowserContext, page: Page
) -> None:
    server = server_factory(mode="stateful", clock="manual", control_token=TOKEN, seed=1720)
    refused = page.goto(f"{server.url}/_mock/ui")
    assert refused is not None
    assert refused.status == 401
    assert "control token" in page.inner_text("body")
    page.goto(f"{server.url}/_mock/ui?token={TOKEN}")
    assert page.url == f"{server.url}/_mock/ui"
    expect(page.locator("#clock-kind")).to_have_text("manual")
    (cookie,) = context.cookies()
    assert (cookie["name"], cookie["value"]) == ("letta_mock_token", TOKEN)
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/_mock"
    assert page.evaluate("document.cookie") == ""  # HttpOnly: the page's scripts cannot read it
    assert TOKEN not in page.content()
    # The page steers the mock with it: the clock moves.
    with httpx.Client(base_url=server.url, headers={"X-Letta-Mock-Token": TOKEN}, timeout=10) as http:
        before = http.get("/_mock/clock").json()["epoch"]
        page.get_by_role("button", name="+1 min").click()
        expect(page.locator("#notice")).to_contain_text("advanced 60 s")
        assert http.get("/_mock/clock").json()["epoch"] == pytest.approx(before + 60)


@pytest.fixture(scope="module")
def crowded(server_factory: ServerFactory) -> Iterator[MockServer]:
    """10,000 stored batches, restored from a snapshot made of one."""
    server = server_factory(mode="stateful", clock="manual", seed=1721)
    with httpx.Client(base_url=server.url, timeout=30) as http:
        http.post("/_mock/reset")
        http.post("/v1/messages/batches", json={"requests": [{"agent_id": AGENT_A, "input": "many"}]})
        state = http.get("/_mock/state").json()
        (template,) = state["jobs"]
        jobs = []
        for n in range(10_000):
            job = copy.deepcopy(template)
            job["id"] = f"job-{uuid.UUID(int=n + 1, version=4)}"
            job["created"] = template["created"] - (10_000 - n)
            job["created_at"] = job["updated_at"] = stamp(job["created"])
            jobs.append(job)
        state["jobs"] = jobs
        assert http.put("/_mock/state", json=state).status_code == 200
        yield server
        http.post("/_mock/reset")


@pytest.mark.slow
def test_ten_thousand_batches_are_paged_not_rendered_whole(crowded: MockServer, page: Page) -> None:
    page.goto(f"{crowded.url}/_mock/ui")
    expect(page.locator("#records-stored")).to_have_text("10000 batches stored")
    rows = page.locator("#records tbody tr")
    expect(rows).to_have_count(25)
    newest = f"job-{uuid.UUID(int=10_000, version=4)}"
    expect(rows.first).to_have_attribute("data-id", newest)
    page.get_by_role("button", name="older →").click()
    expect(rows.first).to_have_attribute("data-id", f"job-{uuid.UUID(int=10_000 - 25, version=4)}")
    expect(rows).to_have_count(25)
    expect(page.locator("#page-newer")).to_be_enabled()


def test_a_missing_browser_skips_here_and_fails_under_ci() -> None:
    reason = missing_browser("/nonexistent/chromium")
    assert reason is not None
    assert "/nonexistent/chromium" in reason
    with pytest.raises(pytest.skip.Exception):
        require_browser(reason, ci=False)
    with pytest.raises(pytest.fail.Exception, match="CI=true and the dashboard's browser tests cannot run"):
        require_browser(reason, ci=True)
    require_browser(None, ci=True)  # a browser: nothing happens
