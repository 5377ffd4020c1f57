"""What the dashboard reads, over HTTP: ``/_mock/records`` and ``/_mock/record``, the page and its
assets, and the access rules (loopback, control token, the ``?token=`` link's cookie).

No browser here (these run in the fast loop); tests/ui/test_dashboard.py clicks through the page.
"""

from __future__ import annotations

import copy
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from cli.support import serving

from mockserver import MockServer
from mockserver._simulation.records import stamp

from .support import AGENT_A, AGENT_B

ServerFactory = Callable[..., MockServer]
TOKEN = "ui-token-5d1e/&?"
STORED = 10_000


@pytest.fixture(scope="module")
def many(server_factory: ServerFactory) -> Iterator[tuple[httpx.Client, list[str]]]:
    """A mock holding 10,000 batches (restored from a snapshot made of one), and their ids newest first."""
    server = server_factory(mode="stateful", clock="manual", seed=1718)
    with httpx.Client(base_url=server.url, timeout=30) as http:
        http.post("/_mock/reset")
        made = http.post(
            "/v1/messages/batches", json={"requests": [{"agent_id": AGENT_A, "input": "one of many"}]}
        )
        assert made.status_code == 200, made.text
        state = http.get("/_mock/state").json()
        (template,) = state["jobs"]
        jobs = []
        for n in range(STORED):
            job = copy.deepcopy(template)
            job_id = f"job-{uuid.UUID(int=n + 1, version=4)}"
            job["id"] = job_id
            job["created"] = template["created"] - (STORED - n)  # one second apart, oldest first
            job["created_at"] = job["updated_at"] = stamp(job["created"])
            job["items"][0][0] = AGENT_A if n % 3 else AGENT_B  # (agent, text, outcome)
            jobs.append(job)
        state["jobs"] = jobs
        assert http.put("/_mock/state", json=state).status_code == 200
        newest_first = [job["id"] for job in reversed(jobs)]
        yield http, newest_first
        http.post("/_mock/reset")


def ids(page: dict[str, Any]) -> list[str]:
    return [record["id"] for record in page["records"]]


def test_pages_walk_10000_batches_both_ways_as_the_api_lists_them(
    many: tuple[httpx.Client, list[str]],
) -> None:
    http, newest_first = many
    first = http.get("/_mock/records", params={"kind": "batch", "limit": 200}).json()
    assert first["stored"] == STORED
    assert (first["newer"], first["older"]) == (False, True)
    assert ids(first) == newest_first[:200]
    api_page = http.get("/v1/messages/batches", params={"limit": 200}).json()
    assert [batch["id"] for batch in api_page] == ids(first)
    second = http.get("/_mock/records", params={"limit": 200, "after": newest_first[199]}).json()
    assert ids(second) == newest_first[200:400]
    assert (second["newer"], second["older"]) == (True, True)
    back = http.get("/_mock/records", params={"limit": 200, "before": newest_first[200]}).json()
    assert ids(back) == newest_first[:200]
    assert (back["newer"], back["older"]) == (False, True)
    last = http.get("/_mock/records", params={"limit": 25, "after": newest_first[-11]}).json()
    assert ids(last) == newest_first[-10:]
    assert (last["newer"], last["older"]) == (True, False)
    default = http.get("/_mock/records").json()
    assert ids(default) == newest_first[:25]


def test_filters_by_agent_and_status_page_too(many: tuple[httpx.Client, list[str]]) -> None:
    http, newest_first = many
    of_b = [record_id for n, record_id in enumerate(reversed(newest_first)) if n % 3 == 0][::-1]
    page = http.get("/_mock/records", params={"agent_id": AGENT_B, "limit": 50}).json()
    assert ids(page) == of_b[:50]
    assert all(record["agent_ids"] == [AGENT_B] for record in page["records"])
    following = http.get(
        "/_mock/records", params={"agent_id": AGENT_B, "limit": 50, "after": of_b[49]}
    ).json()
    assert ids(following) == of_b[50:100]
    # Restored in the past, the batches have finished by now, but for the newest (within their 2 s).
    statuses = {b["id"]: b["status"] for b in http.get("/v1/messages/batches", params={"limit": 100}).json()}
    for status in ("completed", "created", "running"):
        page = http.get("/_mock/records", params={"status": status, "limit": 20}).json()
        expected = [record_id for record_id in newest_first[:100] if statuses[record_id] == status][:20]
        assert ids(page) == expected, status
    assert ids(page := http.get("/_mock/records", params={"status": "completed"}).json())
    assert {record["status"] for record in page["records"]} == {"completed"}


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"kind": "batches"}, "kind", "Input should be 'batch', 'run' or 'job' (got 'batches')"),
        ({"limit": "ten"}, "limit", "Input should be a valid integer"),
        ({"limit": "0"}, "limit", "Input should be between 1 and 200 (got 0)"),
        ({"limit": "201"}, "limit", "Input should be between 1 and 200 (got 201)"),
        ({"after": "job-nope"}, "after", "no batch with id 'job-nope' (a page's cursor)"),
        ({"before": "job-nope"}, "before", "no batch with id 'job-nope' (a page's cursor)"),
    ],
)
def test_a_bad_query_is_a_422_naming_the_field(
    many: tuple[httpx.Client, list[str]], params: dict[str, str], field: str, message: str
) -> None:
    http, _ = many
    reply = http.get("/_mock/records", params=params)
    assert reply.status_code == 422, reply.text
    assert reply.json()["detail"] == [
        {"loc": ["query", field], "msg": message, "type": reply.json()["detail"][0]["type"]}
    ]


