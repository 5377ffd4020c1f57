"""A web page the developer visits cannot drive or read ``/_mock``: requests a browser marks as coming
from another site, and requests for a non-loopback ``Host`` on a loopback address (DNS rebinding), are
403 with a one-line JSON detail, and change nothing; clients that send no such header are unaffected.

Each request is sent over a real socket with exactly the headers a browser would write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from addresses import non_loopback_address

from mockserver import MockServer

from .catalogue import AGENT

ServerFactory = Callable[..., MockServer]
TOKEN = "cross-site-token-5d1e"
FAULT = {"operation": "list_runs", "latency": {"seconds": 0}}


@pytest.fixture(scope="module")
def server(server_factory: ServerFactory) -> MockServer:
    return server_factory(mode="stateful", clock="manual", seed=1730)


@pytest.fixture
def http(server: MockServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        assert client.post("/_mock/reset").status_code == 200
        yield client


def _port(server: MockServer) -> int:
    return int(server.url.rsplit(":", 1)[1])


def _refused(response: httpx.Response, because: str) -> None:
    assert response.status_code == 403, (response.status_code, response.text)
    assert response.headers["content-type"] == "application/json"
    assert "\n" not in response.text
    detail = response.json()["detail"]
    assert because in detail, detail


@pytest.mark.parametrize("site", ["cross-site", "same-site", "Cross-Site"])
def test_a_request_the_browser_marks_as_from_another_site_is_refused_and_changes_nothing(
    http: httpx.Client, site: str
) -> None:
    assert http.post("/_mock/faults", json=FAULT).status_code == 201
    headers = {"Sec-Fetch-Site": site, "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "empty"}

    _refused(http.post("/_mock/reset", headers=headers), "another site's web page (Sec-Fetch-Site)")
    _refused(http.delete("/_mock/faults", headers=headers), "Sec-Fetch-Site")
    _refused(http.get("/_mock/state", headers=headers), "Sec-Fetch-Site")
    script = http.get("/_mock/ui/app.js", headers=headers)  # a <script> include of the page's code
    assert (script.status_code, script.headers["content-type"]) == (403, "text/plain; charset=utf-8")

    assert [fault["operation"] for fault in http.get("/_mock/faults").json()["faults"]] == ["list_runs"]


@pytest.mark.parametrize("site", ["same-origin", "none"])
def test_the_page_itself_and_a_typed_address_are_answered(http: httpx.Client, site: str) -> None:
    headers = {"Sec-Fetch-Site": site, "Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"}
    assert http.post("/_mock/faults", json=FAULT, headers=headers).status_code == 201
    assert http.get("/_mock/faults", headers=headers).json()["faults"][0]["operation"] == "list_runs"


def test_an_origin_other_than_the_host_is_refused(server: MockServer, http: httpx.Client) -> None:
    port = _port(server)
    for origin in [
        "http://evil.example",
        f"http://evil.example:{port}",
        f"http://127.0.0.1:{port + 1}",
        "http://127.0.0.1",  # port 80
        f"http://localhost:{port}",  # another origin than the Host (127.0.0.1) the request names
        "null",  # a sandboxed frame or a file
        "garbage",
    ]:
        _refused(http.post("/_mock/faults", json=FAULT, headers={"Origin": origin}), "(Origin is not Host)")
    assert http.get("/_mock/faults").json() == {"faults": []}
    same = http.post("/_mock/faults", json=FAULT, headers={"Origin": f"http://127.0.0.1:{port}"})
    assert same.status_code == 201
    both = {"Host": f"localhost:{port}", "Origin": f"http://localhost:{port}"}
    assert http.get("/_mock/faults", headers=both).json()["faults"][0]["id"] == same.json()["id"]
    # A Host without a port (a proxy that ends TLS in front of the mock): the Origin scheme's port.
    proxied = http.get("/_mock/faults", headers={"Host": "localhost", "Origin": "https://localhost"})
    assert proxied.status_code == 200
    _refused(
        http.get("/_mock/faults", headers={"Host": "localhost", "Origin": "https://localhost:8443"}), "Origin"
    )


def test_a_host_that_is_not_loopback_is_refused_on_a_loopback_address(
    server: MockServer, http: httpx.Client
) -> None:
    port = _port(server)
    for host in [
        f"evil.example:{port}",
        "evil.example",
        f"10.0.0.8:{port}",
        f"127.0.0.1.evil.example:{port}",
    ]:
        _refused(http.get("/_mock/state", headers={"Host": host}), "loopback Host (against DNS rebinding)")
        _refused(http.post("/_mock/reset", headers={"Host": host}), "DNS rebinding")
        page = http.get("/_mock/ui", headers={"Host": host})
        assert page.status_code == 403
        assert "DNS rebinding" in page.text
    for host in [f"127.0.0.1:{port}", f"localhost:{port}", "localhost", f"[::1]:{port}", f"127.0.0.2:{port}"]:
        assert http.get("/_mock/clock", headers={"Host": host}).status_code == 200, host


def test_the_letta_api_and_clients_without_browser_headers_are_unaffected(
    server: MockServer, http: httpx.Client
) -> None:
    # The guard is the control API's: the mocked API answers a page as the real server would.
    body = {"requests": [{"agent_id": AGENT, "input": "hi"}]}
    created = http.post(
        "/v1/messages/batches",
        json=body,
        headers={"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert created.status_code == 200
    server.add_fault("list_runs", latency=0)  # MockServer's own httpx client
    with server.client() as sdk:  # letta-client: no Origin, no Sec-Fetch-*
        assert sdk.batches.retrieve(created.json()["id"]).id == created.json()["id"]
    assert len(server.faults()) == 1


def test_following_a_link_to_the_dashboard_from_another_site_opens_it(http: httpx.Client) -> None:
    navigation = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
    page = http.get("/_mock/ui", headers=navigation)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    # Only a top-level navigation of the page: not a frame, a fetch, nor any other control route.
    assert http.get("/_mock/ui", headers={**navigation, "Sec-Fetch-Dest": "iframe"}).status_code == 403
    assert http.get("/_mock/ui", headers={**navigation, "Sec-Fetch-Mode": "cors"}).status_code == 403
    _refused(http.get("/_mock/state", headers=navigation), "Sec-Fetch-Site")
    _refused(http.post("/_mock/reset", headers=navigation), "Sec-Fetch-Site")  # a form posted from a page


def test_the_control_token_does_not_open_the_control_api_to_other_sites(
    server_factory: ServerFactory,
) -> None:
    server = server_factory(mode="stateful", clock="manual", control_token=TOKEN, seed=1731)
    with httpx.Client(base_url=server.url, headers={"X-Letta-Mock-Token": TOKEN}, timeout=10) as http:
        assert http.get("/_mock/clock").status_code == 200
        _refused(http.get("/_mock/clock", headers={"Origin": "http://evil.example"}), "Origin")
        _refused(http.get("/_mock/clock", headers={"Host": "evil.example"}), "DNS rebinding")


def test_a_non_loopback_bind_answers_its_own_host_name(server_factory: ServerFactory) -> None:
    """Reached from the network by name, behind a token: the Host is not loopback, and need not be."""
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to bind the mock to")
    server = server_factory(host=address, mode="stateful", clock="manual", control_token=TOKEN, seed=1732)
    port = _port(server)
    headers = {"X-Letta-Mock-Token": TOKEN, "Host": f"mock.example:{port}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=10) as http:
        assert http.get("/_mock/clock").status_code == 200
        assert http.get("/_mock/clock", headers={"Origin": f"http://mock.example:{port}"}).status_code == 200
        _refused(http.get("/_mock/clock", headers={"Origin": f"http://evil.example:{port}"}), "Origin")
