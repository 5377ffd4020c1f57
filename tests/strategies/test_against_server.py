"""Drawn requests are what the server accepts: sent to the strict stateless mock, each gets 2xx."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver import MockServer
from mockserver.strategies import from_operation

from .support import EXAMPLES, OPERATION_IDS

SENT = settings(max_examples=max(EXAMPLES // 2, 5), deadline=None)


@pytest.fixture(scope="module")
def client(stateless_server: MockServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stateless_server.url, timeout=30) as http_client:
        yield http_client


@pytest.mark.parametrize("realistic", [False, True], ids=["default", "realistic"])
@pytest.mark.parametrize("operation_id", OPERATION_IDS)
@SENT
@given(data=st.data())
def test_drawn_requests_get_2xx_from_the_strict_mock(
    operation_id: str, realistic: bool, data: st.DataObject, client: httpx.Client
) -> None:
    request = data.draw(from_operation(operation_id, realistic=realistic))
    body = {} if request.body is None else {"json": request.body}
    response = client.request(request.method, request.url, params=request.params, **body)
    assert 200 <= response.status_code < 300, response.text