@pytest.fixture
def manual(server_factory: ServerFactory) -> Iterator[httpx.Client]:
    server = server_factory(mode="stateful", clock="manual", seed=1717)
    with httpx.Client(base_url=server.url, timeout=10) as http:
        http.post("/_mock/reset")
        yield http


def test_a_batch_in_detail_with_its_timeline_items_and_messages(manual: httpx.Client) -> None:
    made = manual.post(
        "/v1/messages/batches",
        json={"requests": [{"agent_id": AGENT_A, "input": "hello"}, {"agent_id": AGENT_B, "input": "hi"}]},
    ).json()
    detail = manual.get("/_mock/record", params={"id": made["id"]}).json()
    assert detail["kind"] == "batch"
    assert detail["record"] == made
    assert [step["status"] for step in detail["timeline"]] == ["created", "running", "terminal"]
    assert [step["done"] for step in detail["timeline"]] == [True, False, False]
    assert [(item["agent_id"], item["input"], item["done"]) for item in detail["batch_items"]] == [
        (AGENT_A, "hello", False),
        (AGENT_B, "hi", False),
    ]
    assert detail["messages"] == []
    manual.post("/_mock/clock/advance", json={"seconds": 5})
    done = manual.get("/_mock/record", params={"id": made["id"]}).json()
    retrieved = manual.get(f"/v1/messages/batches/{made['id']}").json()
    assert done["record"] == retrieved
    assert [(step["status"], step["done"]) for step in done["timeline"]] == [
        ("created", True),
        ("running", True),
        ("completed", True),
    ]
    assert done["timeline"][0]["at"] == retrieved["created_at"]
    assert done["timeline"][2]["at"] == retrieved["completed_at"]
    listed = manual.get(f"/v1/messages/batches/{made['id']}/messages", params={"order": "asc"}).json()
    assert done["messages"] == listed["messages"]
    assert done["message_count"] == 4
    assert done["agent_ids"] == [AGENT_A, AGENT_B]


def test_a_run_in_detail_with_its_messages_and_steps(manual: httpx.Client) -> None:
    run = manual.post("/_mock/runs", json={"agent_id": AGENT_A}).json()
    manual.post("/_mock/clock/advance", json={"seconds": 5})
    detail = manual.get("/_mock/record", params={"id": run["id"]}).json()
    assert detail["kind"] == "run"
    assert detail["record"] == manual.get(f"/v1/runs/{run['id']}").json()
    assert detail["messages"] == manual.get(f"/v1/runs/{run['id']}/messages", params={"order": "asc"}).json()
    steps = manual.get(f"/v1/runs/{run['id']}/steps", params={"order": "asc"}).json()
    assert detail["steps"] == steps
    assert detail["step_count"] == len(steps) > 0
    assert detail["timeline"][-1]["status"] == "completed"
    page = manual.get("/_mock/records", params={"kind": "run", "agent_id": AGENT_A}).json()
    assert ids(page) == [run["id"]]
    assert manual.get("/_mock/records", params={"kind": "job"}).json()["records"] == []


def test_a_cancelled_batch_that_never_ran_has_no_running_step(manual: httpx.Client) -> None:
    made = manual.post(
        "/v1/messages/batches", json={"requests": [{"agent_id": AGENT_A, "input": "hi"}]}
    ).json()
    assert manual.patch(f"/v1/messages/batches/{made['id']}/cancel").status_code == 200
    detail = manual.get("/_mock/record", params={"id": made["id"]}).json()
    assert [step["status"] for step in detail["timeline"]] == ["created", "cancelled"]


def test_an_unknown_or_missing_id(manual: httpx.Client) -> None:
    unknown = manual.get("/_mock/record", params={"id": "job-nope"})
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "no batch, run or job with id 'job-nope'"}
    missing = manual.get("/_mock/record")
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["query", "id"]


def test_stateless_mode_has_no_records_but_serves_the_page(stateless_server: MockServer) -> None:
    with httpx.Client(base_url=stateless_server.url, timeout=10) as http:
        reply = http.get("/_mock/records")
        assert reply.status_code == 400
        assert "--mode stateful" in reply.json()["detail"]
        assert http.get("/_mock/ui").status_code == 200


