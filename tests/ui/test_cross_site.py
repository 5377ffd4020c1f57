"""In the browser: another site's page cannot steer the mock, a name rebound to 127.0.0.1 cannot reach
``/_mock``, and the dashboard, whose requests are same-origin, keeps working beside both.

The other site is a real page on a second local server; the rebinding is chromium's own host resolver
told that ``rebound.test`` is 127.0.0.1, which is what a rebinding DNS server would make it answer.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from mockserver import MockServer

from .support import AGENT_A, CHROMIUM, FLAGS, WAIT_MS, user_data_dir

if TYPE_CHECKING:
    from playwright.sync_api import Page, Playwright

pytestmark = pytest.mark.slow


def expect(target: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def _attack(mock_url: str) -> bytes:
    """A page that tries what a hostile site could: a simple cross-site POST, which needs no CORS
    preflight and so reaches the server, and a form posted to the control API."""
    return f"""<!doctype html><title>elsewhere</title>
<form id="f" method="post" action="{mock_url}/_mock/faults" enctype="text/plain" target="sink">
<input name='{{"operation": "create_batch", "drop": true, "x": "' value='"}}'></form>
<iframe name="sink"></iframe>
<script>
fetch("{mock_url}/_mock/reset", {{method: "POST", mode: "no-cors"}})
  .then(() => fetch("{mock_url}/_mock/clock/advance", {{method: "POST", mode: "no-cors",
    body: JSON.stringify({{seconds: 3600}})}}))
  .finally(() => {{ document.getElementById("f").submit(); document.title = "sent"; }});
</script>""".encode()


@pytest.fixture
def elsewhere(ui_server: MockServer) -> Iterator[str]:
    """Another site: a page on ``localhost`` at another port, served by a server of its own."""
    body = _attack(ui_server.url)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_another_sites_page_cannot_steer_the_mock_and_the_dashboard_still_can(
    page: Page, ui_server: MockServer, mock: httpx.Client, elsewhere: str
) -> None:
    created = mock.post("/v1/messages/batches", json={"requests": [{"agent_id": AGENT_A, "input": "keep"}]})
    batch_id = created.json()["id"]
    before = mock.get("/_mock/clock").json()

    page.goto(elsewhere)
    expect(page).to_have_title("sent")
    page.wait_for_load_state("networkidle")

    assert mock.get("/_mock/clock").json() == before  # neither reset nor advanced
    assert mock.get(f"/v1/messages/batches/{batch_id}").status_code == 200
    assert mock.get("/_mock/faults").json() == {"faults": []}

    # The dashboard's own requests (reads, and a POST that moves the clock) are answered.
    page.goto(f"{ui_server.url}/_mock/ui")
    expect(page.locator(f'#records tbody tr[data-id="{batch_id}"]')).to_have_count(1)
    page.get_by_role("button", name="+1 min").click()
    expect(page.locator("#notice")).to_contain_text("advanced 60 s")
    assert mock.get("/_mock/clock").json()["epoch"] == pytest.approx(before["epoch"] + 60)


def test_a_name_rebound_to_loopback_cannot_open_the_dashboard(
    playwright_driver: Playwright, ui_server: MockServer, tmp_path: Path
) -> None:
    port = ui_server.url.rsplit(":", 1)[1]
    context = playwright_driver.chromium.launch_persistent_context(
        user_data_dir(tmp_path),
        executable_path=CHROMIUM,
        headless=True,
        args=[*FLAGS, "--host-resolver-rules=MAP rebound.test 127.0.0.1"],
    )
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.pages[0] if context.pages else context.new_page()
        refused = page.goto(f"http://rebound.test:{port}/_mock/ui")
        assert refused is not None
        assert refused.status == 403
        assert "DNS rebinding" in page.inner_text("body")
        state = page.evaluate(f"fetch('http://rebound.test:{port}/_mock/state').then((r) => r.status)")
        assert state == 403
        # The same browser, addressing the mock by a loopback name, gets the page.
        page.goto(f"http://localhost:{port}/_mock/ui")
        expect(page.locator("#clock-kind")).to_have_text("manual")
    finally:
        context.close()
