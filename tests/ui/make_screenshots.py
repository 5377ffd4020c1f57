"""Take the dashboard screenshots of docs/images/ (not a test): `python tests/ui/make_screenshots.py`.

A manual-clock mock is given a few batches (some with callbacks to a local receiver, one scripted
to fail), a run, a scenario, a fault and a request that breaks the contract; each main view is
then captured by the same chromium the browser tests use.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from callbacks.support import Receiver, Reply  # noqa: E402

from mockserver import MockServer  # noqa: E402
from ui.support import AGENT_A, AGENT_B, CHROMIUM, FLAGS, missing_browser  # noqa: E402

AGENT_C = "agent-99999999-8888-4777-a666-555544443333"


def populate(http: httpx.Client, callback: str, failing: str) -> str:
    http.post("/_mock/scenarios", json={"match": {"agent_id": AGENT_C}, "status": "failed"})
    first = ""
    for n, (agents, url) in enumerate(
        [
            ([AGENT_A, AGENT_B], callback),
            ([AGENT_C], callback),
            ([AGENT_A], None),
            ([AGENT_B, AGENT_A, AGENT_C], failing),
            ([AGENT_B], callback),
        ]
    ):
        body: dict[str, object] = {
            "requests": [{"agent_id": agent, "input": f"Summarise ticket #{4100 + n}"} for agent in agents]
        }
        if url:
            body["callback_url"] = url
        made = http.post("/v1/messages/batches", json=body).json()
        first = first or made["id"]
        http.post("/_mock/clock/advance", json={"seconds": 0.9})
    http.post("/_mock/runs", json={"agent_id": AGENT_A, "callback_url": callback})
    http.post("/_mock/clock/advance", json={"seconds": 0.5})
    http.post("/v1/messages/batches", json={"requests": [{"agent_id": "agent-42", "input": "hi"}]})
    http.get("/v1/messages/batches", params={"limit": 5})
    http.post("/_mock/faults", json={"operation": "retrieve_batch", "error": {"status": 503}, "times": 2})
    return first


def main(target: Path) -> None:
    reason = missing_browser()
    if reason is not None:
        raise SystemExit(reason)
    from playwright.sync_api import sync_playwright

    target.mkdir(parents=True, exist_ok=True)
    with (
        MockServer(mode="stateful", clock="manual", seed=7) as server,
        Receiver() as receiver,
        httpx.Client(base_url=server.url, timeout=10) as http,
        sync_playwright() as driver,
        tempfile.TemporaryDirectory() as profile,
    ):
        first = populate(http, receiver.url("/letta/done"), receiver.on("/flaky", Reply(status=500)))
        context = driver.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            viewport={"width": 1360, "height": 820},
        )
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(f"{server.url}/_mock/ui")
        page.wait_for_selector("#records tbody tr")
        page.wait_for_timeout(600)
        page.screenshot(path=str(target / "dashboard-batches.png"))
        page.locator(f'#records tbody tr[data-id="{first}"] button.link').click()
        page.wait_for_selector("#detail .messages li")
        page.wait_for_timeout(600)
        page.screenshot(path=str(target / "dashboard-detail.png"))
        page.locator("#detail-close").click()
        page.get_by_role("button", name="Callbacks").click()
        page.wait_for_selector("#callbacks tbody tr")
        page.wait_for_timeout(600)
        page.screenshot(path=str(target / "dashboard-callbacks.png"))
        page.get_by_role("button", name="Requests").click()
        page.wait_for_selector("#requests tr.violation")
        page.wait_for_timeout(600)
        page.screenshot(path=str(target / "dashboard-requests.png"))
        page.get_by_role("button", name="Scenarios & faults").click()
        form = page.locator("#fault-form")
        form.locator("input[name=latency]").fill("-1")
        form.get_by_role("button", name="Add fault").click()
        page.wait_for_selector('#fault-form [data-field="latency"].invalid')
        page.wait_for_timeout(600)
        page.screenshot(path=str(target / "dashboard-controls.png"))
        context.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent.parent / "docs" / "images")
