"""The plugin tests run inner pytest sessions with ``pytester``.

``pytest_plugins = ["pytester"]`` is refused in a conftest that is not collected first ("Defining
'pytest_plugins' in a non-top-level conftest is no longer supported"), which this one is not when
the whole suite runs from the top; so pytester is registered when this conftest is.
"""

from __future__ import annotations

import sys

import pytest


def pytest_plugin_registered(plugin: object, manager: pytest.PytestPluginManager) -> None:
    if plugin is sys.modules[__name__]:
        manager.import_plugin("pytester")