# -- the page, its assets, and who may see them -----------------------------------------------


def test_the_page_and_assets_ship_in_the_package_with_a_strict_policy(manual: httpx.Client) -> None:
    page = manual.get("/_mock/ui")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "default-src 'none'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert '<script type="module" src="/_mock/ui/app.js"></script>' in page.text
    assert "http://" not in page.text  # nothing fetched from elsewhere
    assert "https://" not in page.text
    for name in ("app.js", "util.js", "views.js"):
        script = manual.get(f"/_mock/ui/{name}")
        assert script.headers["content-type"] == "text/javascript; charset=utf-8"
        assert "innerHTML" not in script.text
        assert "https://" not in script.text
        assert "http://" not in script.text
    assert manual.get("/_mock/ui/style.css").headers["content-type"] == "text/css; charset=utf-8"
    assert manual.get("/_mock/ui/other.js").status_code == 404
    assert manual.post("/_mock/ui").status_code == 405


@pytest.fixture(scope="module")
def tokened(server_factory: ServerFactory) -> Iterator[httpx.Client]:
    server = server_factory(mode="stateful", clock="manual", control_token=TOKEN, seed=1719)
    with httpx.Client(base_url=server.url, timeout=10) as http:
        yield http


def test_with_a_token_the_page_needs_it_and_the_link_trades_it_for_a_cookie(tokened: httpx.Client) -> None:
    for path in ("/_mock/ui", "/_mock/ui/app.js", "/_mock/records"):
        refused = tokened.get(path)
        assert refused.status_code == 401, path
        assert TOKEN not in refused.text
    wrong = tokened.get("/_mock/ui", params={"token": "guess<script>"})
    assert wrong.status_code == 401
    assert wrong.headers["content-type"].startswith("text/plain")
    assert "guess" not in wrong.text
    assert "set-cookie" not in wrong.headers

    link = tokened.get("/_mock/ui", params={"token": TOKEN})
    assert link.status_code == 303
    assert link.headers["location"] == "/_mock/ui"
    cookie = link.headers["set-cookie"]
    assert cookie.startswith("letta_mock_token=")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert "Path=/_mock" in cookie
    # A client that keeps cookies, as a browser does, follows the link to the page.
    with httpx.Client(base_url=tokened.base_url, timeout=10) as browser:
        page = browser.get("/_mock/ui", params={"token": TOKEN}, follow_redirects=True)
        assert page.status_code == 200
        assert str(page.url).endswith("/_mock/ui")
        assert TOKEN not in page.text
        assert browser.get("/_mock/records").status_code == 200
        assert browser.post("/_mock/clock/advance", json={"seconds": 1}).status_code == 200
    wrong_cookie = tokened.get("/_mock/records", headers={"Cookie": "letta_mock_token=guess"})
    assert wrong_cookie.status_code == 401
    assert tokened.get("/_mock/records", headers={"X-Letta-Mock-Token": TOKEN}).status_code == 200


def test_the_start_up_lines_print_the_dashboard_and_its_token_link(tmp_path: Path) -> None:
    """The link a person clicks: beside the API's URL, carrying the token (quoted) when one is set."""
    with serving(tmp_path, "serve", "--port", "0", "--control-token", TOKEN) as served:
        link = f"{served.url}/_mock/ui?token={quote(TOKEN, safe='')}"
        with httpx.Client(timeout=10) as browser:
            page = browser.get(link, follow_redirects=True)
            assert page.status_code == 200
            assert str(page.url) == f"{served.url}/_mock/ui"
            assert browser.get(f"{served.url}/_mock/clock").status_code == 200
    lines = served.stdout.splitlines()
    api = lines.index(f"  API:      {served.url}/v1/")
    assert lines[api + 1] == f"  UI:       {link} (live dashboard)"


def test_the_callback_journal_keeps_its_shape_and_takes_a_limit(manual: httpx.Client) -> None:
    """The dashboard asks for the newest 200 attempts; a port nobody listens on makes failed attempts."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: a connection is refused at once
        port = closed.getsockname()[1]
        for n in range(3):
            made = manual.post(
                "/v1/messages/batches",
                json={
                    "requests": [{"agent_id": AGENT_A, "input": "hi"}],
                    "callback_url": f"http://127.0.0.1:{port}/{n}",
                },
            )
            assert made.status_code == 200, made.text
        manual.post("/_mock/clock/advance", json={"seconds": 5})
    every = manual.get("/_mock/callbacks").json()
    assert set(every) == {"callbacks", "pending"}
    assert len(every["callbacks"]) == 3
    newest = manual.get("/_mock/callbacks", params={"limit": 2}).json()
    assert newest["callbacks"] == every["callbacks"][-2:]
    refused = manual.get("/_mock/callbacks", params={"limit": "-1"})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["query", "limit"]
