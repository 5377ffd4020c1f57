"""In the browser: runs and jobs in detail, callback errors, the scenario form's refusals, both clock
kinds, and a stateless mock (no records)."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable
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


def test_a_job_is_listed_under_jobs_filtered_by_status_and_opens_as_json(
    page: Page, ui_server: MockServer, mock: httpx.Client
) -> None:
    job = mock.post("/_mock/jobs", json={"status": "running", "duration": 5}).json()
    done = mock.post("/_mock/jobs", json={"status": "completed"}).json()
    page.goto(f"{ui_server.url}/_mock/ui")
    page.get_by_role("button", name="Jobs").click()
    rows = page.locator("#records tbody tr")
    expect(page.locator("#records-stored")).to_have_text("2 jobs stored")
    expect(rows).to_have_count(2)
    page.locator("#filter-status").select_option("running")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-id", job["id"])
    expect(rows.first.locator("td").nth(1).locator(".badge")).to_have_text("running")
    rows.first.get_by_role("button", name=job["id"]).click()
    detail = page.locator("#detail")
    expect(page.locator("#detail-title")).to_contain_text(f"job {job['id']}")
    expect(detail.locator('[data-section="record"] pre.json')).to_contain_text(job["id"])
    assert (
        json.loads(detail.locator('[data-section="record"] pre.json').inner_text())
        == mock.get(f"/v1/jobs/{job['id']}").json()
    )
    page.locator("#filter-status").select_option("completed")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-id", done["id"])
    mock.post("/_mock/reset")
    mock.post("/_mock/jobs", json={})
    page.locator("#filter-status").select_option("")
    expect(page.locator("#records-stored")).to_have_text("1 job stored")


def test_a_refused_callback_shows_its_error_duration_and_payload(
    page: Page, ui_server: MockServer, mock: httpx.Client
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: the connection is refused at once
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/hook"
        made = mock.post(
            "/v1/messages/batches",
            json={"requests": [{"agent_id": AGENT_A, "input": "hi"}], "callback_url": url},
        )
        assert made.status_code == 200, made.text
        mock.post("/_mock/clock/advance", json={"seconds": 10})  # returns once the attempt has failed
    (attempt,) = mock.get("/_mock/callbacks").json()["callbacks"]
    assert attempt["error"]
    assert attempt["status_code"] is None
    page.goto(f"{ui_server.url}/_mock/ui")
    row = page.locator(f'#records tbody tr[data-id="{made.json()["id"]}"]')
    expect(row.locator(".callback .bad")).to_have_text("error")
    expect(row.locator(".callback .url")).to_have_text(url)
    page.get_by_role("button", name="Callbacks").click()
    shown = page.locator("#callbacks tbody tr")
    expect(shown).to_have_count(1)
    cells = shown.first.locator("td")
    expect(cells.nth(2)).to_have_text(url)
    expect(cells.nth(3)).to_have_text("1")
    expect(cells.nth(4)).to_have_text(attempt["error"])
    expect(cells.nth(5)).to_have_text(f"{attempt['duration_ms']} ms")
    shown.first.locator("summary", has_text="payload").click()
    assert json.loads(shown.first.locator("pre.json").inner_text()) == attempt["payload"]
    assert attempt["payload"]["status"] == "completed"


def test_a_scenario_the_schema_refuses_shows_its_message_by_the_field(
    page: Page, ui_server: MockServer, mock: httpx.Client
) -> None:
    page.goto(f"{ui_server.url}/_mock/ui")
    page.get_by_role("button", name="Scenarios & faults").click()
    form = page.locator("#scenario-form")
    form.locator("input[name=match_value]").fill(AGENT_A)
    form.locator("input[name=duration]").fill("-1")
    form.get_by_role("button", name="Add scenario").click()
    api_says = mock.post("/_mock/scenarios", json={"match": {"agent_id": AGENT_A}, "duration": -1}).json()
    (problem,) = api_says["detail"]
    assert problem["loc"] == ["body", "duration"]
    expect(form.locator('[data-field="duration"] .field-error')).to_have_text(problem["msg"])
    expect(form.locator('[data-field="duration"]')).to_have_class(re.compile("invalid"))
    expect(form.locator('[data-field="match"] .field-error')).to_have_text("")
    assert mock.get("/_mock/scenarios").json() == {"scenarios": []}
    form.locator("input[name=duration]").fill("2")
    form.get_by_role("button", name="Add scenario").click()
    expect(page.locator("#scenarios li")).to_have_count(1)
    expect(form.locator('[data-field="duration"] .field-error')).to_have_text("")
    assert [s["duration"] for s in mock.get("/_mock/scenarios").json()["scenarios"]] == [2]


def test_a_system_clock_shows_its_time_moving_and_no_advance_buttons(
    page: Page, server_factory: Callable[..., MockServer]
) -> None:
    server = server_factory(mode="stateful", clock="system", seed=1724)
    page.goto(f"{server.url}/_mock/ui")
    expect(page.locator("#clock-kind")).to_have_text("system")
    expect(page.locator("#clock-now")).to_have_text(re.compile(r"^\d{4}-\d\d-\d\dT"))
    expect(page.locator("#clock-controls")).to_be_hidden()
    seen = page.locator("#clock-now").inner_text()
    expect(page.locator("#clock-now")).not_to_have_text(seen)  # the next poll, a second later
