"""The dashboard in a real browser: Debian's chromium, driven by Playwright, against a real server.

Batches are created with the official SDK (letta-client 1.7.0) and callbacks go to a real local
receiver; the page is only ever clicked and read, the way a person would, and what it shows is
checked against what the mock and the receiver say happened.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from callbacks.support import Receiver
from letta_client import APIStatusError, Letta
from sdk_runs import sdk_options

from mockserver import MockServer

from .support import AGENT_A, AGENT_B

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.slow

HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


def expect(target: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def sdk(server: MockServer) -> Letta:
    return Letta(**sdk_options(server.url), timeout=10)


def open_dashboard(page: Page, server: MockServer) -> None:
    page.goto(f"{server.url}/_mock/ui")
    expect(page.locator("#clock-kind")).to_have_text("manual")


def record_row(page: Page, record_id: str) -> Any:
    return page.locator(f'#records tbody tr[data-id="{record_id}"]')


def test_batches_appear_and_move_as_the_page_advances_the_clock(
    page: Page, ui_server: MockServer, mock: httpx.Client
) -> None:
    with Receiver() as receiver, sdk(ui_server) as client:
        url = receiver.url("/done")
        open_dashboard(page, ui_server)
        expect(page.locator("#records-empty")).to_be_visible()
        first = client.batches.create(requests=[{"agent_id": AGENT_A, "input": "first"}], callback_url=url)
        second = client.batches.create(requests=[{"agent_id": AGENT_B, "input": "second"}])
        # They appear without a reload, newest first, with the callback not sent yet.
        rows = page.locator("#records tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.nth(0)).to_have_attribute("data-id", second.id)
        expect(rows.nth(1)).to_have_attribute("data-id", first.id)
        row = record_row(page, first.id)
        expect(row.locator(".badge").first).to_have_text("created")
        expect(row.locator(".callback")).to_contain_text("not sent")
        expect(page.locator("#records-stored")).to_have_text("2 batches stored")

        page.get_by_role("button", name="+10 s").click()
        expect(row.locator("td").nth(1).locator(".badge")).to_have_text("completed")
        expect(row.locator(".callback")).to_contain_text("200")
        expect(row.locator(".timeline li")).to_have_count(3)
        expect(row.locator(".timeline li").nth(2)).to_contain_text("completed")
        delivered = receiver.wait_for(1)
        assert delivered[0].json()["job_id"] == first.id
        assert delivered[0].json()["status"] == "completed"
        assert client.batches.retrieve(first.id).status == "completed"

        # The callback tab shows the attempt, and the detail view the items and messages.
        page.get_by_role("button", name="Callbacks").click()
        attempt = page.locator("#callbacks tbody tr").first
        expect(attempt).to_contain_text(url)
        expect(attempt).to_contain_text("200")
        expect(attempt).to_contain_text(first.id)
        attempt.get_by_role("button", name=first.id).click()
        detail = page.locator("#detail")
        expect(detail).to_be_visible()
        expect(page.locator("#detail-title")).to_contain_text(first.id)
        expect(detail).to_contain_text("Items (1)")
        expect(detail).to_contain_text("Messages (2)")
        expect(detail.locator(".messages li")).to_have_count(2)
        expect(detail.locator(".messages li").first).to_contain_text("first")
        record = json.loads(detail.locator("pre.json").last.inner_text())
        assert record == client.batches.retrieve(first.id).model_dump(mode="json") | {
            "callback_sent_at": record["callback_sent_at"]
        }


def test_a_typed_advance_filters_and_paging(page: Page, ui_server: MockServer, mock: httpx.Client) -> None:
    made = []
    with sdk(ui_server) as client:
        for n in range(30):
            agent = AGENT_A if n % 2 else AGENT_B
            made.append(client.batches.create(requests=[{"agent_id": agent, "input": f"n{n}"}]).id)
            mock.post("/_mock/clock/advance", json={"seconds": 0.01})  # one creation time each
    open_dashboard(page, ui_server)
    rows = page.locator("#records tbody tr")
    expect(rows).to_have_count(25)
    expect(rows.first).to_have_attribute("data-id", made[-1])
    page.get_by_role("button", name="older →").click()
    expect(rows).to_have_count(5)
    expect(rows.last).to_have_attribute("data-id", made[0])
    page.get_by_role("button", name="← newer").click()
    expect(rows).to_have_count(25)
    expect(rows.first).to_have_attribute("data-id", made[-1])

    page.locator("#filter-agent").fill(AGENT_A)
    expect(rows).to_have_count(15)
    ids = [rows.nth(i).get_attribute("data-id") for i in range(15)]
    assert ids == [made[n] for n in reversed(range(30)) if n % 2]

    # A refused amount is shown next to the field with the API's own message; a good one moves the clock.
    page.locator("#advance-seconds").fill("-5")
    page.get_by_role("button", name="Advance", exact=True).click()
    refused = mock.post("/_mock/clock/advance", json={"seconds": -5}).json()["detail"][0]["msg"]
    expect(page.locator("#clock-controls .field-error")).to_have_text(refused)
    before = mock.get("/_mock/clock").json()["epoch"]
    page.locator("#filter-status").select_option("completed")
    expect(page.locator("#records-empty")).to_be_visible()
    page.locator("#advance-seconds").fill("10.5")
    page.get_by_role("button", name="Advance", exact=True).click()
    expect(page.locator("#clock-controls .field-error")).to_have_text("")
    expect(page.locator("#notice")).to_contain_text("advanced 10.5 s")
    assert mock.get("/_mock/clock").json()["epoch"] == pytest.approx(before + 10.5)
    expect(rows).to_have_count(15)
    page.locator("#filter-agent").fill("")
    expect(rows).to_have_count(25)
    statuses = page.locator("#records tbody td:nth-child(2) .badge")
    expect(statuses.filter(has_text="completed")).to_have_count(25)


def test_a_fault_added_from_the_form_fails_the_next_sdk_call(
    page: Page, ui_server: MockServer, mock: httpx.Client
) -> None:
    open_dashboard(page, ui_server)
    page.get_by_role("button", name="Scenarios & faults").click()
    form = page.locator("#fault-form")
    expect(form.locator("select[name=operation] option[value=create_batch]")).to_have_count(1)
    # The schema's own message, next to the field it names.
    form.locator("select[name=operation]").select_option("create_batch")
    form.locator("input[name=error_status]").fill("99")
    form.get_by_role("button", name="Add fault").click()
    api_says = mock.post("/_mock/faults", json={"operation": "create_batch", "error": {"status": 99}}).json()
    message = api_says["detail"][0]["msg"]
    expect(form.locator('[data-field="error.status"] .field-error')).to_contain_text(message)
    expect(form.locator('[data-field="error.status"]')).to_have_class(re.compile("invalid"))
    assert mock.get("/_mock/faults").json() == {"faults": []}

    form.locator("input[name=error_status]").fill("503")
    form.locator("input[name=times]").fill("1")
    form.get_by_role("button", name="Add fault").click()
    expect(page.locator("#faults li")).to_have_count(1)
    expect(page.locator("#faults li")).to_contain_text('"operation":"create_batch"')
    expect(page.locator("#controls-count")).to_have_text("1")
    with sdk(ui_server) as client:
        with pytest.raises(APIStatusError) as failed:
            client.batches.create(requests=[{"agent_id": AGENT_A, "input": "hi"}])
        assert failed.value.status_code == 503
        client.batches.create(requests=[{"agent_id": AGENT_A, "input": "hi"}])  # `times: 1` is used up
    expect(page.locator("#faults li")).to_have_text("none")

    # A scenario from its form; one removed by its row's button; then every one.
    scenario = page.locator("#scenario-form")
    scenario.locator("select[name=match_key]").select_option("agent_id")
    scenario.locator("input[name=match_value]").fill(AGENT_B)
    scenario.locator("select[name=status]").select_option("failed")
    scenario.get_by_role("button", name="Add scenario").click()
    expect(page.locator("#scenarios li")).to_contain_text(AGENT_B)
    assert [s["match"] for s in mock.get("/_mock/scenarios").json()["scenarios"]] == [{"agent_id": AGENT_B}]
    kept = mock.post("/_mock/scenarios", json={"match": {"next_batches": 2}, "status": "expired"}).json()
    expect(page.locator("#scenarios li")).to_have_count(2)
    page.locator("#scenarios li", has_text=AGENT_B).get_by_role("button", name="Remove").click()
    expect(page.locator("#notice")).to_contain_text("removed scenario")
    expect(page.locator("#scenarios li")).to_have_count(1)
    expect(page.locator("#scenarios li")).to_contain_text(kept["id"])
    assert mock.get("/_mock/scenarios").json() == {"scenarios": [kept]}
    fault = mock.post("/_mock/faults", json={"operation": "list_runs", "latency": {"seconds": 0}}).json()
    page.locator(f'#faults li[data-id="{fault["id"]}"]').get_by_role("button", name="Remove").click()
    expect(page.locator("#faults li")).to_have_text("none")
    assert mock.get("/_mock/faults").json() == {"faults": []}
    page.locator("#clear-scenarios").click()
    expect(page.locator("#scenarios li")).to_have_text("none")
    assert mock.get("/_mock/scenarios").json() == {"scenarios": []}


def test_a_contract_violation_is_highlighted_with_its_pointer_and_rule(
    page: Page, ui_server: MockServer, mock: httpx.Client
) -> None:
    assert mock.post("/v1/messages/batches", json={"requests": [{"agent_id": "agent-x"}]}).status_code == 422
    assert mock.get("/v1/runs/", params={"limit": 2}).status_code == 200
    open_dashboard(page, ui_server)
    expect(page.locator("#violation-count")).to_have_text("2")
    page.get_by_role("button", name=re.compile("^Requests")).click()
    broken = page.locator("#requests tr.violation")
    expect(broken).to_have_count(1)
    expect(broken).to_contain_text("422")
    detail = page.locator("#requests tr.violation-detail")
    expect(detail.locator("li")).to_have_count(2)
    expect(detail.locator("code.pointer").first).to_have_text("/body/requests/0/agent_id")
    expect(detail.locator("li").first).to_contain_text("create_batch")
    expect(detail).to_contain_text("String should match pattern")
    # Filters: by operation and by status.
    expect(page.locator("#requests tbody > tr:not(.violation-detail)")).to_have_count(2)
    page.locator("#filter-operation").select_option("list_runs")
    expect(page.locator("#requests tr.violation")).to_have_count(0)
    expect(page.locator("#requests tbody > tr")).to_have_count(1)
    page.locator("#filter-operation").select_option("")
    page.locator("#filter-code").fill("422")
    expect(page.locator("#requests tbody > tr:not(.violation-detail)")).to_have_count(1)
    expect(page.locator("#requests tr.violation")).to_have_count(1)


def test_every_value_a_client_sent_is_shown_as_text(
    page: Page, ui_server: MockServer, mock: httpx.Client
) -> None:
    with Receiver() as receiver, sdk(ui_server) as client:
        hostile_url = receiver.url("/cb") + "?next=%3Cscript%3Ewindow.__pwned=3%3C/script%3E"
        batch = client.batches.create(
            requests=[{"agent_id": AGENT_A, "input": HOSTILE}], callback_url=hostile_url
        )
        refused = mock.post(
            "/v1/messages/batches",
            # The agent id breaks the contract (a well-formed callback URL passes, as on the real server).
            json={"requests": [{"agent_id": "agent-x", "input": "x"}], "callback_url": f"http://a/{HOSTILE}"},
            headers={"X-Evil": HOSTILE},
        )
        assert refused.status_code == 422
        mock.post("/_mock/clock/advance", json={"seconds": 10})
        receiver.wait_for(1)
    open_dashboard(page, ui_server)
    record_row(page, batch.id).get_by_role("button", name=batch.id).click()
    detail = page.locator("#detail")
    expect(detail.locator("td.input")).to_have_text(HOSTILE)
    expect(detail.locator(".messages li").first.locator(".message-text")).to_have_text(HOSTILE)
    expect(detail).to_contain_text(hostile_url)
    page.get_by_role("button", name="Callbacks").click()
    expect(page.locator("#callbacks td.url").first).to_have_text(hostile_url)
    page.get_by_role("button", name=re.compile("^Requests")).click()
    bodies = page.locator("#requests details pre.json")
    expect(page.locator("#requests tr.violation")).to_have_count(1)
    page.locator("#requests tr.violation details summary").click()
    as_json = json.dumps(HOSTILE)[1:-1]  # both are shown as the JSON they are
    expect(bodies.filter(has_text='"x-evil"')).to_contain_text(as_json)
    expect(bodies.filter(has_text="http://a/")).to_contain_text(f"http://a/{as_json}")
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("document.querySelectorAll('script').length") == 1
    assert page.evaluate("document.querySelectorAll('img').length") == 0


def test_reset_snapshot_download_and_restore_upload(
    page: Page, ui_server: MockServer, mock: httpx.Client, tmp_path: Path
) -> None:
    with sdk(ui_server) as client:
        kept = client.batches.create(requests=[{"agent_id": AGENT_A, "input": "keep me"}])
    open_dashboard(page, ui_server)
    expect(record_row(page, kept.id)).to_have_count(1)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download snapshot").click()
    saved = tmp_path / "state.json"
    download.value.save_as(saved)
    assert json.loads(saved.read_text()) == mock.get("/_mock/state").json()

    page.get_by_role("button", name="Reset").click()
    expect(page.locator("#records-empty")).to_be_visible()
    assert mock.get("/_mock/records").json()["stored"] == 0

    page.locator("#restore").set_input_files(str(saved))
    expect(record_row(page, kept.id)).to_have_count(1)
    expect(page.locator("#notice")).to_contain_text("restored state.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 0}')
    page.locator("#restore").set_input_files(str(bad))
    expect(page.locator("#notice")).to_contain_text("restore refused")
    expect(record_row(page, kept.id)).to_have_count(1)


def test_ids_urls_and_specs_a_client_sent_unchecked_are_shown_as_text(
    page: Page, server_factory: Callable[..., MockServer]
) -> None:
    """With validation off the mock stores what it is sent: an agent id and a callback URL holding markup."""
    server = server_factory(mode="stateful", clock="manual", validation="off", seed=1725)
    with Receiver() as receiver, httpx.Client(base_url=server.url, timeout=10) as mock:
        mock.post("/_mock/reset")
        hostile_url = receiver.url("/") + HOSTILE
        made = mock.post(
            "/v1/messages/batches",
            json={"requests": [{"agent_id": HOSTILE, "input": "hi"}], "callback_url": hostile_url},
        )
        assert made.status_code == 200, made.text
        assert made.json()["callback_url"] == hostile_url  # stored as sent
        assert mock.post("/_mock/runs", json={"agent_id": HOSTILE}).status_code == 201
        scenario = {"match": {"agent_id": HOSTILE}, "reply": HOSTILE}
        assert mock.post("/_mock/scenarios", json=scenario).status_code == 201
        mock.post("/_mock/clock/advance", json={"seconds": 10})
    page.goto(f"{server.url}/_mock/ui")
    row = record_row(page, made.json()["id"])
    expect(row.locator("td.agents")).to_have_text(HOSTILE)
    expect(row.locator(".callback .url")).to_have_text(hostile_url)
    page.locator("#filter-agent").fill(HOSTILE)
    expect(page.locator("#records tbody tr")).to_have_count(1)
    row.get_by_role("button", name=made.json()["id"]).click()
    expect(page.locator("#detail [data-section=items] td").nth(1)).to_have_text(HOSTILE)
    expect(page.locator("#detail [data-section=callbacks] td.url")).to_have_text(hostile_url)
    page.locator("#detail-close").click()
    page.get_by_role("button", name="Runs").click()
    expect(page.locator("#records tbody td.agents")).to_have_text(HOSTILE)
    page.get_by_role("button", name="Callbacks").click()
    expect(page.locator("#callbacks td.url")).to_have_text(hostile_url)
    page.get_by_role("button", name="Scenarios & faults").click()
    expect(page.locator("#scenarios li code")).to_have_text(json.dumps(scenario, separators=(",", ":")))
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("document.querySelectorAll('script').length") == 1
    assert page.evaluate("document.querySelectorAll('img').length") == 0
