"""A failing test's traffic section names, under each request, the quirks that shaped its answer."""

from __future__ import annotations

import re

from mockserver._running.inprocess import BASE_URL, InProcessMock
from mockserver._running.traffic import read, render

AGENT = "agent-0a1b2c3d-4e5f-4a6b-9c7d-8e9fa0b1c2d3"
HEADERS = {"Authorization": "Bearer letta-mock"}


def test_each_request_lists_the_quirks_that_shaped_its_answer() -> None:
    with InProcessMock(profile="letta-oss") as mock:
        since = mock.reset()
        with mock.http_client(headers=HEADERS) as http:
            made = http.post("/v1/messages/batches", json={"requests": [{"agent_id": AGENT, "input": "hi"}]})
            assert made.status_code == 200
            assert http.get("/v1/runs/", params={"limit": 0}).status_code == 422
            assert http.get("/v1/runs/").status_code == 200  # no quirk shapes this one
        text = render(read(mock._parts(), since), BASE_URL, full=False)

    first, post, owner, polling, none_url, bad, violation, detail, get = text.splitlines()
    assert first == (
        f"3 requests to {BASE_URL}, 1 contract violation,"
        " 4 server deviations (profile quirks), 0 callback attempts"
    )
    assert re.fullmatch(r"  POST   /v1/messages/batches +200 +\d+\.\d ms  create_batch", post)
    assert owner.endswith("answered with quirk owner-ids (the real server's way)")
    assert (
        polling
        == "         ~ server deviation: answered with quirk batch-polling-off (the real server's way)"
    )
    assert none_url.endswith("answered with quirk callback-url-none-string (the real server's way)")
    assert re.fullmatch(r"  GET    /v1/runs/\?limit=0 +422 .*", bad)
    assert violation.startswith("         ! contract violation at /query/limit: ")
    assert detail.endswith("answered with quirk validation-detail-string (the real server's way)")
    assert re.fullmatch(r"  GET    /v1/runs/ +200 +\d+\.\d ms  list_runs", get)
