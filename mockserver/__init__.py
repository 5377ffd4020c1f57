"""letta-mockserver: a contract-testing mock server for the Letta Batches & Runs HTTP API.

Names are loaded on first use, so that importing the package (as the pytest plugin does in
every pytest run) does not import starlette, uvicorn or hypothesis.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Config": "mockserver._config",
    "ContractViolation": "mockserver._violations",
    "ControlError": "mockserver._handle",
    "InProcessMock": "mockserver._inprocess",
    "MockRequest": "mockserver._overrides",
    "MockResponse": "mockserver._overrides",
    "MockServer": "mockserver._server",
    "Operation": "mockserver._spec",
    "OperationTable": "mockserver._spec",
    "create_app": "mockserver._app",
    "default_table": "mockserver._spec",
    "serve": "mockserver._server",
}

__all__ = [
    "Config",
    "ContractViolation",
    "ControlError",
    "InProcessMock",
    "MockRequest",
    "MockResponse",
    "MockServer",
    "Operation",
    "OperationTable",
    "__version__",
    "create_app",
    "default_table",
    "serve",
]

if TYPE_CHECKING:
    from mockserver._app import create_app
    from mockserver._config import Config
    from mockserver._handle import ControlError
    from mockserver._inprocess import InProcessMock
    from mockserver._overrides import MockRequest, MockResponse
    from mockserver._server import MockServer, serve
    from mockserver._spec import Operation, OperationTable, default_table
    from mockserver._violations import ContractViolation


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mockserver' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
