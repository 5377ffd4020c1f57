"""Fixtures of the contract tests: the operation table, and clients of the lenient and `off` servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from mockserver import MockServer, OperationTable, default_table
from mockserver._contract.validation import SchemaSet

ServerFactory = Callable[..., MockServer]


@pytest.fixture(scope="session")
def table() -> OperationTable:
    return default_table()


@pytest.fixture(scope="session")
def document(table: OperationTable) -> dict[str, Any]:
    return dict(table.document)


@pytest.fixture(scope="session")
def strict_schemas(table: OperationTable) -> SchemaSet:
    """Strict validators over the document, for checking response bodies."""
    return SchemaSet(table.document, "strict")


@pytest.fixture
def lenient_http(lenient_server: MockServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=lenient_server.url, timeout=10) as client:
        yield client


@pytest.fixture
def off_http(server_factory: ServerFactory) -> Iterator[httpx.Client]:
    server = server_factory(mode="stateless", validation="off")
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client
