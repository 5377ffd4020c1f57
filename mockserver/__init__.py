"""letta-mockserver: a contract-testing mock server for the Letta Batches & Runs HTTP API.

Names are loaded on first use, so that importing the package (as the pytest plugin does in
every pytest run) does not import starlette, uvicorn or hypothesis.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from mockserver._version import __version__

_EXPORTS = {
    "Config": "mockserver._config",
    "ContractViolation": "mockserver._contract.violations",
    "ControlError": "mockserver._running.controls",
    "InProcessMock": "mockserver._running.inprocess",
    "MockRequest": "mockserver._control.overrides",
    "MockResponse": "mockserver._control.overrides",
    "MockServer": "mockserver._running.server",
    "Operation": "mockserver._contract.spec",
    "OperationTable": "mockserver._contract.spec",
    "create_app": "mockserver._web.app",
    "default_table": "mockserver._contract.spec",
    "serve": "mockserver._running.server",
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
    from mockserver._config import Config
    from mockserver._contract.spec import Operation, OperationTable, default_table
    from mockserver._contract.violations import ContractViolation
    from mockserver._control.overrides import MockRequest, MockResponse
    from mockserver._running.controls import ControlError
    from mockserver._running.inprocess import InProcessMock
    from mockserver._running.server import MockServer, serve
    from mockserver._web.app import create_app


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mockserver' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
