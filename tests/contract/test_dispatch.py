"""``ApiDispatch`` (a speed seam) picks the endpoint Starlette's router would, for every request line."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.routing import Match

from mockserver._config import Config
from mockserver._contract.spec import OperationTable
from mockserver._web.app import create_app
from mockserver._web.dispatch import ApiDispatch

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


@pytest.fixture(scope="module")
def app() -> Any:
    return create_app(Config(port=0, clock="manual"))


def _dispatch(app: Any) -> ApiDispatch:
    dispatch = app.app  # FaultLayer -> ApiDispatch -> Starlette
    assert isinstance(dispatch, ApiDispatch)
    return dispatch


def _starlettes_choice(app: Any, scope: dict[str, Any]) -> tuple[Any, dict[str, str]] | None:
    """The endpoint and parameters Starlette's router dispatches ``scope`` to (its first full match)."""
    for route in app.router.routes:
        match, child = route.matches(scope)
        if match is Match.FULL:
            return route.app, child["path_params"]
    return None


def _agree(app: Any, method: str, path: str, root_path: str = "") -> None:
    scope = {"type": "http", "method": method, "path": root_path + path, "root_path": root_path}
    expected = _starlettes_choice(app, scope)
    chosen = _dispatch(app)._target(scope)
    api = {route.app for route in _dispatch(app)._routes}
    if expected is None or expected[0] not in api:
        assert chosen is None, (method, path)  # Starlette's own: 404, 405, the control API, the page
    else:
        assert chosen == expected, (method, path)


def _spellings(table: OperationTable) -> list[str]:
    """Every path of the document with its parameters filled, and the spellings around them."""
    paths = []
    for op in table.values():
        filled = op.path
        for param in op.params_in("path"):
            filled = filled.replace("{" + param.name + "}", "active")  # a literal's name as an id
        paths += [op.path, filled, filled + "/", filled.rstrip("/"), filled + "/extra", filled.upper()]
    return [*paths, "/", "/openapi.json", "/_mock/state", "/_mock/ui", "/v1", "/v1/", "/v1/runs//messages"]


def test_every_path_of_the_document_and_its_neighbours(app: Any, table: OperationTable) -> None:
    for path in _spellings(table):
        for method in METHODS:
            _agree(app, method, path)


def test_a_mounted_path_is_read_as_starlette_reads_it(app: Any, table: OperationTable) -> None:
    for path in _spellings(table):
        _agree(app, "GET", path, root_path="/mounted")


def test_a_literal_path_a_template_also_spells_goes_where_the_router_sends_it(app: Any) -> None:
    # DELETE /v1/runs/active: `/v1/runs/active` has no DELETE, `/v1/runs/{run_id}` has (and answers 405).
    scope = {"type": "http", "method": "DELETE", "path": "/v1/runs/active", "root_path": ""}
    chosen = _dispatch(app)._target(scope)
    assert chosen is not None
    assert chosen[1] == {"run_id": "active"}
    assert chosen == _starlettes_choice(app, scope)


SEGMENT = st.sampled_from(
    ["v1", "messages", "batches", "runs", "jobs", "active", "cancel", "stream", "x", "", "%2F"]
)


@given(segments=st.lists(SEGMENT, max_size=5), method=st.sampled_from(METHODS))
def test_any_path_made_of_the_documents_words(app: Any, segments: list[str], method: str) -> None:
    _agree(app, method, "/" + "/".join(segments))
