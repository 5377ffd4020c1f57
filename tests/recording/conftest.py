"""Registers pytester for the plugin's per-test recording files (see tests/plugin/conftest.py for why
not ``pytest_plugins``)."""

from __future__ import annotations

import sys

import pytest


def pytest_plugin_registered(plugin: object, manager: pytest.PytestPluginManager) -> None:
    if plugin is sys.modules[__name__]:
        manager.import_plugin("pytester")
