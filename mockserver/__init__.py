"""letta-mockserver: a contract-testing mock server for the Letta Batches & Runs HTTP API."""

from mockserver._app import create_app
from mockserver._config import Config
from mockserver._server import MockServer, serve
from mockserver._spec import Operation, OperationTable, default_table

__version__ = "0.1.0"

__all__ = [
    "Config",
    "MockServer",
    "Operation",
    "OperationTable",
    "__version__",
    "create_app",
    "default_table",
    "serve",
]
